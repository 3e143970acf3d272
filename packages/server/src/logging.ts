/**
 * How the server process logs: JSON lines (pino) for log collectors, or — when stdout is a
 * terminal — pino-pretty's coloured one-line-per-event output, loaded only then.
 */
import type { Writable } from 'node:stream';

/** A pino destination that formats each line for a person at a terminal. */
export async function prettyLogStream(): Promise<Writable> {
  const { default: pretty } = await import('pino-pretty');
  return pretty({
    colorize: true,
    sync: true,
    translateTime: 'SYS:HH:MM:ss.l',
    // The request line already says method, URL, status and time, the banner shows the key; the
    // fields are for machines.
    ignore: 'pid,hostname,reqId,req,res,responseTime,generatedAdminKey',
  });
}

/** The message that hands over a generated admin key: a box a person cannot miss in a scrolling log. */
export function adminKeyBanner(key: string, url: string): string {
  const lines = [
    'No API key was configured, so an admin key was created.',
    'It is shown only this once; keep it somewhere safe:',
    '',
    `    ${key}`,
    '',
    `Sign in at ${url}/ with it, or use it as PROMPTLINE_API_KEY for the CLI.`,
    'To choose the key yourself, start with PROMPTLINE_API_KEY=<at least 16 characters>.',
  ];
  const width = Math.max(...lines.map((line) => line.length));
  const rule = '─'.repeat(width + 2);
  return ['', `┌${rule}┐`, ...lines.map((line) => `│ ${line.padEnd(width)} │`), `└${rule}┘`].join('\n');
}

/**
 * The URL a person opens for a bind address: the address itself, or 127.0.0.1 when the server
 * listens on every interface (0.0.0.0 / ::), where the address is not one to browse to.
 */
export function browsableUrl(host: string, port: number): string {
  const wildcard = host === '0.0.0.0' || host === '::' || host === '[::]';
  const shown = wildcard ? '127.0.0.1' : host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return `http://${shown}:${port}`;
}
