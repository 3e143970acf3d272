import { AppError, Role } from '@promptline/core';
import { z } from 'zod';
import {
  type Budget,
  DEFAULT_RATE_LIMITS,
  parseBudgetLimit,
  type RateLimitSettings,
} from './http/rate-limit.ts';
import { DomainList, RoleMapText } from './oidc/settings.ts';
import { DEFAULT_PASSWORD_SETTINGS, type PasswordSettings } from './passwords/service.ts';

const LogLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

const OnOff = z.enum(['on', 'off'], { message: 'use on or off' }).transform((value) => value === 'on');

/** `<count>/<window>` (20000/10s, 600/1m) or `off`. */
const BudgetText = z.string().transform((text, ctx) => {
  try {
    return parseBudgetLimit(text);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: error instanceof Error ? error.message : String(error) });
    return z.NEVER;
  }
});

/** The server's configuration, validated once at start. */
export const ServerConfig = z
  .object({
    port: z.coerce.number().int().min(0).max(65_535).default(4100),
    // Loopback by default: a fresh install is reachable only from this machine until someone
    // decides otherwise (PROMPTLINE_HOST=0.0.0.0 in a container or behind a proxy).
    host: z.string().min(1).default('127.0.0.1'),
    dataDir: z.string().min(1).default('./.promptline'),
    databaseUrl: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'use a postgres:// URL, or leave it unset for the embedded SQLite')
      .optional(),
    apiKey: z.string().min(16, 'use at least 16 characters').optional(),
    logLevel: LogLevel.default('info'),
    /** 32 bytes (base64 or hex) that encrypt provider credentials; default: `<dataDir>/secret.key`, made on first start. */
    secretKey: z.string().min(1).optional(),
    /** PEM (PKCS#8) Ed25519 key signing audit checkpoints; default: `<dataDir>/audit-signing.pem`, made on first start. */
    auditSigningKey: z.string().min(1).optional(),
    /**
     * How long a job claim holds without renewal (default 30 s, renewed every third of it): a job of
     * an instance that died is picked up again this long after. Lower means faster failover, more writes.
     */
    jobLeaseMs: z.coerce.number().int().min(1_000).max(3_600_000).optional(),
    /** How often each instance polls the job queue for due jobs (default 1 s). Lower means less delay, more queries. */
    jobPollMs: z.coerce.number().int().min(10).max(60_000).optional(),
    /** `GET /metrics` and the per-request accounting behind it (default on). */
    metrics: OnOff.default(true),
    /** Bearer token that opens `GET /metrics` from other machines (besides any API key). */
    metricsToken: z.string().min(16, 'use at least 16 characters').optional(),
    /** Rate limits per API key (default on, with generous budgets). */
    rateLimit: OnOff.default(true),
    rateLimitServe: BudgetText.optional(),
    rateLimitIngest: BudgetText.optional(),
    rateLimitWrite: BudgetText.optional(),
    rateLimitRead: BudgetText.optional(),
    /** The address people reach the server at (e.g. https://promptline.example.com): SSO's redirect URI is built from it. */
    publicUrl: z.url({ protocol: /^https?$/, message: 'use an http(s):// URL' }).optional(),
    /** Failed passwords in a row that lock an email (default 5). */
    passwordMaxFailures: z.coerce.number().int().min(1).max(1000).optional(),
    /** How long such a lockout lasts, in minutes (default 15). */
    passwordLockoutMinutes: z.coerce.number().int().min(1).max(10_080).optional(),
    /** Password attempts per client address (default `30/1m`), or `off`. */
    passwordRateLimit: BudgetText.optional(),
    /** OpenID Connect single sign-on (on when the issuer is set). */
    oidcIssuer: z.url({ protocol: /^https?$/, message: 'use an http(s):// URL' }).optional(),
    oidcClientId: z.string().min(1).optional(),
    oidcClientSecret: z.string().min(1).optional(),
    oidcDefaultRole: Role.optional(),
    oidcAllowedDomains: DomainList.optional(),
    oidcGroupsClaim: z.string().min(1).optional(),
    oidcRoleMap: RoleMapText.optional(),
    oidcScopes: z
      .string()
      .regex(/(^|\s)openid(\s|$)/, 'the scopes must include openid')
      .optional(),
  })
  .superRefine((config, ctx) => {
    if (!config.oidcIssuer) return;
    if (!config.oidcClientId)
      ctx.addIssue({
        code: 'custom',
        path: ['oidcClientId'],
        message: 'required when PROMPTLINE_OIDC_ISSUER is set',
      });
    if (!config.publicUrl)
      ctx.addIssue({
        code: 'custom',
        path: ['publicUrl'],
        message:
          'required when PROMPTLINE_OIDC_ISSUER is set (the redirect URI is <public url>/auth/oidc/callback)',
      });
  });

export type ServerConfig = z.infer<typeof ServerConfig>;

/**
 * Reads the configuration from environment variables (`PROMPTLINE_PORT`, `PROMPTLINE_HOST`,
 * `PROMPTLINE_DATA_DIR`, `PROMPTLINE_DATABASE_URL`, `PROMPTLINE_API_KEY`, `PROMPTLINE_LOG_LEVEL`,
 * `PROMPTLINE_SECRET_KEY`, `PROMPTLINE_AUDIT_SIGNING_KEY`, `PROMPTLINE_JOB_LEASE_MS`, `PROMPTLINE_JOB_POLL_MS`,
 * `PROMPTLINE_METRICS`, `PROMPTLINE_METRICS_TOKEN`, `PROMPTLINE_RATE_LIMIT`,
 * `PROMPTLINE_RATE_LIMIT_SERVE|INGEST|WRITE|READ`, `PROMPTLINE_PASSWORD_MAX_FAILURES|LOCKOUT_MINUTES|RATE_LIMIT`, `PROMPTLINE_PUBLIC_URL`, `PROMPTLINE_OIDC_ISSUER|CLIENT_ID|
 * CLIENT_SECRET|DEFAULT_ROLE|ALLOWED_DOMAINS|GROUPS_CLAIM|ROLE_MAP|SCOPES`).
 *
 * @throws AppError CONFIG_INVALID naming each bad variable.
 */
export function loadConfig(env: Record<string, string | undefined>): ServerConfig {
  const blank = (v: string | undefined) => (v === undefined || v.trim() === '' ? undefined : v.trim());
  const raw = {
    port: blank(env.PROMPTLINE_PORT),
    host: blank(env.PROMPTLINE_HOST),
    dataDir: blank(env.PROMPTLINE_DATA_DIR),
    databaseUrl: blank(env.PROMPTLINE_DATABASE_URL),
    apiKey: blank(env.PROMPTLINE_API_KEY),
    logLevel: blank(env.PROMPTLINE_LOG_LEVEL),
    secretKey: blank(env.PROMPTLINE_SECRET_KEY),
    auditSigningKey: blank(env.PROMPTLINE_AUDIT_SIGNING_KEY),
    jobLeaseMs: blank(env.PROMPTLINE_JOB_LEASE_MS),
    jobPollMs: blank(env.PROMPTLINE_JOB_POLL_MS),
    metrics: blank(env.PROMPTLINE_METRICS),
    metricsToken: blank(env.PROMPTLINE_METRICS_TOKEN),
    rateLimit: blank(env.PROMPTLINE_RATE_LIMIT),
    rateLimitServe: blank(env.PROMPTLINE_RATE_LIMIT_SERVE),
    rateLimitIngest: blank(env.PROMPTLINE_RATE_LIMIT_INGEST),
    rateLimitWrite: blank(env.PROMPTLINE_RATE_LIMIT_WRITE),
    rateLimitRead: blank(env.PROMPTLINE_RATE_LIMIT_READ),
    publicUrl: blank(env.PROMPTLINE_PUBLIC_URL),
    passwordMaxFailures: blank(env.PROMPTLINE_PASSWORD_MAX_FAILURES),
    passwordLockoutMinutes: blank(env.PROMPTLINE_PASSWORD_LOCKOUT_MINUTES),
    passwordRateLimit: blank(env.PROMPTLINE_PASSWORD_RATE_LIMIT),
    oidcIssuer: blank(env.PROMPTLINE_OIDC_ISSUER),
    oidcClientId: blank(env.PROMPTLINE_OIDC_CLIENT_ID),
    oidcClientSecret: blank(env.PROMPTLINE_OIDC_CLIENT_SECRET),
    oidcDefaultRole: blank(env.PROMPTLINE_OIDC_DEFAULT_ROLE),
    oidcAllowedDomains: blank(env.PROMPTLINE_OIDC_ALLOWED_DOMAINS),
    oidcGroupsClaim: blank(env.PROMPTLINE_OIDC_GROUPS_CLAIM),
    oidcRoleMap: blank(env.PROMPTLINE_OIDC_ROLE_MAP),
    oidcScopes: blank(env.PROMPTLINE_OIDC_SCOPES),
  };
  const parsed = ServerConfig.safeParse(raw);
  if (!parsed.success) {
    const names: Record<string, string> = {
      port: 'PROMPTLINE_PORT',
      host: 'PROMPTLINE_HOST',
      dataDir: 'PROMPTLINE_DATA_DIR',
      databaseUrl: 'PROMPTLINE_DATABASE_URL',
      apiKey: 'PROMPTLINE_API_KEY',
      logLevel: 'PROMPTLINE_LOG_LEVEL',
      secretKey: 'PROMPTLINE_SECRET_KEY',
      auditSigningKey: 'PROMPTLINE_AUDIT_SIGNING_KEY',
      jobLeaseMs: 'PROMPTLINE_JOB_LEASE_MS',
      jobPollMs: 'PROMPTLINE_JOB_POLL_MS',
      metrics: 'PROMPTLINE_METRICS',
      metricsToken: 'PROMPTLINE_METRICS_TOKEN',
      rateLimit: 'PROMPTLINE_RATE_LIMIT',
      rateLimitServe: 'PROMPTLINE_RATE_LIMIT_SERVE',
      rateLimitIngest: 'PROMPTLINE_RATE_LIMIT_INGEST',
      rateLimitWrite: 'PROMPTLINE_RATE_LIMIT_WRITE',
      rateLimitRead: 'PROMPTLINE_RATE_LIMIT_READ',
      publicUrl: 'PROMPTLINE_PUBLIC_URL',
      passwordMaxFailures: 'PROMPTLINE_PASSWORD_MAX_FAILURES',
      passwordLockoutMinutes: 'PROMPTLINE_PASSWORD_LOCKOUT_MINUTES',
      passwordRateLimit: 'PROMPTLINE_PASSWORD_RATE_LIMIT',
      oidcIssuer: 'PROMPTLINE_OIDC_ISSUER',
      oidcClientId: 'PROMPTLINE_OIDC_CLIENT_ID',
      oidcClientSecret: 'PROMPTLINE_OIDC_CLIENT_SECRET',
      oidcDefaultRole: 'PROMPTLINE_OIDC_DEFAULT_ROLE',
      oidcAllowedDomains: 'PROMPTLINE_OIDC_ALLOWED_DOMAINS',
      oidcGroupsClaim: 'PROMPTLINE_OIDC_GROUPS_CLAIM',
      oidcRoleMap: 'PROMPTLINE_OIDC_ROLE_MAP',
      oidcScopes: 'PROMPTLINE_OIDC_SCOPES',
    };
    const errors = parsed.error.issues.map((issue) => ({
      path: names[String(issue.path[0])] ?? issue.path.join('.'),
      message: issue.message,
    }));
    throw new AppError(
      'CONFIG_INVALID',
      `Invalid configuration: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}. Fix the environment variables and restart.`,
      { errors },
    );
  }
  return parsed.data;
}

/** The rate-limit budgets the configuration asks for: the defaults with each variable set replacing its own; false when off. */
export function rateLimitSettings(config: ServerConfig): RateLimitSettings | false {
  if (!config.rateLimit) return false;
  const pick = (budget: Budget, value: ServerConfig['rateLimitServe']) =>
    value === undefined ? DEFAULT_RATE_LIMITS[budget] : value;
  return {
    serve: pick('serve', config.rateLimitServe),
    ingest: pick('ingest', config.rateLimitIngest),
    write: pick('write', config.rateLimitWrite),
    read: pick('read', config.rateLimitRead),
  };
}

/** Password lockout and throttling: the defaults with each variable set replacing its own. */
export function passwordSettings(config: ServerConfig): PasswordSettings {
  return {
    maxFailures: config.passwordMaxFailures ?? DEFAULT_PASSWORD_SETTINGS.maxFailures,
    lockoutMs:
      config.passwordLockoutMinutes === undefined
        ? DEFAULT_PASSWORD_SETTINGS.lockoutMs
        : config.passwordLockoutMinutes * 60_000,
    perAddress:
      config.passwordRateLimit === undefined
        ? DEFAULT_PASSWORD_SETTINGS.perAddress
        : config.passwordRateLimit,
  };
}
