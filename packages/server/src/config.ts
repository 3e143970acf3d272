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
});

export type ServerConfig = z.infer<typeof ServerConfig>;

/**
 * Reads the configuration from environment variables (`PROMPTLINE_PORT`, `PROMPTLINE_HOST`,
 * `PROMPTLINE_DATA_DIR`, `PROMPTLINE_DATABASE_URL`, `PROMPTLINE_API_KEY`, `PROMPTLINE_LOG_LEVEL`,
 * `PROMPTLINE_SECRET_KEY`).
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
