import { expect, it } from 'vitest';
import { createLocalChangeFeed, type DeploymentChange } from '../live/change-feed.ts';
import { describeServer, p } from '../test-helpers/index.ts';

const feed = createLocalChangeFeed();
const seen: DeploymentChange[] = [];
feed.subscribe((change) => seen.push(change));

describeServer(
  (ctx) => {
    it('publishes deploys and rollbacks on the app’s change feed, and nothing for a failed deploy', async () => {
      const { api } = ctx();
      seen.length = 0;
      await api.post('/api/v1/prompts', { name: 'feed/a', version: { type: 'text', template: 'one' } });
      await api.post(`${p('feed/a')}/versions`, { type: 'text', template: 'two' });
      await api.put(`${p('feed/a')}/deployments/staging`, { version: 1 });
      await api.put(`${p('feed/a')}/deployments/staging`, { version: 2 });
      await api.put(`${p('feed/a')}/deployments/staging`, { version: 7 });
      await api.post(`${p('feed/a')}/deployments/staging/rollback`);
      expect(seen.map((c) => `${c.environment}/${c.prompt}`)).toEqual([
        'staging/feed/a',
        'staging/feed/a',
        'staging/feed/a',
      ]);
      expect(seen[0]?.projectId).toMatch(/^\d+$/);
    });

    it('a change published by another instance invalidates this one’s cached snapshot', async () => {
      const { api, server } = ctx();
      await api.put(`${p('feed/a')}/deployments/development`, { version: 1 });
      expect((await api.get(`${p('feed/a')}/resolve?env=development`)).body.version).toBe(1);
      // Simulate another instance: write through SQL, then announce it on the shared feed.
      const history = await api.get(`${p('feed/a')}/deployments/development`);
      await server.database.exec(
        `update deployments set variants = '[{"version":2,"weight":10000}]' where history_id = ${history.body.historyId}`,
      );
      expect((await api.get(`${p('feed/a')}/resolve?env=development`)).body.version).toBe(1);
      feed.publish({ projectId: String(seen[0]?.projectId), environment: 'development', prompt: 'feed/a' });
      expect((await api.get(`${p('feed/a')}/resolve?env=development`)).body.version).toBe(2);
    });
  },
  { changeFeed: feed },
);
