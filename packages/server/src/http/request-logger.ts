/**
 * Request loggers. Fastify gives each request a child of the server's logger, and pino builds a
 * child eagerly: it serialises the request id binding into a string (~1 µs of CPU) for every
 * request, even on routes that log nothing when all goes well (`resolve` logs only warnings).
 * Here a request's logger is a light stand-in that makes the real child on the first line actually
 * written at an enabled level: same level, same bindings, same lines, nothing built otherwise.
 *
 * A route with a level of its own passes that level to every child, and pino then rebuilds all
 * log methods of each request's child; so the children of such a route descend from one logger
 * per level, made once.
 */
import type { FastifyBaseLogger, FastifyServerOptions } from 'fastify';

type ChildLoggerFactory = NonNullable<FastifyServerOptions['childLoggerFactory']>;
type Bindings = Record<string, unknown>;
type LogArgs = [unknown, ...unknown[]];
type Level = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

/** pino's loggers have isLevelEnabled; Fastify's silent stand-in (logger: false) has not. */
type LevelAware = FastifyBaseLogger & { isLevelEnabled(level: string): boolean };

function isLevelAware(logger: FastifyBaseLogger): logger is LevelAware {
  return typeof (logger as Partial<LevelAware>).isLevelEnabled === 'function';
}

/**
 * A request's logger: answers level questions from its parent and makes the real child (parent +
 * bindings) only when a line at an enabled level is written, or when asked for anything else.
 */
export class LazyChildLogger {
  private readonly parent: LevelAware;
  private readonly childBindings: Bindings;
  private made: FastifyBaseLogger | undefined;

  constructor(parent: LevelAware, bindings: Bindings) {
    this.parent = parent;
    this.childBindings = bindings;
  }

  /** The real pino child, made once. */
  private real(): FastifyBaseLogger {
    this.made ??= this.parent.child(this.childBindings);
    return this.made;
  }

  private write(level: Level, args: LogArgs): void {
    if (this.made === undefined && !this.parent.isLevelEnabled(level)) return;
    const real = this.real();
    (real[level] as (...a: unknown[]) => void).apply(real, args);
  }

  get level(): string {
    return this.made?.level ?? this.parent.level;
  }
  set level(level: string) {
    this.real().level = level;
  }
  get levels(): unknown {
    return (this.real() as unknown as { levels: unknown }).levels;
  }
  isLevelEnabled(level: string): boolean {
    return this.made === undefined
      ? this.parent.isLevelEnabled(level)
      : (this.made as LevelAware).isLevelEnabled(level);
  }
  trace(...args: LogArgs): void {
    this.write('trace', args);
  }
  debug(...args: LogArgs): void {
    this.write('debug', args);
  }
  info(...args: LogArgs): void {
    this.write('info', args);
  }
  warn(...args: LogArgs): void {
    this.write('warn', args);
  }
  error(...args: LogArgs): void {
    this.write('error', args);
  }
  fatal(...args: LogArgs): void {
    this.write('fatal', args);
  }
  silent(): void {}
  child(bindings: Bindings, options?: Parameters<FastifyBaseLogger['child']>[1]): FastifyBaseLogger {
    return this.real().child(bindings, options);
  }
  bindings(): Bindings {
    return (this.real() as unknown as { bindings(): Bindings }).bindings();
  }
  setBindings(bindings: Bindings): void {
    (this.real() as unknown as { setBindings(b: Bindings): void }).setBindings(bindings);
  }
  flush(callback?: (error?: Error) => void): void {
    const flush = (this.parent as unknown as { flush?: (cb?: (error?: Error) => void) => void }).flush;
    if (flush) flush.call(this.parent, callback);
    else callback?.();
  }
}

export function createRequestLoggerFactory(): ChildLoggerFactory {
  const byParent = new WeakMap<FastifyBaseLogger, Map<string, FastifyBaseLogger>>();
  return (logger, bindings, options) => {
    const { level, ...rest } = options;
    // Anything beyond a level (route serializers) goes the ordinary way.
    for (const _ in rest) return logger.child(bindings, options);
    let parent = logger;
    if (level !== undefined) {
      let levels = byParent.get(logger);
      if (!levels) {
        levels = new Map();
        byParent.set(logger, levels);
      }
      parent = levels.get(level) ?? logger.child({}, { level });
      levels.set(level, parent);
    }
    if (!isLevelAware(parent)) return parent.child(bindings);
    return new LazyChildLogger(parent, bindings) as unknown as FastifyBaseLogger;
  };
}
