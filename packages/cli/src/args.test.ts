import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  parseInteger,
  parsePositiveInt,
  parseVariables,
  parseVariants,
  readVariablesFile,
  readVersionFile,
} from './args.ts';
import { UsageError } from './errors.ts';
import { versionFromJson } from './version-file.ts';

describe('parseVariables', () => {
  it('reads key=value as strings, keeping "=" inside values', () => {
    expect(parseVariables(['name=Ann', 'q=a=b', 'empty='])).toEqual({ name: 'Ann', q: 'a=b', empty: '' });
  });

  it('reads key:=json as JSON values for sections and booleans', () => {
    expect(parseVariables(['items:=["a","b"]', 'vip:=true', 'n:=3'])).toEqual({
      items: ['a', 'b'],
      vip: true,
      n: 3,
    });
  });

  it('builds nested objects from dotted keys and lets --var override a vars file', () => {
    const base = { user: { name: 'Bob', plan: 'free' }, lang: 'en' };
    expect(parseVariables(['user.name=Ann'], base)).toEqual({
      user: { name: 'Ann', plan: 'free' },
      lang: 'en',
    });
  });

  it('rejects arguments without "=" and invalid JSON as usage errors', () => {
    expect(() => parseVariables(['name'])).toThrow(UsageError);
    expect(() => parseVariables(['items:=[1,'])).toThrow(/expects a JSON value/);
    expect(() => parseVariables(['.x=1'])).toThrow(/empty name/);
  });
});

describe('parseVariants', () => {
  it('reads version:basis-points pairs in order', () => {
    expect(parseVariants('3:500,2:9500')).toEqual([
      { version: 3, weight: 500 },
      { version: 2, weight: 9500 },
    ]);
  });

  it('accepts percentages', () => {
    expect(parseVariants('3:5%, 2:95%')).toEqual([
      { version: 3, weight: 500 },
      { version: 2, weight: 9500 },
    ]);
    expect(parseVariants('1:33.33%,2:66.67%')).toEqual([
      { version: 1, weight: 3333 },
      { version: 2, weight: 6667 },
    ]);
  });

  it('rejects malformed lists and fractional basis points', () => {
    expect(() => parseVariants('3=500')).toThrow(/version:weight/);
    expect(() => parseVariants('0:10000')).toThrow(/positive/);
    expect(() => parseVariants('1:2.5')).toThrow(/whole basis points/);
  });
});

describe('numbers', () => {
  it('parsePositiveInt accepts 1.. and rejects 0, negatives, decimals and words', () => {
    expect(parsePositiveInt('12', 'version')).toBe(12);
    for (const bad of ['0', '-1', '1.5', 'two', ''])
      expect(() => parsePositiveInt(bad, 'version')).toThrow(UsageError);
  });

  it('parseInteger accepts negative ranks', () => {
    expect(parseInteger('-5', '--rank')).toBe(-5);
    expect(() => parseInteger('x', '--rank')).toThrow(/whole number/);
  });
});

describe('version files', () => {
  it('treats non-JSON files as text templates, byte for byte', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'promptline-cli-'));
    const path = join(dir, 'p.txt');
    await writeFile(path, 'Hello {{name}}\n');
    expect(await readVersionFile(path)).toEqual({ type: 'text', template: 'Hello {{name}}\n' });
  });

  it('reads a bare JSON array as a chat prompt and an object with its config', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'promptline-cli-'));
    const chat = join(dir, 'chat.json');
    await writeFile(chat, JSON.stringify([{ role: 'user', content: 'Hi {{name}}' }]));
    expect(await readVersionFile(chat)).toEqual({
      type: 'chat',
      messages: [{ role: 'user', content: 'Hi {{name}}' }],
    });
    expect(versionFromJson({ type: 'text', template: 'x', config: { model: 'm' } }, 'f.json')).toEqual({
      type: 'text',
      template: 'x',
      config: { model: 'm' },
    });
    expect(versionFromJson({ messages: [{ role: 'system', content: 's' }] }, 'f.json').type).toBe('chat');
  });

  it('checks the file with core schemas and names the offending field', () => {
    const refusal = (value: unknown) => {
      try {
        versionFromJson(value, 'f.json');
      } catch (error) {
        expect(error).toBeInstanceOf(UsageError);
        return (error as Error).message;
      }
      throw new Error('accepted');
    };
    expect(refusal({ type: 'text' })).toMatch(/^f\.json: template: /);
    expect(refusal({ type: 'text', template: 7 })).toMatch(/^f\.json: template: .*string/);
    expect(refusal({ type: 'chat', messages: [{ role: 'boss', content: 'x' }] })).toMatch(
      /^f\.json: messages\.0/,
    );
    expect(refusal({ type: 'chat', messages: [] })).toMatch(/^f\.json: messages: /);
    expect(refusal({ type: 'json', template: 'x' })).toMatch(/^f\.json: type: /);
    expect(refusal([{ role: 'user' }])).toMatch(/^f\.json: 0/);
    expect(refusal({ template: 'x', config: [] })).toMatch(/^f\.json: config: .*"config" is an object/);
    expect(refusal({ template: 'x', config: { model: '' } })).toMatch(/^f\.json: config\.model: /);
  });

  it('explains the expected shape for unusable JSON and unreadable files', async () => {
    expect(() => versionFromJson({ description: 'no content' }, 'f.json')).toThrow(/must hold/);
    expect(() => versionFromJson(42, 'f.json')).toThrow(/must hold/);

    await expect(readVersionFile('/nonexistent/p.txt')).rejects.toThrow(/cannot read .*ENOENT/);
    const dir = await mkdtemp(join(tmpdir(), 'promptline-cli-'));
    const broken = join(dir, 'broken.json');
    await writeFile(broken, '{"type":');
    await expect(readVersionFile(broken)).rejects.toThrow(/not valid JSON/);
    await writeFile(broken, '[1]');
    await expect(readVariablesFile(broken)).rejects.toThrow(/JSON object of variables/);
  });
});
