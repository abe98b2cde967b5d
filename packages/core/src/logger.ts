import { pino } from 'pino';
import { traceLogFields } from './trace/context.js';

/** One log method, called the pino way: a message, or fields then a message. */
export interface LogFn {
  (msg: string): void;
  (fields: object, msg?: string): void;
}

/**
 * What every AetherLink package logs through: pino's shape, so `pino()`, `fastify.log` and `app.log.child()` all
 * fit. Packages never write to the console or to process warnings; an app hands them its own logger.
 */
export interface Logger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  child(bindings: Record<string, unknown>): Logger;
}

let fallback: Logger | undefined;

/**
 * The logger a package uses when the app gave none: warnings and errors as JSON lines on stderr, so a problem
 * is never silent, and nothing below warn.
 * @example const logger = options.logger ?? defaultLogger().child({ component: 'registry' })
 */
export function defaultLogger(): Logger {
  fallback ??= pino({ level: 'warn', base: { name: 'aetherlink' }, mixin: traceLogFields }, pino.destination({ dest: 2, sync: true }));
  return fallback;
}

/**
 * The injected logger, or the default one, bound to a component name.
 * @example const log = loggerFor(options.logger, 'registry'); log.warn({ err }, 'could not publish')
 */
export function loggerFor(logger: Logger | undefined, component: string): Logger {
  return logger ?? defaultLogger().child({ component });
}

const noop: LogFn = () => undefined;

/**
 * A logger that drops everything (benchmarks; tests that assert through a memory logger instead).
 * @example createRegistry({ logger: silentLogger })
 */
export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop, child: () => silentLogger };

/**
 * Formats an unknown thrown value for a log line's `err` field without its stack when it is not an Error.
 * @example log.error({ err: errorFields(error) }, 'loop failed')
 */
export function errorFields(error: unknown): Record<string, unknown> {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { type: error.name, message: error.message, ...(code !== undefined ? { code } : {}), ...(error.stack ? { stack: error.stack } : {}) };
  }
  return { message: String(error) };
}
