// `npx @aetherlink/command-center` in the fresh project, as a stranger would run it: --help lists the variables,
// and the server starts on its embedded SQLite default, serves the dashboard and the API, and stops on SIGTERM.
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const START_LIMIT_MS = 60_000;

/**
 * Runs the installed command center through npx inside `dir`; reports each check through `ok` and `fail`.
 * @example await runCommandCenter(projectDir, { ok, fail, run })
 */
export async function runCommandCenter(dir, { ok, fail, run }) {
  try {
    const help = run('npx', ['@aetherlink/command-center', '--help'], dir);
    const listed = help.split('\n').filter((line) => /^ {2}[A-Z][A-Z0-9_]+ {2,}\S/.test(line));
    for (const name of ['PORT', 'AETHERLINK_DB', 'DATABASE_URL', 'AUTH_MODE', 'PROVIDER_ORDER', 'OLLAMA_MODEL']) {
      if (!listed.some((line) => line.trim().startsWith(`${name} `))) throw new Error(`--help does not list ${name}`);
    }
    if (!/PORT\s+.*\(default: 8010\)/.test(help)) throw new Error('--help does not give PORT its default');
    ok(`npx @aetherlink/command-center --help (${listed.length} variables)`);
  } catch (error) {
    fail('npx @aetherlink/command-center --help', error.message);
  }

  // HOME and the working directory are the project's: the default ./data/aetherlink.db lands there.
  // A process group of its own: npm exec does not pass SIGTERM on to the server it started (a terminal's Ctrl-C
  // reaches the whole group, as the kill below does).
  const proc = spawn('npx', ['@aetherlink/command-center'], {
    cwd: dir,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', AUDIT_LOG: 'off', AETHERLINK_DB: '', DATABASE_URL: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  proc.stdout.on('data', (d) => (output += d));
  proc.stderr.on('data', (d) => (output += d));
  const exited = new Promise((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
  // The server inherits npx's stdout: the pipe closes once both have exited.
  const gone = new Promise((resolve) => proc.stdout.once('close', resolve));
  try {
    const url = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`it did not start within ${START_LIMIT_MS} ms:\n${output}`)), START_LIMIT_MS);
      proc.stdout.on('data', () => {
        const match = /listening on (http:\/\/[\d.:]+)/.exec(output);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
      void exited.then(({ code }) => {
        clearTimeout(timer);
        reject(new Error(`it exited with ${code} before listening:\n${output}`));
      });
    });
    const page = await fetch(`${url}/`);
    const html = await page.text();
    if (page.status !== 200 || !html.includes('<title>AetherLink Command Center</title>')) throw new Error(`GET / answered ${page.status} without the dashboard`);
    // The dashboard's modules and styles, and the API page's viewer the package ships in dist/docs.
    for (const asset of ['/dashboard/main.js', '/dashboard/app.css', '/docs', '/docs/scalar.js']) {
      const res = await fetch(`${url}${asset}`);
      if (res.status !== 200 || (await res.text()).length < 100) throw new Error(`GET ${asset} answered ${res.status}`);
    }
    const health = await fetch(`${url}/health.json`);
    if (health.status !== 200) throw new Error(`GET /health.json answered ${health.status}: ${await health.text()}`);
    const publish = await fetch(`${url}/events/publish`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-user-roles': 'agent' },
      body: JSON.stringify({ event_type: 'lead.created', source: 'pack-check', payload: { lead_id: 7 } }),
    });
    if (publish.status !== 200) throw new Error(`POST /events/publish answered ${publish.status}`);
    const recent = await (await fetch(`${url}/events/recent?source=pack-check`, { headers: { 'x-user-roles': 'viewer' } })).json();
    if (recent.count !== 1) throw new Error(`/events/recent has ${recent.count} events, expected 1`);
    ok(`npx @aetherlink/command-center serves the dashboard, /health.json and the API on SQLite (${join('data', 'aetherlink.db')})`);
  } catch (error) {
    fail('npx @aetherlink/command-center', error.message);
  }
  const group = (signal) => {
    try {
      process.kill(-proc.pid, signal);
    } catch {
      // already gone
    }
  };
  group('SIGTERM');
  const timer = setTimeout(() => group('SIGKILL'), 15_000);
  await gone;
  clearTimeout(timer);
  if (/"msg":"shutdown complete"/.test(output)) ok('the command center shuts down gracefully on SIGTERM');
  else fail('the command center shuts down gracefully on SIGTERM', `no "shutdown complete" in its log:\n${output.slice(-2000)}`);
  group('SIGKILL');
}
