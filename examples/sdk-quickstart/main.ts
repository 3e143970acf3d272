/**
 * Promptline SDK quickstart: resolve a prompt for a user, render it, turn it into an OpenAI
 * request, and watch deployments arrive live.
 *
 *   # with a server (npm start, PROMPTLINE_API_KEY set at its start):
 *   PROMPTLINE_URL=http://127.0.0.1:4100 PROMPTLINE_API_KEY=… \
 *     npm exec -- node --conditions=source examples/sdk-quickstart/main.ts --seed
 *   # without one, it serves the fallback and says so:
 *   npm exec -- node --conditions=source examples/sdk-quickstart/main.ts
 *
 * `--seed` creates `support/triage` and deploys it to production through the REST API first.
 * `--watch` keeps running and prints every deployment change (Ctrl-C to stop).
 */
import { createClient, toOpenAIChat } from '@promptline/sdk';

const url = process.env.PROMPTLINE_URL ?? 'http://127.0.0.1:4100';
const apiKey = process.env.PROMPTLINE_API_KEY ?? 'no-key';
const name = 'support/triage';

if (process.argv.includes('--seed')) {
  const headers = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };
  const created = await fetch(`${url}/api/v1/prompts`, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      name,
      version: {
        type: 'chat',
        messages: [
          { role: 'system', content: 'You triage support tickets for {{company}}. Answer with one label.' },
          { role: 'user', content: '{{ticket}}' },
        ],
        config: { provider: 'openai', model: 'gpt-4o-mini', parameters: { temperature: 0 } },
      },
    }),
  });
  // 409: it exists already, which is fine for a demo.
  if (!created.ok && created.status !== 409) throw new Error(`seeding failed: ${await created.text()}`);
  const deployed = await fetch(`${url}/api/v1/prompts/${encodeURIComponent(name)}/deployments/production`, {
    method: 'PUT',
    headers,
    body: JSON.stringify({ version: 1 }),
  });
  if (!deployed.ok) throw new Error(`deploying failed: ${await deployed.text()}`);
}

const client = createClient({
  url,
  apiKey,
  environment: 'production',
  // What the app ships with: served until a snapshot was ever loaded.
  fallbacks: {
    [name]: {
      type: 'chat',
      messages: [
        { role: 'system', content: 'Label the ticket of a {{company}} customer: billing, bug or other.' },
        { role: 'user', content: '{{ticket}}' },
      ],
      config: { model: 'gpt-4o-mini' },
    },
  },
  onError: (error) => console.error(`promptline: ${error.message}`),
});

console.log(`serving from: ${await client.ready({ timeoutMs: 3_000 })}`);

const prompt = client.prompt(name, { unit: 'user-42' });
console.log(
  `${prompt.name} v${prompt.version} (${prompt.semver}), variant ${prompt.variant}, from ${prompt.source}`,
);
const variables = { company: 'Acme', ticket: 'I was charged twice for my March invoice.' };
console.log(JSON.stringify(prompt.render(variables), null, 2));

// What you would hand to `openai.chat.completions.create(...)`:
console.log(JSON.stringify(toOpenAIChat(prompt, variables), null, 2));

if (process.argv.includes('--watch')) {
  client.on('update', (event) =>
    console.log(`update ${event.etag}: changed ${event.changed.join(', ') || '—'}`),
  );
  console.log('watching for deployments (Ctrl-C to stop)…');
  process.on('SIGINT', () => void client.close());
} else {
  await client.close();
}
