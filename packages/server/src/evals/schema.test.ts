import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { bootstrap } from '../bootstrap.ts';
import { forEachDialect } from '../test-helpers/index.ts';
import { evalRunJobsMigration } from './schema.ts';

forEachDialect((_dialect, get) => {
  it('gives runs an older server left queued or running an eval.run job on upgrade, once', async () => {
    const database = get();
    const { projectId } = await bootstrap(database);
    const at = '2026-01-01T00:00:00.000Z';
    for (const status of ['queued', 'running', 'completed']) {
      await database.exec(`insert into eval_runs (project_id, prompt, source, status, spec, total, done, passed,
        failed, errors, cost_usd, cancel_requested, created_by, created_at, heartbeat_at)
        values (${projectId}, 'p', 'server', '${status}', '{}', 1, 0, 0, 0, 0, 0, 0, 'a', '${at}', '${at}')`);
    }
    await evalRunJobsMigration().up(database.db);
    await evalRunJobsMigration().up(database.db);
    const jobs = await sql<{ key: string; payload: string; status: string }>`
      select key, payload, status from jobs where kind = 'eval.run' order by key`.execute(database.db);
    expect(jobs.rows.map((j) => ({ ...j, payload: JSON.parse(j.payload) }))).toEqual([
      { key: 'eval.run:1', payload: { projectId, runId: 1 }, status: 'queued' },
      { key: 'eval.run:2', payload: { projectId, runId: 2 }, status: 'queued' },
    ]);
  });
});
