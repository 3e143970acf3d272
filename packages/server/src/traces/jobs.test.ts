import { expect, it } from 'vitest';
import { describeServer } from '../test-helpers/index.ts';
import { PARTITIONS_JOB, RETENTION_JOB } from './maintenance.ts';
import { createPartitionStore, DAY_MS, partitionName } from './partition-store.ts';

describeServer((ctx, dialect) => {
  const succeeded = async (kind: string) => {
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      const page = await ctx().api.get(`/api/v1/jobs?kind=${kind}&status=succeeded`);
      expect(page.status).toBe(200);
      if (page.body.items.length > 0) return true;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return false;
  };

  it('the server runs span retention on its schedule from the start', async () => {
    expect(await succeeded(RETENTION_JOB)).toBe(true);
  });

  if (dialect === 'postgres') {
    it('on PostgreSQL the server creates the daily span partitions ahead from the start', async () => {
      expect(await succeeded(PARTITIONS_JOB)).toBe(true);
      const partitions = await createPartitionStore().list(ctx().server.database.db);
      const today = Math.floor(Date.now() / DAY_MS) * DAY_MS;
      for (let day = today - DAY_MS; day <= today + 3 * DAY_MS; day += DAY_MS) {
        expect(partitions).toContain(partitionName(day));
      }
    });
  }
});
