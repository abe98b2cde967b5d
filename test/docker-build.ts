import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { problemsOf, readmeBlocks, type CommandResult } from './readme-blocks.js';

// What the two image tests (docker-image.test.ts, compose-up.test.ts) share on the run's Docker engine: the local
// Debian base, made once per run by the README's base-image block, and one image build at a time. They may run in
// parallel workers; serialised, the second build finds every layer in the engine's build cache instead of copying
// them all again (vfs), and a re-import of the base (a new image id) never lands between them.

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The CA bundle the builds pass as NODE_EXTRA_CA_CERTS (the README's base-image block copies it into the base). */
export const CA = '/etc/ssl/certs/ca-certificates.crt';

/** The Debian mirror this machine's apt uses (the README names Debian's own; a machine may reach only another). */
function aptMirror(): string {
  const dir = '/etc/apt/sources.list.d';
  for (const file of readdirSync(dir).filter((f) => /\.(sources|list)$/.test(f))) {
    const text = readFileSync(join(dir, file), 'utf8');
    const uri = /^URIs:\s*(\S+)/m.exec(text)?.[1] ?? /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+bookworm\b/m.exec(text)?.[1];
    if (uri && !uri.includes('security')) return uri;
  }
  return 'http://deb.debian.org/debian';
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Takes the lock directory `dir` for this process (a lock whose holder has exited is taken over); resolves with its release. */
async function lock(dir: string): Promise<() => void> {
  for (;;) {
    try {
      mkdirSync(dir);
      writeFileSync(join(dir, 'pid'), String(process.pid));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      let holder = NaN;
      try {
        holder = Number(readFileSync(join(dir, 'pid'), 'utf8'));
      } catch {
        // Just made by its holder, pid not written yet.
      }
      if (Number.isInteger(holder) && holder > 0 && !alive(holder)) rmSync(dir, { recursive: true, force: true });
      else await new Promise((r) => setTimeout(r, 500));
    }
  }
  let held = true;
  return () => {
    if (held) rmSync(dir, { recursive: true, force: true });
    held = false;
  };
}

/**
 * Holds /var/tmp/aetherlink-rootfs for this process while `fn` runs: two test runs on one machine would otherwise
 * copy Node into the kept rootfs while the other packs it.
 * @example await withRootfsLock(() => shell(code))
 */
export async function withRootfsLock<T>(fn: () => Promise<T>): Promise<T> {
  const release = await lock('/var/tmp/aetherlink-rootfs.lock');
  try {
    return await fn();
  } finally {
    release();
  }
}

/**
 * Waits for, and takes, the run's image-build turn (`workDir` is the run's, from `inject('docker')`); resolves
 * with its release (safe to call twice).
 * @example const release = await holdBuildTurn(engine.workDir); try { await build() } finally { release() }
 */
export function holdBuildTurn(workDir: string): Promise<() => void> {
  return lock(join(workDir, 'build.lock'));
}

/**
 * Makes local/debian-base with the README's base-image block (this machine's apt mirror in place of Debian's),
 * unless it was made in this run already; call it holding the build turn. Resolves with the block's results, or
 * undefined when it had been made.
 * @example const results = await baseImageOnce(engine.workDir, shell)
 */
export async function baseImageOnce(workDir: string, shell: (code: string) => Promise<CommandResult[]>): Promise<CommandResult[] | undefined> {
  const done = join(workDir, 'base-image.done');
  if (existsSync(done)) return undefined;
  const block = readmeBlocks(readFileSync(join(ROOT, 'README.md'), 'utf8')).find((b) => b.scenarios.includes('base-image'))!;
  const results = await withRootfsLock(() => shell(block.code.replace('http://deb.debian.org/debian', aptMirror())));
  if (problemsOf(results).length === 0) writeFileSync(done, '');
  return results;
}
