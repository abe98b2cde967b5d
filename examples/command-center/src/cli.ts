import { parseArgs } from 'node:util';
import { helpText } from './config-docs.js';
import { VERSION } from './version.js';

/**
 * Answers `--help` and `--version` (and refuses unknown arguments) before anything starts: true when the
 * process should go on to start the server.
 * @example const { start, exitCode } = handleArguments(process.argv.slice(2), process.stdout, process.stderr); if (!start) process.exit(exitCode)
 */
export function handleArguments(args: string[], out: { write(text: string): unknown }, err: { write(text: string): unknown }): { start: boolean; exitCode: number } {
  let values: { help?: boolean; version?: boolean };
  try {
    ({ values } = parseArgs({ args, options: { help: { type: 'boolean', short: 'h' }, version: { type: 'boolean', short: 'v' } }, strict: true }));
  } catch (error) {
    err.write(`aetherlink-command-center: ${(error as Error).message}\nIt is configured by environment variables: run it with --help to list them.\n`);
    return { start: false, exitCode: 2 };
  }
  if (values.help) {
    out.write(helpText(VERSION));
    return { start: false, exitCode: 0 };
  }
  if (values.version) {
    out.write(`${VERSION}\n`);
    return { start: false, exitCode: 0 };
  }
  return { start: true, exitCode: 0 };
}
