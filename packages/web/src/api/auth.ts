/**
 * How the browser proves who it is. In 'cookie' mode (the default) sign-in posts the key once to
 * `POST /api/v1/session`, which sets an HTTP-only cookie: the key never sits in script-readable
 * storage. 'bearer' mode keeps the key in sessionStorage and sends `Authorization: Bearer` (for a
 * dev server without the session endpoints).
 */
import { problemFromBody } from './problem.ts';

const MODE = 'cookie' as 'bearer' | 'cookie';
const STORAGE_KEY = 'promptline.apiKey';
const SIGNED_IN_FLAG = 'promptline.signedIn';

function storage(): Storage | null {
  try {
    // The cookie-mode flag is no secret: keep it across tabs, like the cookie itself.
    return MODE === 'cookie' ? window.localStorage : window.sessionStorage;
  } catch {
    // Storage can be disabled (privacy modes); fall back to memory for this page's lifetime.
    return null;
  }
}

let memoryKey: string | null = null;

/** Headers to add to every API request. */
export function authHeaders(): Record<string, string> {
  if (MODE === 'cookie') return {};
  const key = storage()?.getItem(STORAGE_KEY) ?? memoryKey;
  return key ? { authorization: `Bearer ${key}` } : {};
}

/** Fetch credentials mode matching the auth mode. */
export const credentials: RequestCredentials = MODE === 'cookie' ? 'same-origin' : 'omit';

/** True when the app believes it holds a session (the server has the last word: a 401 signs out). */
export function isSignedIn(): boolean {
  const s = storage();
  if (MODE === 'cookie') return s?.getItem(SIGNED_IN_FLAG) === '1';
  return Boolean(s?.getItem(STORAGE_KEY) ?? memoryKey);
}

/**
 * Checks `apiKey` against the server and keeps it for this tab.
 * @throws ApiProblem when the key is refused or the server is unreachable.
 */
export async function signIn(apiKey: string, check: () => Promise<unknown>): Promise<void> {
  const s = storage();
  if (MODE === 'cookie') {
    const res = await fetch('/api/v1/session', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ apiKey }),
    });
    if (!res.ok) {
      // A body that is not JSON still yields a problem from the status.
      throw problemFromBody(res.status, await res.json().catch(() => null), res.statusText);
    }
    s?.setItem(SIGNED_IN_FLAG, '1');
    return;
  }
  memoryKey = apiKey;
  s?.setItem(STORAGE_KEY, apiKey);
  try {
    await check();
  } catch (error) {
    forgetSession();
    throw error;
  }
}

/** Drops the local session (and, in cookie mode, asks the server to clear the cookie). */
export async function signOut(): Promise<void> {
  if (MODE === 'cookie') {
    // Signing out locally must work even when the server is unreachable.
    await fetch('/api/v1/session', { method: 'DELETE', credentials: 'same-origin' }).catch(() => undefined);
  }
  forgetSession();
}

/** Forgets the session locally, e.g. after the server answered 401. */
export function forgetSession(): void {
  memoryKey = null;
  const s = storage();
  s?.removeItem(STORAGE_KEY);
  s?.removeItem(SIGNED_IN_FLAG);
}

/** What the server's sign-in page may offer (`GET /api/v1/auth/methods`). */
export interface SignInMethods {
  apiKey: boolean;
  password: boolean;
  sso: boolean;
}

/** The sign-in methods; only the API key when the server cannot say (an older server). */
export async function fetchSignInMethods(): Promise<SignInMethods> {
  try {
    const res = await fetch('/api/v1/auth/methods', { credentials: 'same-origin' });
    if (!res.ok) return { apiKey: true, password: false, sso: false };
    return (await res.json()) as SignInMethods;
  } catch {
    // Unreachable server: the key form still shows, and signing in reports the problem.
    return { apiKey: true, password: false, sso: false };
  }
}

/**
 * After single sign-on the server has set the session cookie: confirms it works and remembers
 * that this browser is signed in.
 * @throws ApiProblem when the session does not work.
 */
export async function confirmSession(): Promise<void> {
  const res = await fetch('/api/v1/session', { credentials: 'same-origin' });
  if (!res.ok) {
    // A body that is not JSON still yields a problem from the status.
    throw problemFromBody(res.status, await res.json().catch(() => null), res.statusText);
  }
  storage()?.setItem(SIGNED_IN_FLAG, '1');
}

/**
 * Signs in with email and password (`POST /api/v1/session/password`): the server sets the cookie.
 * @throws ApiProblem when refused (wrong credentials, locked, throttled).
 */
export async function signInWithPassword(email: string, password: string): Promise<void> {
  const res = await fetch('/api/v1/session/password', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  if (!res.ok) {
    // A body that is not JSON still yields a problem from the status.
    throw problemFromBody(res.status, await res.json().catch(() => null), res.statusText);
  }
  storage()?.setItem(SIGNED_IN_FLAG, '1');
}
