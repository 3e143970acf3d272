import { AppError, type KeyBudget, type SetKeyBudgetRequest } from '@promptline/core';
import type { FastifyBaseLogger } from 'fastify';
import type { AuditService } from '../audit/service.ts';
import type { AuthService } from '../auth/service.ts';
import { type Clock, isoNow } from '../clock.ts';
import type { Database } from '../db/database.ts';
import { createGatewayStore, type StoredBudget } from './store.ts';

/** A budget edited on another instance is seen here within this long. */
const BUDGET_CACHE_MS = 5_000;
/** Spend of a key with a budget is re-read from the database at most this often. */
const SPEND_CACHE_MS = 1_000;
/** Charges are written in one batch this often: never one write per call. */
const CHARGE_FLUSH_MS = 200;

/** The UTC day and month a moment falls in, as the spend table names them. */
export function periodsOf(at: Date): { day: string; month: string } {
  const iso = at.toISOString();
  return { day: iso.slice(0, 10), month: iso.slice(0, 7) };
}

interface SpendView {
  day: string;
  month: string;
  dayUsd: number;
  monthUsd: number;
  expires: number;
}

/**
 * Per-key spend budgets of the gateway. Checking costs nothing for a key without a budget (one
 * cached lookup); a key with one has its spend re-read at most once a second and adds its own
 * charges locally in between. Charges are batched to the database every 200 ms. So a budget is
 * enforced before each call within about a second of spend, across instances — calls already in
 * flight when it runs out may overshoot it by their own cost.
 */
export function createBudgetService({
  database,
  clock,
  audit,
  auth,
  logger,
}: {
  database: Database;
  clock: Clock;
  audit: AuditService;
  auth: AuthService;
  logger: FastifyBaseLogger;
}) {
  const store = createGatewayStore();
  const budgets = new Map<number, { budget: StoredBudget | null; expires: number }>();
  const spend = new Map<number, SpendView>();
  // keyId → USD not yet written, per period.
  let pending = new Map<string, { keyId: number; period: string; usd: number }>();
  let timer: NodeJS.Timeout | undefined;
  let flushing: Promise<void> = Promise.resolve();

  async function budgetOf(keyId: number): Promise<StoredBudget | null> {
    const now = Date.now();
    const cached = budgets.get(keyId);
    if (cached && cached.expires > now) return cached.budget;
    const budget = (await store.budget(database.db, keyId)) ?? null;
    budgets.set(keyId, { budget, expires: now + BUDGET_CACHE_MS });
    return budget;
  }

  function pendingFor(keyId: number, period: string): number {
    return pending.get(`${keyId}\u0000${period}`)?.usd ?? 0;
  }

  async function spendOf(keyId: number): Promise<SpendView> {
    const { day, month } = periodsOf(clock.now());
    const now = Date.now();
    const cached = spend.get(keyId);
    if (cached && cached.expires > now && cached.day === day && cached.month === month) return cached;
    const rows = await store.spend(database.db, [keyId], [day, month]);
    const stored = (period: string) => rows.find((r) => r.period === period)?.spentUsd ?? 0;
    const view: SpendView = {
      day,
      month,
      dayUsd: stored(day) + pendingFor(keyId, day),
      monthUsd: stored(month) + pendingFor(keyId, month),
      expires: now + SPEND_CACHE_MS,
    };
    spend.set(keyId, view);
    return view;
  }

  async function flush(): Promise<void> {
    timer = undefined;
    if (pending.size === 0) return;
    const batch = [...pending.values()];
    pending = new Map();
    try {
      await store.addSpend(database.db, batch);
    } catch (error) {
      // Put them back: the next flush retries (spend must not be lost, or budgets leak).
      for (const charge of batch) {
        const key = `${charge.keyId}\u0000${charge.period}`;
        const existing = pending.get(key);
        if (existing) existing.usd += charge.usd;
        else pending.set(key, charge);
      }
      logger.error({ err: error, charges: batch.length }, 'gateway: writing key spend failed; retrying');
      schedule();
    }
  }

  function schedule(): void {
    if (timer !== undefined) return;
    timer = setTimeout(() => {
      flushing = flushing.then(flush);
    }, CHARGE_FLUSH_MS);
    timer.unref();
  }

  async function view(budget: StoredBudget): Promise<KeyBudget> {
    const current = await spendOf(budget.keyId);
    return {
      keyId: budget.keyId,
      usdPerDay: budget.usdPerDay,
      usdPerMonth: budget.usdPerMonth,
      spentTodayUsd: round(current.dayUsd),
      spentThisMonthUsd: round(current.monthUsd),
      updatedAt: budget.updatedAt,
      updatedBy: budget.updatedBy,
    };
  }

  async function requireKey(projectId: number, keyId: number): Promise<void> {
    const keys = await auth.list(projectId);
    if (!keys.some((k) => k.id === keyId)) {
      throw new AppError(
        'API_KEY_NOT_FOUND',
        `No API key ${keyId} in this project. List keys with GET /api/v1/api-keys.`,
        { details: { keyId } },
      );
    }
  }

  return {
    /**
     * @throws AppError GATEWAY_BUDGET_EXHAUSTED (429) when the key spent its daily or monthly budget.
     */
    async check(keyId: number): Promise<void> {
      const budget = await budgetOf(keyId);
      if (budget === null || (budget.usdPerDay === null && budget.usdPerMonth === null)) return;
      const current = await spendOf(keyId);
      const over =
        budget.usdPerDay !== null && current.dayUsd >= budget.usdPerDay
          ? { period: 'day', limit: budget.usdPerDay, spent: current.dayUsd }
          : budget.usdPerMonth !== null && current.monthUsd >= budget.usdPerMonth
            ? { period: 'month', limit: budget.usdPerMonth, spent: current.monthUsd }
            : undefined;
      if (over) {
        throw new AppError(
          'GATEWAY_BUDGET_EXHAUSTED',
          `This API key spent its gateway budget for the ${over.period} ($${round(over.spent)} of $${over.limit}). Wait for the next UTC ${over.period}, or ask an admin to raise it with PUT /api/v1/gateway/budgets/${keyId}.`,
          { details: { keyId, period: over.period, limitUsd: over.limit, spentUsd: round(over.spent) } },
        );
      }
    },

    /** Adds a call's cost to the key's spend (batched to the database). */
    charge(keyId: number, usd: number): void {
      if (!(usd > 0)) return;
      const { day, month } = periodsOf(clock.now());
      for (const period of [day, month]) {
        const key = `${keyId}\u0000${period}`;
        const existing = pending.get(key);
        if (existing) existing.usd += usd;
        else pending.set(key, { keyId, period, usd });
      }
      const cached = spend.get(keyId);
      if (cached && cached.day === day) cached.dayUsd += usd;
      if (cached && cached.month === month) cached.monthUsd += usd;
      schedule();
    },

    async list(projectId: number): Promise<KeyBudget[]> {
      const stored = await store.budgets(database.db, projectId);
      return Promise.all(stored.map(view));
    },

    /** @throws AppError GATEWAY_BUDGET_NOT_FOUND when the key has no budget. */
    async get(projectId: number, keyId: number): Promise<KeyBudget> {
      const budget = await store.budget(database.db, keyId, projectId);
      if (!budget) {
        throw new AppError(
          'GATEWAY_BUDGET_NOT_FOUND',
          `API key ${keyId} has no gateway budget. Set one with PUT /api/v1/gateway/budgets/${keyId}.`,
          { details: { keyId } },
        );
      }
      return view(budget);
    },

    /** Sets a key's limits; an omitted limit keeps its value, null removes it. Audited. */
    async set(
      projectId: number,
      keyId: number,
      request: SetKeyBudgetRequest,
      actor: string,
    ): Promise<KeyBudget> {
      await requireKey(projectId, keyId);
      const saved = await database.db.transaction().execute(async (trx) => {
        const before = await store.budget(trx, keyId);
        const budget: StoredBudget = {
          keyId,
          usdPerDay: request.usdPerDay === undefined ? (before?.usdPerDay ?? null) : request.usdPerDay,
          usdPerMonth:
            request.usdPerMonth === undefined ? (before?.usdPerMonth ?? null) : request.usdPerMonth,
          updatedAt: isoNow(clock),
          updatedBy: actor,
        };
        await store.saveBudget(trx, projectId, budget);
        await audit.append(trx, {
          projectId,
          actor,
          action: 'gateway.budget.set',
          targetType: 'api_key',
          target: String(keyId),
          data: {
            before: before ? { usdPerDay: before.usdPerDay, usdPerMonth: before.usdPerMonth } : null,
            after: { usdPerDay: budget.usdPerDay, usdPerMonth: budget.usdPerMonth },
          },
        });
        return budget;
      });
      budgets.set(keyId, { budget: saved, expires: Date.now() + BUDGET_CACHE_MS });
      return view(saved);
    },

    /** @throws AppError GATEWAY_BUDGET_NOT_FOUND when the key has no budget. */
    async remove(projectId: number, keyId: number, actor: string): Promise<void> {
      await database.db.transaction().execute(async (trx) => {
        if (!(await store.removeBudget(trx, projectId, keyId))) {
          throw new AppError('GATEWAY_BUDGET_NOT_FOUND', `API key ${keyId} has no gateway budget.`, {
            details: { keyId },
          });
        }
        await audit.append(trx, {
          projectId,
          actor,
          action: 'gateway.budget.remove',
          targetType: 'api_key',
          target: String(keyId),
          data: {},
        });
      });
      budgets.delete(keyId);
    },

    /** Writes pending charges now (shutdown, tests). */
    async flush(): Promise<void> {
      if (timer !== undefined) clearTimeout(timer);
      flushing = flushing.then(flush);
      await flushing;
    },
  };
}

function round(usd: number): number {
  return Math.round(usd * 1e6) / 1e6;
}

export type BudgetService = ReturnType<typeof createBudgetService>;
