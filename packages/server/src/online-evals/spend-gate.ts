/**
 * Keeps a rule's judge calls under its daily budget while several run at once: a call starts only
 * when the day's spend plus what the calls in flight are expected to cost (the last call's cost
 * each) stays under the budget; otherwise it waits for one to finish, and once the spend reaches
 * the budget it is refused. Until a first call has cost something, one call runs at a time — so
 * judging stops at the first call that reaches the budget, as if the calls ran one after another.
 */
import type { StoredRule } from './store.ts';

interface RuleSpend {
  spent: number;
  inFlight: number;
  /** Cost of the latest finished call (null before any; a failed call's cost is usually 0). */
  perCall: number | null;
  waiters: Array<() => void>;
}

export function createSpendGate(spentToday: (ruleId: number) => Promise<number>) {
  const rules = new Map<number, Promise<RuleSpend>>();
  const of = (ruleId: number) => {
    let entry = rules.get(ruleId);
    if (!entry) {
      entry = spentToday(ruleId).then((spent) => ({ spent, inFlight: 0, perCall: null, waiters: [] }));
      rules.set(ruleId, entry);
    }
    return entry;
  };
  const settled = new Map<number, RuleSpend>();

  return {
    /** Waits until a call of `rule` fits under its budget; false once the budget is spent. */
    async acquire(rule: Pick<StoredRule, 'id' | 'dailyBudgetUsd'>): Promise<boolean> {
      const s = await of(rule.id);
      settled.set(rule.id, s);
      for (;;) {
        if (s.spent >= rule.dailyBudgetUsd) return false;
        const expected =
          s.inFlight === 0 ? 0 : s.perCall === null ? Number.POSITIVE_INFINITY : s.inFlight * s.perCall;
        if (s.spent + expected < rule.dailyBudgetUsd) {
          s.inFlight++;
          return true;
        }
        await new Promise<void>((resolve) => s.waiters.push(resolve));
      }
    },

    /** A call of the rule ended, having cost `costUsd`. */
    release(ruleId: number, costUsd: number): void {
      const s = settled.get(ruleId);
      if (!s) return;
      s.inFlight--;
      s.spent += costUsd;
      s.perCall = costUsd;
      for (const wake of s.waiters.splice(0)) wake();
    },
  };
}

export type SpendGate = ReturnType<typeof createSpendGate>;
