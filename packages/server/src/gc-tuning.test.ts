import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { serverV8Flags } from './gc-tuning.ts';

describe('serverV8Flags', () => {
  it('turns parallel scavenging off by default', () => {
    expect(serverV8Flags([])).toEqual(['--no-parallel-scavenge']);
    expect(serverV8Flags(['--max-old-space-size=4096', '--conditions=source'])).toEqual([
      '--no-parallel-scavenge',
    ]);
  });

  it("keeps the operator's choice from the node command line", () => {
    expect(serverV8Flags(['--parallel-scavenge'])).toEqual([]);
    expect(serverV8Flags(['--no-parallel-scavenge'])).toEqual([]);
    expect(serverV8Flags(['--parallel_scavenge'])).toEqual([]);
    expect(serverV8Flags(['--single-threaded-gc'])).toEqual([]);
  });

  it('takes effect in a running process: no scavenge work on helper threads afterwards', () => {
    // A child Node allocates short-lived objects referenced from long-lived ones, then applies the
    // flag and does it again; --trace-gc-nvp reports each scavenge's helper-thread time.
    const script = `
      const { applyServerV8Flags } = await import(${JSON.stringify(new URL('./gc-tuning.ts', import.meta.url).href)});
      const keep = Array.from({ length: 100000 }, (_, i) => ({ i }));
      const churn = () => { for (let i = 0; i < 2e6; i++) keep[i % keep.length].ref = { i, b: [i] }; };
      applyServerV8Flags();
      console.log('applied');
      churn();
    `;
    const out = execFileSync(process.execPath, ['--trace-gc-nvp', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    const after = out.slice(out.indexOf('applied'));
    const scavenges = after.split('\n').filter((line) => line.includes('gc=s '));
    expect(scavenges.length).toBeGreaterThan(0);
    for (const line of scavenges) {
      expect(/background\.scavenge\.parallel=([\d.]+)/.exec(line)?.[1]).toBe('0.00');
    }
  });
});
