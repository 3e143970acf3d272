/** JSON columns are text on both dialects (see schema.ts). */
export function encodeJson(value: unknown): string {
  return JSON.stringify(value ?? null);
}

export function decodeJson<T>(text: string | null): T {
  return (text === null ? null : JSON.parse(text)) as T;
}

export function encodeBool(value: boolean): number {
  return value ? 1 : 0;
}

/** PostgreSQL integers come back as numbers; SQLite as numbers too, but be lenient with bigint/text. */
export function decodeBool(value: unknown): boolean {
  return value === 1 || value === true || value === '1' || value === 1n;
}

/** `count(*)` is a bigint (text) on PostgreSQL and a number on SQLite. */
export function toNumber(value: unknown): number {
  return typeof value === 'number' ? value : Number(value);
}
