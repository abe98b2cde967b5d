import type { LogFn, Logger } from '@aetherlink/core';

export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  fields: Record<string, unknown>;
  msg: string;
}

/**
 * A Logger that keeps every line, children included (their bindings merged into the fields), for assertions.
 * @example const { logger, lines } = recordingLogger(); createRegistry({ logger })
 */
export function recordingLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const make = (bindings: Record<string, unknown>): Logger => {
    const at =
      (level: LogLine['level']): LogFn =>
      (first: string | object, msg?: string) => {
        if (typeof first === 'string') lines.push({ level, fields: { ...bindings }, msg: first });
        else lines.push({ level, fields: { ...bindings, ...first }, msg: msg ?? '' });
      };
    return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: (more) => make({ ...bindings, ...more }) };
  };
  return { logger: make({}), lines };
}
