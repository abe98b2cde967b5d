// SSE subscribers in one process: COUNT streams on URL (plus STALLED streams that connect and then never read).
// Prints `ready` once every stream is open, then `done {json}` once every reading stream has received EXPECT
// events (or TIMEOUT_MS passed): the fewest and most events a reading stream received.
import { request } from 'node:http';

const url = process.env.URL;
const count = Number(process.env.COUNT ?? 1);
const stalled = Number(process.env.STALLED ?? 0);
const expect = Number(process.env.EXPECT ?? 0);
const timeoutMs = Number(process.env.TIMEOUT_MS ?? 120_000);
const headers = { 'x-user-roles': 'viewer', accept: 'text/event-stream' };

const received = new Array(count).fill(0);
let open = 0;
let finished = false;
const finish = () => {
  if (finished) return;
  finished = true;
  process.stdout.write(`done ${JSON.stringify({ min: Math.min(...received), max: Math.max(...received), streams: count, stalled })}\n`);
  process.exit(0);
};
const check = () => {
  if (expect > 0 && received.every((n) => n >= expect)) finish();
};
const opened = () => {
  if (++open === count + stalled) process.stdout.write('ready\n');
};
const connect = (i, reading) => {
  const req = request(url, { headers }, (res) => {
    if (res.statusCode !== 200) throw new Error(`stream ${i} answered ${res.statusCode}`);
    opened();
    if (!reading) {
      // Never read again: the kernel's buffers fill and the server sees a client that has stopped.
      res.pause();
      return;
    }
    let tail = '';
    res.setEncoding('utf8');
    res.on('data', (chunk) => {
      const lines = (tail + chunk).split('\n');
      tail = lines.pop();
      for (const line of lines) if (line.startsWith('id: ')) received[i]++;
      check();
    });
  });
  req.on('error', (error) => {
    if (!finished) throw error;
  });
  req.end();
};
for (let i = 0; i < count; i++) connect(i, true);
for (let i = 0; i < stalled; i++) connect(count + i, false);
setTimeout(finish, timeoutMs).unref();
setInterval(() => {}, 1 << 30);
process.on('SIGTERM', finish);
