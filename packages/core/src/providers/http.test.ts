import { afterAll, describe, expect, it } from 'vitest';
import { createNodeTransport } from '../eval-node/http-transport.ts';
import { retryAfterMs } from './http.ts';
import { describeTransportContract } from './test-helpers/transport-contract.ts';
import type { HttpTransport } from './types.ts';

// Every behaviour of the contract holds for both ways of sending here: `fetch` (the default, and
// the browser's) and the node:http transport the CLI's eval runs use.
const nodeTransport = createNodeTransport();
afterAll(() => nodeTransport.close());
const TRANSPORTS: [string, HttpTransport | undefined][] = [
  ['fetch', undefined],
  ['node:http', nodeTransport.send],
];

for (const [transportName, transport] of TRANSPORTS) describeTransportContract(transportName, transport);

describe('retryAfterMs', () => {
  it('reads seconds, HTTP dates and retry-after-ms', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryAfterMs(new Headers({ 'retry-after': '2' }), now)).toBe(2000);
    expect(retryAfterMs(new Headers({ 'retry-after': 'Thu, 01 Jan 2026 00:00:03 GMT' }), now)).toBe(3000);
    expect(retryAfterMs(new Headers({ 'retry-after': 'Wed, 31 Dec 2025 23:00:00 GMT' }), now)).toBe(0);
    expect(retryAfterMs(new Headers({ 'retry-after-ms': '150', 'retry-after': '9' }), now)).toBe(150);
    expect(retryAfterMs(new Headers({ 'retry-after': 'soon' }), now)).toBeNull();
    expect(retryAfterMs(new Headers(), now)).toBeNull();
  });
});
