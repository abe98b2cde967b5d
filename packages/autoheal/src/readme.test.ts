import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The README's "Try it" example, run as it stands (on a free port) with tsx, as a reader would run it.
const PACKAGE = fileURLToPath(new URL('..', import.meta.url));

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

describe('the README', () => {
  it('"Try it" runs: a supervised process that starts failing is restarted once and verified', async () => {
    const readme = readFileSync(`${PACKAGE}README.md`, 'utf8');
    const code = /## Try it\n[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(code).toContain('const PORT = 8091;');
    // Beside the package, so its imports resolve as an app's would.
    const file = `${PACKAGE}.readme-try-${randomBytes(4).toString('hex')}.mts`;
    writeFileSync(file, code!.replace('const PORT = 8091;', `const PORT = ${await freePort()};`));
    try {
      const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@aetherlink/source', file], { cwd: PACKAGE, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d));
      child.stderr.on('data', (d: Buffer) => (out += d));
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      expect(out).toMatch(/^autoheal\.attempted \{"service":"web","reason":"threshold_reached","attempt":1,.*HTTP 500/m);
      expect(out).toMatch(/^autoheal\.succeeded \{"service":"web",/m);
      expect(out).toMatch(/^healthy restarted and verified: /m);
      expect(out.match(/^autoheal\./gm)).toHaveLength(2);
      expect(code).toBe(0);
    } finally {
      rmSync(file, { force: true });
    }
  }, 60_000);
});
