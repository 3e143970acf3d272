/** `.prompt` files (prompts as code) as the prompts of an eval suite: rendered as the registry renders them. */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEvalConfig } from './config.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'promptline-eval-prompt-files-'));
  await mkdir(join(dir, 'prompts', 'support'), { recursive: true });
  await writeFile(
    join(dir, 'prompts', 'support', 'triage.prompt'),
    '---\nmodel: mock/mock-1\n---\n{{role "system"}}\nBe brief.\n{{role "user"}}\nHello {{name}}\n',
  );
  await writeFile(
    join(dir, 'prompts', 'reply.prompt'),
    '---\ndescription: Replies\n---\nReply to {{ticket}}\n',
  );
  await writeFile(join(dir, 'prompts', 'broken.prompt'), '---\nmodle: x\n---\nhi\n');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function load(prompts: string[]) {
  const path = join(dir, `suite-${Math.random().toString(36).slice(2)}.yaml`);
  await writeFile(
    path,
    `prompts: [${prompts.map((p) => JSON.stringify(p)).join(', ')}]\nproviders: [echo]\ntests:\n  - vars: { name: Ada, ticket: t }\n`,
  );
  return loadEvalConfig(path, {});
}

describe('.prompt files in an eval suite', () => {
  it('reads text and chat prompt files as registry content, labelled by file name', async () => {
    const { suite } = await load(['file://prompts/support/triage.prompt', 'file://prompts/reply.prompt']);
    expect(suite.prompts).toEqual([
      {
        id: 'triage.prompt',
        label: 'triage.prompt',
        content: {
          type: 'registry',
          partials: {},
          content: {
            type: 'chat',
            messages: [
              { role: 'system', content: 'Be brief.' },
              { role: 'user', content: 'Hello {{name}}' },
            ],
          },
        },
      },
      {
        id: 'reply.prompt',
        label: 'reply.prompt',
        content: {
          type: 'registry',
          partials: {},
          content: { type: 'text', template: 'Reply to {{ticket}}' },
        },
      },
    ]);
  });

  it('refuses a file that does not parse, naming it', async () => {
    await expect(load(['file://prompts/broken.prompt'])).rejects.toThrow(
      /broken\.prompt: .*unknown key modle/,
    );
  });
});
