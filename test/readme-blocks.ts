import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, connect } from 'node:net';
import { eventually } from '@aetherlink/core/testing';

/** A fenced code block of a README, with the scenarios its info string names (` ```sh runnable:postgres `). */
export interface Block {
  lang: string;
  scenarios: string[];
  /** Read-only checks that may need a moment (an event on its way): retried until they pass. */
  eventually: boolean;
  code: string;
  line: number;
}

/**
 * Every fenced code block of a Markdown text.
 * @example readmeBlocks(readFileSync('README.md', 'utf8')).filter((b) => b.scenarios.includes('postgres'))
 */
export function readmeBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)(.*)$/.exec(lines[i]!);
    if (!open || open[1] === '') continue;
    const start = i;
    const body: string[] = [];
    while (++i < lines.length && !/^```\s*$/.test(lines[i]!)) body.push(lines[i]!);
    const words = open[2]!.trim().split(/\s+/).filter(Boolean);
    blocks.push({
      lang: open[1]!,
      scenarios: words.filter((w) => w.startsWith('runnable:')).map((w) => w.slice('runnable:'.length)),
      eventually: words.includes('eventually'),
      code: body.join('\n'),
      line: start + 1,
    });
  }
  return blocks;
}

/** What a snippet says a command prints: the text after `# →` (shell) or `// →` (TypeScript) on its line. */
export function expectationOf(line: string): string | undefined {
  return /(?:#|\/\/) → (.+)$/.exec(line)?.[1]?.trim();
}

/**
 * Free ports for the ports a scenario's snippets name, and the snippets rewritten to use them.
 * @example const { rewrite } = await portMap(['8010', '8020']); rewrite('curl localhost:8010') // 'curl localhost:41234'
 */
export async function portMap(ports: readonly string[]): Promise<{ map: Map<string, number>; rewrite(text: string): string }> {
  const map = new Map<string, number>();
  for (const port of ports) map.set(port, await freePort());
  return {
    map,
    rewrite: (text) => [...map].reduce((t, [from, to]) => t.replace(new RegExp(`\\b${from}\\b`, 'g'), String(to)), text),
  };
}

/** The ports a snippet names (localhost:N, 127.0.0.1:N, PORT=N, port: N, listen(N). */
export function portsIn(text: string): string[] {
  return [...new Set([...text.matchAll(/(?:localhost:|127\.0\.0\.1:|PORT=|port: |listen\()(\d{4,5})\b/g)].map((m) => m[1]!))];
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * Waits until something accepts connections on 127.0.0.1:port; `gaveUp` names a reason to stop waiting early.
 * @example await listening(8010)
 */
export async function listening(port: number, timeoutMs = 90_000, gaveUp: () => string | undefined = () => undefined): Promise<void> {
  const up = () =>
    new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
  let failure: string | undefined;
  await eventually(async () => ((failure = gaveUp()) ? true : up()), `something listening on port ${port}`, timeoutMs, 200);
  if (failure) throw new Error(failure);
}

export interface CommandResult {
  command: string;
  expect: string | undefined;
  output: string;
  exit: number;
}

/** A process group started for a snippet (a shell and its background jobs, or a TypeScript program). */
export interface Started {
  proc: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
  /** SIGTERM to the whole group, SIGKILL after 10 s; resolves once the group is gone. */
  stop(): Promise<void>;
}

/**
 * Starts a command in a process group of its own, so it and everything it starts can be stopped together.
 * @example const p = start('bash', ['-c', script], { cwd, env }); await p.exited
 */
export function start(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Started {
  const proc = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const alive = () => {
    try {
      process.kill(-proc.pid!, 0);
      return true;
    } catch {
      return false;
    }
  };
  const signal = (s: NodeJS.Signals) => {
    try {
      process.kill(-proc.pid!, s);
    } catch {
      // the group is gone
    }
  };
  return {
    proc,
    output: () => out,
    exited,
    async stop() {
      signal('SIGTERM');
      const timer = setTimeout(() => signal('SIGKILL'), 10_000);
      await eventually(() => !alive(), `process group ${proc.pid} gone`, 20_000, 100);
      clearTimeout(timer);
    },
  };
}

/**
 * Runs a shell snippet as one bash script (its variables and background jobs carry on), recording each
 * foreground command's output and exit status. The group is left running (its background jobs): stop it.
 * @example const { results, group } = await runShell(code, { cwd, env }); await group.stop()
 */
export async function runShell(code: string, options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<{ results: CommandResult[]; group: Started }> {
  const commands = code.replace(/\\\n\s*/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const script = commands
    .map((command, i) => (/&\s*(#.*)?$/.test(command) && !/&&\s*(#.*)?$/.test(command) ? command : `${command}\nprintf '\\n@@%d:%d@@\\n' ${i} "$?"`))
    .join('\n');
  const group = start('bash', ['-c', script], options);
  await group.exited;
  const out = group.output();
  const results: CommandResult[] = [];
  let from = 0;
  for (const [i, command] of commands.entries()) {
    const marker = new RegExp(`\\n@@${i}:(\\d+)@@\\n`).exec(out.slice(from));
    if (!marker) continue;
    results.push({ command, expect: expectationOf(command), output: out.slice(from, from + marker.index), exit: Number(marker[1]) });
    from += marker.index + marker[0].length;
  }
  return { results, group };
}

/**
 * What is wrong with a shell snippet's run: a command that failed (a stream cut by curl's --max-time is fine) or
 * did not print what the snippet says it prints.
 * @example expect(problemsOf(results)).toEqual([])
 */
export function problemsOf(results: CommandResult[]): string[] {
  return results.flatMap((r) => {
    const problems: string[] = [];
    const streamCut = r.exit === 28 && /\bcurl\b.*\s-\w*N/.test(r.command);
    if (r.exit !== 0 && !streamCut) problems.push(`exit ${r.exit}: ${r.command}\n${r.output}`);
    if (r.expect !== undefined && !r.output.includes(r.expect)) problems.push(`expected ${JSON.stringify(r.expect)} from: ${r.command}\ngot: ${r.output.slice(0, 800)}`);
    return problems;
  });
}
