/**
 * Typed inputs and output contracts on the server: a version's `config.input.schema` (Picoschema
 * or JSON Schema) is checked at every render (422 INPUT_INVALID naming each field), a malformed
 * schema is refused when the version is saved, and a contract change is a major version.
 */
import { expect, it } from 'vitest';
import { describeServer, p } from '../test-helpers/index.ts';

const INPUT = {
  schema: {
    customer: { name: 'string, the customer’s full name', 'email?': 'string' },
    ticket: 'string',
    'priority(enum)': ['low', 'high'],
    'tags?(array)': 'string',
  },
};

describeServer((ctx) => {
  it('refuses render variables that break the input schema with 422 INPUT_INVALID naming every field, by version and by env', async () => {
    const { api } = ctx();
    const created = await api.post('/api/v1/prompts', {
      name: 'typed/triage',
      version: {
        type: 'text',
        template: 'Ticket from {{customer.name}} ({{priority}}): {{ticket}}',
        config: {
          provider: 'mock',
          model: 'mock-1',
          input: INPUT,
          output: { format: 'json', schema: { type: 'object', required: ['queue'] } },
        },
      },
    });
    expect(created.status).toBe(201);
    const bad = await api.post(`${p('typed/triage')}/render`, {
      version: 1,
      variables: { customer: { email: 'ann@example.com' }, ticket: 42, priority: 'urgent', tags: ['a', 7] },
    });
    expect(bad.status).toBe(422);
    expect(bad.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(bad.body.code).toBe('INPUT_INVALID');
    expect(bad.body.errors).toEqual(
      expect.arrayContaining([
        { path: 'variables.customer.name', message: 'is required' },
        { path: 'variables.ticket', message: 'must be string' },
        { path: 'variables.priority', message: 'must be equal to one of the allowed values' },
        { path: 'variables.tags.1', message: 'must be string' },
      ]),
    );
    expect(bad.body.errors).toHaveLength(4);
    expect(bad.body.detail).toMatch(
      /do not match the input schema of "typed\/triage": variables\.customer\.name is required/,
    );

    const good = await api.post(`${p('typed/triage')}/render`, {
      version: 1,
      variables: { customer: { name: 'Ann', email: null }, ticket: 'Refund', priority: 'high' },
    });
    expect(good.status).toBe(200);
    expect(good.body.text).toBe('Ticket from Ann (high): Refund');
    expect(good.body.config.input).toEqual(INPUT);

    expect((await api.put(`${p('typed/triage')}/deployments/production`, { version: 1 })).status).toBe(200);
    const byEnv = await api.post(`${p('typed/triage')}/render`, {
      env: 'production',
      variables: { ticket: 'x' },
    });
    expect(byEnv.status).toBe(422);
    expect(byEnv.body.errors.map((e: { path: string }) => e.path).sort()).toEqual([
      'variables.customer',
      'variables.priority',
    ]);
  });

  it('accepts a JSON Schema as input schema, and refuses a malformed Picoschema or output contract when the version is saved', async () => {
    const { api } = ctx();
    const json = await api.post('/api/v1/prompts', {
      name: 'typed/json',
      version: {
        type: 'text',
        template: 'Hi {{n}}',
        config: {
          input: {
            schema: { type: 'object', properties: { n: { type: 'integer', minimum: 1 } }, required: ['n'] },
          },
        },
      },
    });
    expect(json.status).toBe(201);
    const zero = await api.post(`${p('typed/json')}/render`, { version: 1, variables: { n: 0 } });
    expect(zero.body.errors).toEqual([{ path: 'variables.n', message: 'must be >= 1' }]);
    expect((await api.post(`${p('typed/json')}/render`, { version: 1, variables: { n: 3 } })).body.text).toBe(
      'Hi 3',
    );

    const badType = await api.post(`${p('typed/json')}/versions`, {
      type: 'text',
      template: 'Hi {{n}}',
      config: { input: { schema: { n: 'strng' } } },
    });
    expect(badType.status).toBe(422);
    expect(badType.body.code).toBe('VALIDATION_FAILED');
    expect(badType.body.errors).toEqual([
      {
        path: 'config.input.schema.n',
        message:
          '"strng" is not a Picoschema type (use string, number, integer, boolean, null, any, or a nested map)',
      },
    ]);
    const badOutput = await api.post(`${p('typed/json')}/versions`, {
      type: 'text',
      template: 'Hi {{n}}',
      config: { output: { format: 'yaml' } },
    });
    expect(badOutput.status).toBe(422);
  });

  it('a contract change is a major version; a bump below major is refused', async () => {
    const { api } = ctx();
    const first = await api.post('/api/v1/prompts', {
      name: 'typed/semver',
      version: {
        type: 'text',
        template: 'Answer {{q}}',
        config: { output: { format: 'text', maxWords: 50 } },
      },
    });
    expect(first.status).toBe(201);
    const minor = await api.post(`${p('typed/semver')}/versions`, {
      type: 'text',
      template: 'Answer {{q}}',
      config: { output: { format: 'text', maxWords: 20 } },
      bump: 'minor',
    });
    expect(minor.status).toBe(422);
    expect(minor.body.code).toBe('SEMVER_BUMP_TOO_LOW');
    const major = await api.post(`${p('typed/semver')}/versions`, {
      type: 'text',
      template: 'Answer {{q}}',
      config: { output: { format: 'text', maxWords: 20 } },
    });
    expect(major.body.semver).toBe('2.0.0');
    const withInput = await api.post(`${p('typed/semver')}/versions`, {
      type: 'text',
      template: 'Answer {{q}}',
      config: { output: { format: 'text', maxWords: 20 }, input: { schema: { q: 'string' } } },
    });
    expect(withInput.body.semver).toBe('3.0.0');
    const reworded = await api.post(`${p('typed/semver')}/versions`, {
      type: 'text',
      template: 'Please answer {{q}}',
      config: { output: { format: 'text', maxWords: 20 }, input: { schema: { q: 'string' } } },
    });
    expect(reworded.body.semver).toBe('3.1.0');
  });
});
