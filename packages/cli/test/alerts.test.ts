/**
 * Black-box test of `promptline alerts`: the real bin against a real server, on SQLite and on
 * PostgreSQL, whose alert job runs every second, so a rule fires on the spans posted here.
 */
import { randomBytes } from 'node:crypto';
import { DIALECTS, startTestServer, type TestServer } from '@promptline/server/test-helpers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliResult, runCli } from './run-cli.ts';

const PROMPT = 'cli/alerted';

const span = (status: 'ok' | 'error') => {
  const start = Date.now() - 60_000;
  return {
    traceId: randomBytes(16).toString('hex'),
    spanId: randomBytes(8).toString('hex'),
    name: 'chat',
    startTime: start,
    endTime: start + 100,
    status,
    prompt: { name: PROMPT, version: 1, environment: 'production' },
  };
};

for (const dialect of DIALECTS) {
  // Every step spawns the CLI; on a loaded machine one run can take seconds.
  describe(`promptline alerts on ${dialect}`, { timeout: 180_000 }, () => {
    let server: TestServer;
    const run = (...args: string[]): Promise<CliResult> => runCli(args, { server });

    async function api(method: string, path: string, body: unknown): Promise<number> {
      const response = await fetch(`${server.url}/api/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${server.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      await response.body?.cancel();
      return response.status;
    }

    beforeAll(async () => {
      server = await startTestServer({
        dialect,
        jobs: { pollMs: 20, backoffMs: 50 },
        alerts: { everySeconds: 1 },
      });
      expect(await api('POST', '/prompts', { name: PROMPT, version: { type: 'text', template: 'Hi' } })).toBe(
        201,
      );
    });
    afterAll(async () => server?.close());

    it('creates a rule, lists it, shows it firing with its transition, updates and deletes it', async () => {
      const created = await run(
        'alerts',
        'create',
        'alerted errors',
        '--prompt',
        PROMPT,
        '--env',
        'production',
        '--metric',
        'errorRate',
        '--above',
        '0.2',
        '--resolve',
        '0.1',
        '--window',
        '5',
        '--min-samples',
        '2',
      );
      expect(created.stderr).toBe('');
      expect(created.code).toBe(0);
      const id = /#(\d+)/.exec(created.stdout)?.[1] ?? '';
      expect(created.stdout).toBe(
        `Created alert #${id} "alerted errors": errorRate of ${PROMPT} in production > 0.2 (resolves ≤ 0.1) over 5 min\n`,
      );

      const list = await run('alerts', 'list');
      expect(list.code).toBe(0);
      expect(list.stdout.split('\n')[0]?.split(/\s{2,}/)).toEqual([
        'ID',
        'NAME',
        'METRIC',
        'SCOPE',
        'CONDITION',
        'STATE',
        'LAST VALUE',
      ]);
      expect(list.stdout).toMatch(
        new RegExp(
          `${id}\\s+alerted errors\\s+errorRate\\s+${PROMPT} in production\\s+> 0\\.2 \\(resolves ≤ 0\\.1\\) over 5m\\s+ok`,
        ),
      );

      expect(await api('POST', '/traces', { spans: [span('error'), span('error'), span('ok')] })).toBe(202);
      const deadline = Date.now() + 60_000;
      let state = '';
      while (state !== 'firing') {
        if (Date.now() > deadline) throw new Error(`the rule did not fire (state ${state})`);
        const shown = await run('alerts', 'show', id, '--json');
        expect(shown.code, shown.stderr).toBe(0);
        state = JSON.parse(shown.stdout).state;
      }
      const shown = await run('alerts', 'show', id);
      expect(shown.code).toBe(0);
      const lines = shown.stdout.trimEnd().split('\n');
      expect(lines[0]).toMatch(new RegExp(`^alert #${id} "alerted errors": firing since \\S+$`));
      expect(lines[1]).toBe(
        `watches: errorRate of ${PROMPT} in production over 5 min, fires at > 0.2 (resolves ≤ 0.1), needs 2 samples`,
      );
      expect(lines[2]).toMatch(/^last value: 0\.666667 at \S+$/);
      expect(lines[4]?.split(/\s+/)).toEqual(['AT', 'FROM', 'TO', 'VALUE', 'BASELINE', 'SAMPLES']);
      expect(lines[5]?.split(/\s+/).slice(1)).toEqual(['ok', 'firing', '0.666667', '-', '3']);

      const updated = await run('alerts', 'update', id, '--name', 'renamed', '--below', '0.5', '--disable');
      expect(updated.code, updated.stderr).toBe(0);
      expect(updated.stdout).toContain(`alert #${id} "renamed"`);
      expect(updated.stdout).toContain('(disabled)');
      expect(updated.stdout).toContain('fires at < 0.5, needs 2 samples');

      const deleted = await run('alerts', 'delete', id);
      expect(deleted.stdout).toBe(`Deleted alert #${id}\n`);
      const gone = await run('alerts', 'show', id);
      expect(gone.code).toBe(1);
      expect(gone.stderr).toContain('ALERT_RULE_NOT_FOUND');
    });

    it('refuses bad usage with exit 2 naming the CLI’s flag, before any request', async () => {
      const cases: [string[], string][] = [
        [['create', 'x', '--above', '1'], '--metric is required'],
        [['create', 'x', '--metric', 'volume'], 'give when it fires: --above'],
        [['create', 'x', '--metric', 'volume', '--above', '1', '--below', '2'], '--above and --below'],
        [['create', 'x', '--metric', 'volume', '--above', 'lots'], '--above takes a number'],
        [
          ['create', 'x', '--metric', 'errorRate', '--above', '0.1', '--resolve', '0.2'],
          '--resolve: must be on',
        ],
        [
          ['create', 'x', '--metric', 'scoreMean', '--below', '0.5'],
          '--score: scoreMean needs the score name',
        ],
        [['create', 'x', '--metric', 'volume', '--above', '1', '--window', '99999'], '--window: '],
        [
          ['create', 'x', '--metric', 'volume', '--increase', '50', '--resolve', '60'],
          '--resolve: must be ≤',
        ],
        [
          ['create', 'x', '--metric', 'volume', '--version', '2', '--above', '1'],
          '--version: a version needs',
        ],
        [['update', '1'], 'nothing to change'],
        [['update', '1', '--enable', '--disable'], 'give --enable or --disable, not both'],
        [['show', 'one'], 'the id must be a positive whole number'],
      ];
      for (const [args, message] of cases) {
        const result = await run('alerts', ...args);
        expect(result.code, args.join(' ')).toBe(2);
        expect(result.stderr, args.join(' ')).toContain(message);
      }
      const list = await run('alerts', 'list', '--json');
      expect(JSON.parse(list.stdout)).toEqual({ items: [] });
    });
  });
}
