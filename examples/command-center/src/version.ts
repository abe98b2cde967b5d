import { createRequire } from 'node:module';

/** This package's version (src/ and the bundled dist/ both sit one level below package.json). */
export const VERSION: string = (createRequire(import.meta.url)('../package.json') as { version: string }).version;
