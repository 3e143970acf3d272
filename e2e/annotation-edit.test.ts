/**
 * Editing and deleting score definitions and annotation queues in a real Chromium against the real
 * server (SQLite and PostgreSQL): a range and categories changed, a bad range and a definition in
 * use refused with the API's problem shown in the dialog, an unused definition deleted; a queue's
 * name, description, definitions, assignees and sampling rule changed and stopped, a name taken by
 * another queue refused, the queue deleted after a confirmation. Every change is read back through
 * the API, audit included. Screenshots go to test-results/annotation-edit/.
 */
import { join } from 'node:path';
import { startTestServer, type TestServer } from '@promptline/server/test-helpers';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiCall } from './api.ts';
import { openBrowser, prepareBrowserTest, shotsDir } from './browser.ts';

/** expect.poll with room for a loaded machine (its default gives up after 1 s). */
const poll = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 15_000, interval: 100 });
const SHOTS = shotsDir('annotation-edit');
/** The refusals this test provokes on purpose: the browser logs each failed request. */
const EXPECTED = /status of (409|422) .*\/api\/v1\/(score-definitions|annotation-queues)\/\d+$/;

describe.each(['sqlite', 'postgres'] as const)(
  'editing score definitions and queues in Chromium (%s)',
  (dialect) => {
    let api: TestServer;
    let browser: Browser;
    let page: Page;
    const consoleErrors: string[] = [];
    const call = (method: string, path: string, body?: unknown) => apiCall(api, method, path, body);
    const unexpectedErrors = () => consoleErrors.filter((e) => !EXPECTED.test(e)).join('\n');
    const definition = async (name: string) =>
      (await call('GET', '/score-definitions')).items.find((d: { name: string }) => d.name === name);
    let queueId = 0;

    beforeAll(async () => {
      await prepareBrowserTest(join(SHOTS, dialect));
      api = await startTestServer({ dialect });
      await call('POST', '/score-definitions', { name: 'correctness', dataType: 'numeric', min: 1, max: 5 });
      await call('POST', '/score-definitions', { name: 'policy-ok', dataType: 'boolean' });
      await call('POST', '/score-definitions', {
        name: 'tone',
        dataType: 'categorical',
        categories: ['friendly', 'neutral', 'rude'],
      });
      await call('POST', '/score-definitions', { name: 'spare', dataType: 'boolean' });
      queueId = (
        await call('POST', '/annotation-queues', {
          name: 'refund review',
          scoreDefinitions: ['correctness', 'tone'],
        })
      ).id;
      await call('POST', '/annotation-queues', { name: 'billing review', scoreDefinitions: ['policy-ok'] });
      ({ browser, page } = await openBrowser({
        viewport: { width: 1400, height: 1000 },
        timeout: 15_000,
        errors: consoleErrors,
        signIn: { url: api.url, key: api.apiKey },
      }));
    });

    afterAll(async () => {
      await browser?.close();
      await api?.close();
    });

    it('edits a range and categories, shows a refused range, refuses deleting a definition in use and deletes an unused one', async () => {
      await page.goto(`${api.url}/queues`);
      const section = page.getByRole('region', { name: 'Score definitions' });
      await section.getByTestId('definition-correctness').waitFor();

      await section.getByRole('button', { name: 'Edit correctness' }).click();
      const edit = page.getByRole('dialog', { name: 'Edit score “correctness”' });
      expect(await edit.getByRole('spinbutton', { name: 'Max' }).inputValue()).toBe('5');
      // min above max: the server's refusal, shown in the dialog; nothing changes.
      await edit.getByRole('spinbutton', { name: 'Min' }).fill('8');
      await edit.getByRole('button', { name: 'Save definition' }).click();
      await edit.getByRole('alert').waitFor();
      expect(await edit.getByRole('alert').textContent()).toContain('VALIDATION_FAILED');
      expect(await definition('correctness')).toMatchObject({ min: 1, max: 5 });
      await edit.getByRole('spinbutton', { name: 'Min' }).fill('0');
      await edit.getByRole('spinbutton', { name: 'Max' }).fill('10');
      await edit.getByRole('textbox', { name: 'Description' }).fill('Is the answer right? 0–10');
      await edit.getByRole('button', { name: 'Save definition' }).click();
      await poll(() => edit.count()).toBe(0);
      await poll(() => section.getByTestId('definition-correctness').textContent()).toContain(
        'number 0 … 10',
      );
      expect(await definition('correctness')).toMatchObject({
        dataType: 'numeric',
        min: 0,
        max: 10,
        description: 'Is the answer right? 0–10',
      });

      await section.getByRole('button', { name: 'Edit tone' }).click();
      const tone = page.getByRole('dialog', { name: 'Edit score “tone”' });
      await tone.getByRole('textbox', { name: /^Categories/ }).fill('friendly, neutral, curt, rude');
      await tone.getByRole('button', { name: 'Save definition' }).click();
      await poll(() => tone.count()).toBe(0);
      expect((await definition('tone')).categories).toEqual(['friendly', 'neutral', 'curt', 'rude']);

      // tone is used by "refund review": the confirm dialog shows the server's 409.
      await section.getByRole('button', { name: 'Delete tone' }).click();
      const confirm = page.getByRole('dialog', { name: 'Delete score “tone”?' });
      await confirm.getByRole('button', { name: 'Delete definition' }).click();
      await confirm.getByRole('alert').waitFor();
      expect(await confirm.getByRole('alert').textContent()).toContain('SCORE_DEFINITION_IN_USE');
      await page.screenshot({ path: join(SHOTS, dialect, '01-definition-in-use.png'), fullPage: true });
      await confirm.getByRole('button', { name: 'Cancel' }).click();
      expect(await definition('tone')).toBeDefined();

      await section.getByRole('button', { name: 'Delete spare' }).click();
      await page
        .getByRole('dialog', { name: 'Delete score “spare”?' })
        .getByRole('button', { name: 'Delete definition' })
        .click();
      await poll(() => section.getByTestId('definition-spare').count()).toBe(0);
      expect(await definition('spare')).toBeUndefined();

      const actions = (await call('GET', '/audit?limit=100')).items
        .map((e: { action: string }) => e.action)
        .filter((a: string) => a.startsWith('score_definition.'));
      expect(actions.slice(0, 3)).toEqual([
        'score_definition.delete',
        'score_definition.update',
        'score_definition.update',
      ]);
      expect(unexpectedErrors()).toBe('');
    });

    it('edits a queue’s name, description, scores, assignees and sampling; refuses a taken name; stops sampling', async () => {
      await page.goto(`${api.url}/queues/${queueId}`);
      await page.getByRole('heading', { name: 'refund review', level: 1 }).waitFor();
      await page.getByRole('button', { name: 'Edit queue' }).click();
      const edit = page.getByRole('dialog', { name: 'Edit queue “refund review”' });
      expect(await edit.getByRole('checkbox', { name: /^tone/ }).isChecked()).toBe(true);

      // A name another queue has: the server's 409 in the dialog, nothing saved.
      await edit.getByRole('textbox', { name: 'Name' }).fill('billing review');
      await edit.getByRole('button', { name: 'Save queue' }).click();
      await edit.getByRole('alert').waitFor();
      expect(await edit.getByRole('alert').textContent()).toContain('ANNOTATION_QUEUE_EXISTS');
      expect((await call('GET', `/annotation-queues/${queueId}`)).name).toBe('refund review');

      await edit.getByRole('textbox', { name: 'Name' }).fill('refund answers');
      await edit.getByRole('textbox', { name: 'Description' }).fill('Are refund answers right and kind?');
      await edit.getByRole('checkbox', { name: /^tone/ }).uncheck();
      await edit.getByRole('checkbox', { name: /^policy-ok/ }).check();
      await edit.getByRole('textbox', { name: /^Assignees/ }).fill('ana@example.com, bo@example.com');
      await edit.getByRole('checkbox', { name: 'Sample new traces into the queue' }).check();
      await edit.getByRole('textbox', { name: 'Prompt' }).fill('support/refunds');
      await edit.getByRole('textbox', { name: 'Environment' }).fill('production');
      await edit.getByRole('spinbutton', { name: 'Rate (%)' }).fill('25');
      await page.screenshot({ path: join(SHOTS, dialect, '02-queue-edit.png'), fullPage: true });
      await edit.getByRole('button', { name: 'Save queue' }).click();
      await poll(() => edit.count()).toBe(0);
      await page.getByRole('heading', { name: 'refund answers', level: 1 }).waitFor();
      await poll(() => page.getByTestId('queue-sampling').textContent()).toBe(
        'Samples 25% of the new traces of support/refunds in production.',
      );
      expect(await page.getByText('Assigned to ana@example.com, bo@example.com').count()).toBe(1);
      expect(await call('GET', `/annotation-queues/${queueId}`)).toMatchObject({
        name: 'refund answers',
        description: 'Are refund answers right and kind?',
        scoreDefinitions: ['correctness', 'policy-ok'],
        assignees: ['ana@example.com', 'bo@example.com'],
        sampling: { prompt: 'support/refunds', env: 'production', rate: 0.25 },
      });

      // A rate over 100 % is the server's to refuse.
      await page.getByRole('button', { name: 'Edit queue' }).click();
      const again = page.getByRole('dialog', { name: 'Edit queue “refund answers”' });
      expect(await again.getByRole('spinbutton', { name: 'Rate (%)' }).inputValue()).toBe('25');
      await again.getByRole('spinbutton', { name: 'Rate (%)' }).fill('150');
      await again.getByRole('button', { name: 'Save queue' }).click();
      await again.getByRole('alert').waitFor();
      expect(await again.getByRole('alert').textContent()).toContain('sampling.rate');
      // Off: sampling stops.
      await again.getByRole('checkbox', { name: 'Sample new traces into the queue' }).uncheck();
      await again.getByRole('button', { name: 'Save queue' }).click();
      await poll(() => again.count()).toBe(0);
      await poll(() => page.getByTestId('queue-sampling').count()).toBe(0);
      expect((await call('GET', `/annotation-queues/${queueId}`)).sampling).toBeNull();

      const [latest, first] = (await call('GET', '/audit?action=annotation_queue.update')).items;
      expect(latest.data.after).toEqual({ sampling: null });
      expect(Object.keys(first.data.after).sort()).toEqual([
        'assignees',
        'description',
        'name',
        'sampling',
        'scoreDefinitions',
      ]);
      expect(unexpectedErrors()).toBe('');
    });

    it('deletes a definition once no queue uses it, and a queue after a confirmation', async () => {
      // "refund answers" no longer uses tone: it can go now.
      await page.goto(`${api.url}/queues`);
      const section = page.getByRole('region', { name: 'Score definitions' });
      await section.getByRole('button', { name: 'Delete tone' }).click();
      await page
        .getByRole('dialog', { name: 'Delete score “tone”?' })
        .getByRole('button', { name: 'Delete definition' })
        .click();
      await poll(() => section.getByTestId('definition-tone').count()).toBe(0);

      await page.goto(`${api.url}/queues/${queueId}`);
      await page.getByRole('button', { name: 'Delete queue' }).click();
      const confirm = page.getByRole('dialog', { name: 'Delete queue “refund answers”?' });
      // Cancel keeps it.
      await confirm.getByRole('button', { name: 'Cancel' }).click();
      await poll(() => confirm.count()).toBe(0);
      expect((await call('GET', '/annotation-queues')).items).toHaveLength(2);
      await page.getByRole('button', { name: 'Delete queue' }).click();
      await confirm.getByRole('button', { name: 'Delete queue' }).click();
      await poll(() => new URL(page.url()).pathname).toBe('/queues');
      await poll(() => page.getByTestId('queue-row').count()).toBe(1);
      expect(await page.getByTestId('queue-row').textContent()).toContain('billing review');
      expect((await call('GET', '/annotation-queues')).items.map((q: { name: string }) => q.name)).toEqual([
        'billing review',
      ]);
      const [deleted] = (await call('GET', '/audit?action=annotation_queue.delete')).items;
      expect(deleted).toMatchObject({
        target: String(queueId),
        data: { before: { name: 'refund answers' } },
      });
      await page.screenshot({ path: join(SHOTS, dialect, '03-queue-deleted.png'), fullPage: true });
      expect(unexpectedErrors()).toBe('');
    });
  },
);
