/** Where the server reads the time; tests pass a controllable one. */
export interface Clock {
  now(): Date;
}

/** The wall clock. */
export const systemClock: Clock = { now: () => new Date() };

/** ISO-8601 with milliseconds and `Z`: the one timestamp format stored and served. */
export function isoNow(clock: Clock): string {
  return clock.now().toISOString();
}
