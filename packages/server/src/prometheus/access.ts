/**
 * Who may read `GET /metrics`: anyone on this machine (a request from a loopback address that no
 * proxy forwarded), else a caller with `PROMPTLINE_METRICS_TOKEN` as bearer token, else a caller
 * with a valid API key of any role.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';

/** What a request to /metrics brings, decided before any key lookup. */
export type MetricsAccess =
  | { kind: 'loopback' }
  | { kind: 'token' }
  /** A bearer that is not the metrics token: valid if it is an API key (the caller looks it up). */
  | { kind: 'key'; key: string }
  | { kind: 'none' };

/** True for 127.0.0.0/8, ::1 and their IPv4-mapped form (::ffff:127.x.y.z). */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  if (isIP(v4) === 4) return v4.startsWith('127.');
  return isIP(address) === 6 && (address === '::1' || address === '0:0:0:0:0:0:0:1');
}

const FORWARDING_HEADERS = ['forwarded', 'x-forwarded-for', 'x-real-ip'] as const;

function sameSecret(given: string, expected: string): boolean {
  // Hashing both makes the comparison constant-time whatever their lengths.
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

function bearerOf(header: string | string[] | undefined): string | undefined {
  if (typeof header !== 'string') return undefined;
  return /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
}

/**
 * Decides how a request to /metrics is let in. `remoteAddress` is the socket's peer, never a
 * header: a reverse proxy on the same machine makes every request look local, so a request that
 * carries a forwarding header (Forwarded, X-Forwarded-For, X-Real-IP) is not treated as local.
 *
 * @example
 * metricsAccess('127.0.0.1', {}, undefined) // { kind: 'loopback' }
 * metricsAccess('10.0.0.5', { authorization: 'Bearer s3cret' }, 's3cret') // { kind: 'token' }
 */
export function metricsAccess(
  remoteAddress: string | undefined,
  headers: Record<string, string | string[] | undefined>,
  metricsToken: string | undefined,
): MetricsAccess {
  const forwarded = FORWARDING_HEADERS.some((name) => headers[name] !== undefined);
  if (!forwarded && isLoopbackAddress(remoteAddress)) return { kind: 'loopback' };
  const bearer = bearerOf(headers.authorization);
  if (bearer === undefined) return { kind: 'none' };
  if (metricsToken !== undefined && sameSecret(bearer, metricsToken)) return { kind: 'token' };
  return { kind: 'key', key: bearer };
}
