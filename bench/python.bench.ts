/**
 * The Python SDK's hot path, measured by bench/python_render.py under the system Python
 * (`/usr/bin/python3`, where Debian's `python3-pystache` installs): rendering a 1 KB template with
 * five variables against pystache in the same run, and resolve + render per call from a live
 * client (one variant, and a 10% rollout that hashes the unit on every call). The snapshot comes
 * from the SDK's snapshot server over real HTTP; units cycle through 1 024 ids, as in
 * sdk-render.bench.ts. Reports ops per wall second and per CPU second (comparable under load).
 *
 * Run: npm run bench -- python    Needs: apt-get install -y python3-pystache
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startSnapshotServer, textVersion } from '../packages/sdk/src/test-helpers/snapshot-server.ts';

const filler =
  'Answer in the customer language, keep a friendly and professional tone, never promise refunds that policy does not allow, cite the order number when you refer to it, and escalate to a human when the customer asks for one or is upset. ';
// The template of bench/sdk-render.bench.ts: 1 KB, five variables.
const template =
  `You are the support assistant of {{company}}. The customer is {{customer_name}} (plan: {{plan}}).
${filler.repeat(3)}
Order: {{order_id}}
Customer message:
{{message}}
${filler}`.slice(0, 1024);

const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const script = fileURLToPath(new URL('./python_render.py', import.meta.url));

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

const output = await new Promise<string>((resolve, reject) => {
  const child = spawn(python, [script], {
    env: {
      ...process.env,
      PROMPTLINE_BENCH_URL: server.url,
      PROMPTLINE_BENCH_API_KEY: server.apiKey,
      PROMPTLINE_BENCH_TEMPLATE: template,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.on('error', reject);
  child.on('close', (code) =>
    code === 0 ? resolve(out) : reject(new Error(`${python} ${script} exited with ${code}`)),
  );
});
await server.stop();

const result = JSON.parse(output.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
process.stdout.write(`${JSON.stringify({ interpreter: python, ...result })}\n`);
