import { execFile, spawn } from 'node:child_process';
import { existsSync, openSync, closeSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile, copyFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// A throwaway Docker engine for tests: its own data root, exec root, socket and pid file under one directory,
// no iptables and no bridge (containers use --network host), the vfs storage driver (no overlay mounts needed).
// It is started and stopped by its own pid file (checked against its command line), never by name. Images come
// from a busybox rootfs built here, because no image registry is reachable.

const PREFIX = 'aetherlink-docker-';
const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 20_000;

/** The image the tests run: busybox and its applets, PATH=/bin. */
export const BUSYBOX_IMAGE = 'aetherlink/busybox:test';

/** A running (or stopped) test engine. */
export interface DockerEngine {
  /** Path of the engine's API socket (`unix://` + this is its DOCKER_HOST). */
  readonly socketPath: string;
  readonly logFile: string;
  /** Starts it again on the same directories after `stop()`. */
  start(): Promise<void>;
  /** SIGTERM to the engine (it stops its containers and its containerd), SIGKILL after 20 s. */
  stop(): Promise<void>;
  /** Stops it, unmounts what it left and removes its directories. */
  destroy(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function findBinary(name: string): string {
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/usr/bin', '/sbin', '/bin'])) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  throw new Error(`no ${name} on this machine: run scripts/setup.sh (it installs the Debian packages docker.io and busybox-static)`);
}

/** Alive and not a zombie (this sandbox's init may never reap an orphan). */
async function isRunning(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return stat !== '' && !/^\d+ \(.*\) [ZX]/.test(stat);
}

/** The pid in `pidFile` when that process is alive and its command line names `marker` (so never a reused pid). */
async function ownPid(pidFile: string, marker: string): Promise<number | undefined> {
  const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
  if (!Number.isInteger(pid) || pid <= 0 || !(await isRunning(pid))) return undefined;
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  return cmdline.includes(marker) ? pid : undefined;
}

async function stopPid(pid: number): Promise<void> {
  process.kill(pid, 'SIGTERM');
  for (const until = Date.now() + STOP_TIMEOUT_MS; Date.now() < until; await sleep(50)) if (!(await isRunning(pid))) return;
  process.kill(pid, 'SIGKILL');
  for (const until = Date.now() + 5000; Date.now() < until; await sleep(50)) if (!(await isRunning(pid))) return;
}

/** Unmounts everything mounted under `base` (the engine bind-mounts its data root and its network namespace). */
async function unmountUnder(base: string): Promise<void> {
  const mounts = (await readFile('/proc/self/mounts', 'utf8')).split('\n').map((l) => l.split(' ')[1] ?? '');
  const mine = mounts.filter((m) => m === base || m.startsWith(`${base}/`)).sort((a, b) => b.length - a.length);
  for (const m of mine) await new Promise<void>((r) => execFile('umount', ['-l', m], () => r()));
}

/** Sends one request to the engine's API; resolves with the status and the body. */
export function engineRequest(socketPath: string, method: string, path: string, body?: NodeJS.ReadableStream): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method, path, headers: body ? { 'content-type': 'application/x-tar' } : {} }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    if (body) body.pipe(req);
    else req.end();
  });
}

/**
 * Stops and removes engines this helper started from test runs that have since died (they never reached their
 * teardown), each by its own pid file.
 * @example await sweepStaleEngines()
 */
export async function sweepStaleEngines(): Promise<number> {
  let swept = 0;
  for (const name of await readdir(tmpdir())) {
    if (!name.startsWith(PREFIX)) continue;
    const base = join(tmpdir(), name);
    const owner = await readFile(join(base, 'owner.json'), 'utf8').then((t) => JSON.parse(t) as { pid?: number }, () => undefined);
    if (!owner || typeof owner.pid !== 'number' || (await isRunning(owner.pid))) continue;
    const pid = await ownPid(join(base, 'dockerd.pid'), join(base, 'data'));
    if (pid) await stopPid(pid);
    await unmountUnder(base);
    await rm(base, { recursive: true, force: true });
    swept++;
  }
  return swept;
}

/**
 * Starts a private Docker engine on a socket in a fresh temporary directory; resolves once it answers `/_ping`.
 * @example const engine = await startDockerEngine({ label: 'run' }); try { ... } finally { await engine.destroy() }
 */
export async function startDockerEngine(options: { label?: string } = {}): Promise<DockerEngine> {
  const dockerd = findBinary('dockerd');
  const base = await mkdtemp(join(tmpdir(), `${PREFIX}${options.label ?? 'test'}-`));
  const dataRoot = join(base, 'data');
  const pidFile = join(base, 'dockerd.pid');
  const socketPath = join(base, 'docker.sock');
  const logFile = join(base, 'dockerd.log');
  await writeFile(join(base, 'owner.json'), JSON.stringify({ pid: process.pid }));
  await writeFile(join(base, 'daemon.json'), '{}');
  const args = [
    '--config-file', join(base, 'daemon.json'),
    '--iptables=false', '--ip6tables=false', '--bridge=none', '--storage-driver=vfs',
    '--data-root', dataRoot, '--exec-root', join(base, 'exec'), '--pidfile', pidFile,
    '--host', `unix://${socketPath}`, '--shutdown-timeout', '2', '--log-level', 'warn',
  ];
  const logTail = async () => (await readFile(logFile, 'utf8').catch(() => '')).split('\n').slice(-15).join('\n');

  const start = async () => {
    const log = openSync(logFile, 'a');
    const child = spawn(dockerd, args, { detached: true, stdio: ['ignore', log, log] });
    closeSync(log);
    child.unref();
    let exited: string | undefined;
    child.once('exit', (code, signal) => (exited = `exited with ${signal ?? code}`));
    child.once('error', (error) => (exited = error.message));
    for (const until = Date.now() + READY_TIMEOUT_MS; Date.now() < until; await sleep(50)) {
      if (exited) break;
      const ping = await engineRequest(socketPath, 'GET', '/_ping').catch(() => undefined);
      if (ping?.status === 200) return;
    }
    throw new Error(`the Docker engine did not start (${exited ?? 'no answer in 30 s'}):\n${await logTail()}`);
  };
  const engine: DockerEngine = {
    socketPath,
    logFile,
    start,
    async stop() {
      const pid = await ownPid(pidFile, dataRoot);
      if (pid) await stopPid(pid);
    },
    async destroy() {
      try {
        await engine.stop();
      } finally {
        await unmountUnder(base);
        await rm(base, { recursive: true, force: true });
      }
    },
  };
  try {
    await start();
  } catch (error) {
    await engine.destroy();
    throw error;
  }
  return engine;
}

/**
 * Builds a rootfs of static busybox and its applets and imports it as `tag` (`docker import`, PATH=/bin).
 * @example await importBusybox(engine.socketPath)
 */
export async function importBusybox(socketPath: string, tag = BUSYBOX_IMAGE): Promise<string> {
  const busybox = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p));
  if (!busybox) throw new Error('no busybox on this machine: run scripts/setup.sh (it installs the Debian package busybox-static)');
  const rootfs = await mkdtemp(join(tmpdir(), 'aetherlink-rootfs-'));
  try {
    for (const dir of ['bin', 'tmp', 'www', 'etc']) await mkdir(join(rootfs, dir));
    await copyFile(busybox, join(rootfs, 'bin', 'busybox'));
    const applets = await new Promise<string[]>((resolve, reject) =>
      execFile(busybox, ['--list'], (error, stdout) => (error ? reject(error) : resolve(stdout.split('\n').filter(Boolean)))),
    );
    for (const applet of applets) if (applet !== 'busybox') await symlink('busybox', join(rootfs, 'bin', applet));
    await writeFile(join(rootfs, 'www', 'index.html'), 'ok\n');
    await writeFile(join(rootfs, 'etc', 'passwd'), 'root:x:0:0:root:/:/bin/sh\n');
    const [repo, version] = tag.split(':') as [string, string];
    const tar = spawn('tar', ['-C', rootfs, '-c', '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const query = new URLSearchParams({ fromSrc: '-', repo, tag: version, changes: 'ENV PATH=/bin' });
    const answer = await engineRequest(socketPath, 'POST', `/images/create?${query}`, tar.stdout);
    if (answer.status !== 200 || answer.body.includes('"error"')) throw new Error(`docker import failed (${answer.status}): ${answer.body}`);
    return tag;
  } finally {
    await rm(rootfs, { recursive: true, force: true });
  }
}
