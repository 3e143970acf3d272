/**
 * SDK hot path: `client.prompt(name, { unit }).render(vars)` ops/s on one core, with a 1 KB,
 * 5-variable text template served by a local snapshot server over real HTTP — once as a plain
 * deployment (one variant) and once during a 10% rollout (two variants: the unit is hashed on every
 * call). In the same run, the Langfuse JS SDK's prompt `compile()` on the same template, from a
 * `TextPromptClient` built without network (what its cache hands back): only the render, so it is
 * the lower bound of Langfuse's cached path.
 *
 * Run: npm exec -- node --conditions=source bench/sdk-render.bench.ts
 * Needs: npm install --prefix bench/.scratch langfuse
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createClient } from '../packages/sdk/src/index.ts';
import { startSnapshotServer, textVersion } from '../packages/sdk/src/test-helpers/snapshot-server.ts';

// `langfuse` re-exports TextPromptClient in its types only; at runtime it lives in its dependency
// `langfuse-core`, the code Langfuse's prompt cache hands back.
const langfusePath = fileURLToPath(
  new URL('./.scratch/node_modules/langfuse-core/lib/index.mjs', import.meta.url),
);

// 1 KB, five variables, the shape of a real support prompt.
const filler =
  'Answer in the customer language, keep a friendly and professional tone, never promise refunds that policy does not allow, cite the order number when you refer to it, and escalate to a human when the customer asks for one or is upset. ';
const template =
  `You are the support assistant of {{company}}. The customer is {{customer_name}} (plan: {{plan}}).
${filler.repeat(3)}
Order: {{order_id}}
Customer message:
{{message}}
${filler}`.slice(0, 1024);
const variables = {
  company: 'Acme',
  customer_name: 'Ada Lovelace',
  plan: 'Pro',
  order_id: 'A-10042',
  message: 'My parcel has not arrived yet, can you check where it is?',
};

const UNITS = Array.from({ length: 1024 }, (_, i) => `user-${i}`);

/** Runs `op` in batches for about `ms` after a warm-up; returns ops/s. */
function measure(op: (i: number) => number, ms = 2_000): number {
  let sink = 0;
  for (let i = 0; i < 50_000; i++) sink += op(i);
  let ops = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < ms) {
    for (let i = 0; i < 10_000; i++) sink += op(ops + i);
    ops += 10_000;
    elapsed = performance.now() - start;
  }
  if (sink === 42) process.stderr.write('');
  return Math.round((ops / elapsed) * 1000);
}

const server = await startSnapshotServer();
const v1 = textVersion(1, template);
const v2 = textVersion(2, `${template.slice(0, 1000)} {{plan}}`);
server.deploy('support/reply', { variants: [{ version: 1, weight: 10_000 }] }, [v1]);
server.deploy(
  'support/reply-rollout',
  {
    variants: [
      { version: 2, weight: 1_000 },
      { version: 1, weight: 9_000 },
    ],
  },
  [v1, v2],
);
const client = createClient({
  url: server.url,
  apiKey: server.apiKey,
  environment: 'production',
  updates: 'off',
});
if ((await client.ready()) !== 'server') throw new Error('the snapshot did not load');

const ROUNDS = 5;
const render = (name: string) => (i: number) => {
  const prompt = client.prompt(name, { unit: UNITS[i & 1023] });
  return prompt.type === 'text' ? prompt.render(variables).length : 0;
};

let compile: ((i: number) => number) | undefined;
let note: string | undefined;
if (existsSync(langfusePath)) {
  const { TextPromptClient } = (await import(langfusePath)) as {
    TextPromptClient: new (
      prompt: Record<string, unknown>,
    ) => { compile(vars: Record<string, string>): string };
  };
  const langfusePrompt = new TextPromptClient({
    name: 'support/reply',
    version: 1,
    type: 'text',
    prompt: template,
    config: {},
    labels: ['production'],
    tags: [],
    commitMessage: null,
  });
  if (langfusePrompt.compile(variables) !== (client.prompt('support/reply').render(variables) as string)) {
    note = 'langfuse output differs from the SDK output on this template';
  }
  compile = () => langfusePrompt.compile(variables).length;
} else {
  note = 'langfuse not installed: npm install --prefix bench/.scratch langfuse';
}

// Interleaved rounds, best of each: on a shared machine other load hits every contender alike,
// and the best round is the closest to what one free core does.
let sdkOps = 0;
let sdkRolloutOps = 0;
let langfuseOps: number | null = compile === undefined ? null : 0;
for (let round = 0; round < ROUNDS; round++) {
  sdkOps = Math.max(sdkOps, measure(render('support/reply'), 600));
  sdkRolloutOps = Math.max(sdkRolloutOps, measure(render('support/reply-rollout'), 600));
  if (compile !== undefined) langfuseOps = Math.max(langfuseOps ?? 0, measure(compile, 600));
}
await client.close();
await server.stop();

process.stdout.write(
  `${JSON.stringify({
    template_bytes: template.length,
    variables: Object.keys(variables).length,
    sdk_ops_s: sdkOps,
    sdk_rollout_ops_s: sdkRolloutOps,
    langfuse_compile_ops_s: langfuseOps,
    rounds: ROUNDS,
    ratio: langfuseOps === null ? null : Number((sdkOps / langfuseOps).toFixed(2)),
    ...(note === undefined ? {} : { note }),
  })}\n`,
);
