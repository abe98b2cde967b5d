import type { Logger } from '../logger.js';

/** One line a memory logger kept. */
export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  /** The fields the line was logged with, merged with the child bindings above it. */
  fields: Record<string, unknown>;
  msg: string;
}

/**
 * A Logger that keeps every line in memory, for tests that check what was logged (and that no secret was).
 * @example const { logger, lines, text } = memoryLogger(); createRegistry({ logger }); expect(text()).not.toContain(token)
 */
export function memoryLogger(): { logger: Logger; lines: LogLine[]; text(): string } {
  const lines: LogLine[] = [];
  const make = (bindings: Record<string, unknown>): Logger => {
    const at =
      (level: LogLine['level']) =>
      (a: unknown, b?: string): void => {
        if (typeof a === 'string') lines.push({ level, fields: { ...bindings }, msg: a });
        else lines.push({ level, fields: { ...bindings, ...(a as Record<string, unknown>) }, msg: b ?? '' });
      };
    return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: (more) => make({ ...bindings, ...more }) };
  };
  return { logger: make({}), lines, text: () => lines.map((l) => JSON.stringify(l)).join('\n') };
}
