import { AppError } from '@promptline/core';
import { z } from 'zod';

const LogLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

/** The server's configuration, validated once at start. */
export const ServerConfig = z.object({
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
  /**
   * How long a job claim holds without renewal (default 30 s, renewed every third of it): a job of
   * an instance that died is picked up again this long after. Lower means faster failover, more writes.
   */
  jobLeaseMs: z.coerce.number().int().min(1_000).max(3_600_000).optional(),
  /** How often each instance polls the job queue for due jobs (default 1 s). Lower means less delay, more queries. */
  jobPollMs: z.coerce.number().int().min(10).max(60_000).optional(),
});

export type ServerConfig = z.infer<typeof ServerConfig>;

/**
 * Reads the configuration from environment variables (`PROMPTLINE_PORT`, `PROMPTLINE_HOST`,
 * `PROMPTLINE_DATA_DIR`, `PROMPTLINE_DATABASE_URL`, `PROMPTLINE_API_KEY`, `PROMPTLINE_LOG_LEVEL`,
 * `PROMPTLINE_SECRET_KEY`, `PROMPTLINE_JOB_LEASE_MS`, `PROMPTLINE_JOB_POLL_MS`).
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
    jobLeaseMs: blank(env.PROMPTLINE_JOB_LEASE_MS),
    jobPollMs: blank(env.PROMPTLINE_JOB_POLL_MS),
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
      jobLeaseMs: 'PROMPTLINE_JOB_LEASE_MS',
      jobPollMs: 'PROMPTLINE_JOB_POLL_MS',
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
