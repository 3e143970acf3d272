import { expect, it } from 'vitest';
import { loadConfig } from './config.ts';

it('defaults to port 4100 on 127.0.0.1 (this machine only) with SQLite under ./.promptline', () => {
  expect(loadConfig({})).toEqual({
    port: 4100,
    host: '127.0.0.1',
    dataDir: './.promptline',
    logLevel: 'info',
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
