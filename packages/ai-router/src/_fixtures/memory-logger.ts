// A Logger that keeps what it is given, for tests that assert what was logged. Not part of the published package.
import type { Logger } from '@aetherlink/core';

export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  fields: Record<string, unknown>;
  msg: string | undefined;
}

/**
 * Records every line, with the bindings of the child it came through.
 * @example const log = memoryLogger(); createRouter({ providers, logger: log }); log.lines
 */
export function memoryLogger(lines: LogLine[] = [], bindings: Record<string, unknown> = {}): Logger & { lines: LogLine[] } {
  const at =
    (level: LogLine['level']) =>
    (first: object | string, msg?: string): void => {
      if (typeof first === 'string') lines.push({ level, fields: { ...bindings }, msg: first });
      else lines.push({ level, fields: { ...bindings, ...first }, msg });
    };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: (more) => memoryLogger(lines, { ...bindings, ...more }) };
}
