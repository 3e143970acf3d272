import { expect, it } from 'vitest';
import { loadConfig, rateLimitSettings } from './config.ts';
import { DEFAULT_RATE_LIMITS } from './http/rate-limit.ts';

it('defaults to port 4100 on 127.0.0.1 (this machine only) with SQLite under ./.promptline', () => {
  expect(loadConfig({})).toEqual({
    port: 4100,
    host: '127.0.0.1',
    dataDir: './.promptline',
    logLevel: 'info',
    metrics: true,
    rateLimit: true,
  });
});

it('reads every PROMPTLINE_ variable, treating blanks as unset', () => {
  const config = loadConfig({
    PROMPTLINE_PORT: '8080',
    PROMPTLINE_HOST: '0.0.0.0',
    PROMPTLINE_DATA_DIR: '/var/lib/promptline',
    PROMPTLINE_DATABASE_URL: 'postgres://u@db:5432/pl',
    PROMPTLINE_API_KEY: 'pl_0123456789abcdef',
    PROMPTLINE_LOG_LEVEL: 'debug',
    UNRELATED: 'x',
  });
  expect(config).toMatchObject({
    port: 8080,
    host: '0.0.0.0',
    databaseUrl: 'postgres://u@db:5432/pl',
    logLevel: 'debug',
  });
  expect(loadConfig({ PROMPTLINE_API_KEY: '  ' }).apiKey).toBeUndefined();
});

it('names each invalid variable in a CONFIG_INVALID error', () => {
  expect(() => loadConfig({ PROMPTLINE_PORT: 'abc', PROMPTLINE_DATABASE_URL: 'mysql://x' })).toThrowError(
    expect.objectContaining({
      code: 'CONFIG_INVALID',
      message: expect.stringMatching(/PROMPTLINE_PORT.*PROMPTLINE_DATABASE_URL/),
    }),
  );
  expect(() => loadConfig({ PROMPTLINE_API_KEY: 'short' })).toThrowError(/PROMPTLINE_API_KEY/);
});

it('reads the job runner timings and refuses values that would break it', () => {
  expect(loadConfig({ PROMPTLINE_JOB_LEASE_MS: '10000', PROMPTLINE_JOB_POLL_MS: '250' })).toMatchObject({
    jobLeaseMs: 10_000,
    jobPollMs: 250,
  });
  expect(loadConfig({}).jobLeaseMs).toBeUndefined();
  expect(() => loadConfig({ PROMPTLINE_JOB_LEASE_MS: '500', PROMPTLINE_JOB_POLL_MS: '0' })).toThrowError(
    expect.objectContaining({
      code: 'CONFIG_INVALID',
      message: expect.stringMatching(/PROMPTLINE_JOB_LEASE_MS.*PROMPTLINE_JOB_POLL_MS/),
    }),
  );
});

it('reads the metrics and rate-limit settings: on/off, the metrics token, and budgets as <count>/<window> or off', () => {
  const config = loadConfig({
    PROMPTLINE_METRICS: 'off',
    PROMPTLINE_METRICS_TOKEN: 'metrics-token-0123456789',
    PROMPTLINE_RATE_LIMIT_SERVE: '20000/10s',
    PROMPTLINE_RATE_LIMIT_WRITE: '600/1m',
    PROMPTLINE_RATE_LIMIT_READ: 'off',
  });
  expect(config).toMatchObject({ metrics: false, metricsToken: 'metrics-token-0123456789', rateLimit: true });
  expect(rateLimitSettings(config)).toEqual({
    serve: { max: 20_000, windowMs: 10_000 },
    ingest: DEFAULT_RATE_LIMITS.ingest,
    write: { max: 600, windowMs: 60_000 },
    read: null,
  });
  expect(rateLimitSettings(loadConfig({ PROMPTLINE_RATE_LIMIT: 'off' }))).toBe(false);
  expect(rateLimitSettings(loadConfig({}))).toEqual(DEFAULT_RATE_LIMITS);
  expect(() =>
    loadConfig({
      PROMPTLINE_RATE_LIMIT_INGEST: '100 per second',
      PROMPTLINE_RATE_LIMIT: 'maybe',
      PROMPTLINE_METRICS_TOKEN: 'short',
    }),
  ).toThrowError(
    expect.objectContaining({
      code: 'CONFIG_INVALID',
      message: expect.stringMatching(
        /PROMPTLINE_METRICS_TOKEN: use at least 16.*PROMPTLINE_RATE_LIMIT: use on or off.*PROMPTLINE_RATE_LIMIT_INGEST: "100 per second" is not a budget/,
      ),
    }),
  );
});

it('reads single sign-on: issuer, client, public URL, default role, domains, group → role map', async () => {
  const { oidcSettingsOf } = await import('./oidc/settings.ts');
  const config = loadConfig({
    PROMPTLINE_PUBLIC_URL: 'https://promptline.example.com/',
    PROMPTLINE_OIDC_ISSUER: 'https://login.example.com/realms/acme',
    PROMPTLINE_OIDC_CLIENT_ID: 'promptline',
    PROMPTLINE_OIDC_CLIENT_SECRET: 's3cret',
    PROMPTLINE_OIDC_DEFAULT_ROLE: 'reviewer',
    PROMPTLINE_OIDC_ALLOWED_DOMAINS: 'Example.com, @acme.org',
    PROMPTLINE_OIDC_ROLE_MAP: 'pl-admins=admin, team=writers=editor',
  });
  expect(oidcSettingsOf(config)).toEqual({
    issuer: 'https://login.example.com/realms/acme',
    clientId: 'promptline',
    clientSecret: 's3cret',
    redirectUri: 'https://promptline.example.com/auth/oidc/callback',
    defaultRole: 'reviewer',
    allowedDomains: ['example.com', 'acme.org'],
    groupsClaim: 'groups',
    roleMap: { 'pl-admins': 'admin', 'team=writers': 'editor' },
    scopes: 'openid email profile',
  });
  expect(oidcSettingsOf(loadConfig({}))).toBeUndefined();
});

it('refuses an SSO configuration that cannot work, naming the variables', () => {
  expect(() => loadConfig({ PROMPTLINE_OIDC_ISSUER: 'https://login.example.com' })).toThrowError(
    /PROMPTLINE_OIDC_CLIENT_ID: required.*PROMPTLINE_PUBLIC_URL: required/,
  );
  expect(() =>
    loadConfig({
      PROMPTLINE_PUBLIC_URL: 'https://p.example.com',
      PROMPTLINE_OIDC_ISSUER: 'https://login.example.com',
      PROMPTLINE_OIDC_CLIENT_ID: 'x',
      PROMPTLINE_OIDC_ROLE_MAP: 'admins=owner',
    }),
  ).toThrowError(/PROMPTLINE_OIDC_ROLE_MAP: "admins=owner" is not <group>=<role>/);
  expect(() => loadConfig({ PROMPTLINE_OIDC_DEFAULT_ROLE: 'root' })).toThrowError(
    /PROMPTLINE_OIDC_DEFAULT_ROLE/,
  );
});
