import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterEach, expect, it } from 'vitest';
import { precompressDirectory } from '../precompress.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

it('writes .br and .gz copies of large text files that decode to the original; skips small and binary files', () => {
  const dist = mkdtempSync(join(tmpdir(), 'promptline-precompress-'));
  dirs.push(dist);
  mkdirSync(join(dist, 'assets'));
  const js = `export const list = ${JSON.stringify(Array.from({ length: 3000 }, (_, i) => `item ${i % 40}`))};\n`;
  writeFileSync(join(dist, 'assets', 'index-abc.js'), js);
  writeFileSync(join(dist, 'index.html'), '<!doctype html><div id="root"></div>');
  writeFileSync(join(dist, 'logo.png'), Buffer.alloc(4096, 7));

  expect(precompressDirectory(dist)).toBe(1);
  const br = readFileSync(join(dist, 'assets', 'index-abc.js.br'));
  const gz = readFileSync(join(dist, 'assets', 'index-abc.js.gz'));
  expect(brotliDecompressSync(br).toString('utf8')).toBe(js);
  expect(gunzipSync(gz).toString('utf8')).toBe(js);
  expect(br.length).toBeLessThan(js.length / 10);
  expect(existsSync(join(dist, 'index.html.br'))).toBe(false);
  expect(existsSync(join(dist, 'logo.png.br'))).toBe(false);
});
