// SSE subscribers in one process: COUNT streams on URL (plus STALLED streams that connect and then never read).
// Prints `ready` once every stream is open, then `done {json}` once every reading stream has received EXPECT
// events (or TIMEOUT_MS passed): the fewest and most events a reading stream received, and the delivery latency
// (p50, p99 ms) seen by up to 100 sampled streams: the time it arrived less the `sent` time in its data (the
// wall clock when the publisher sent it), for the events numbered WARMUP and up (`n` in the data).
//
// Each stream is a raw TCP socket that counts the `id:` lines in what it reads. Node's HTTP client (parse each
// chunk, decode, split lines) cost ~7.6 µs per event per stream, on the CPU the latency probe shares: with 1,000
// streams that was most of a CPU, a load on the measurement rather than on the server it measures.
import { connect } from 'node:net';

const url = new URL(process.env.URL);
const count = Number(process.env.COUNT ?? 1);
const stalled = Number(process.env.STALLED ?? 0);
const expect = Number(process.env.EXPECT ?? 0);
const timeoutMs = Number(process.env.TIMEOUT_MS ?? 120_000);
const warmup = Number(process.env.WARMUP ?? 0);
const sampleEvery = Math.max(1, Math.ceil(count / 100));
const SENT = /"n":(\d+),[^\n]*?"sent":([\d.]+)/g;
const latencies = [];
const request = Buffer.from(
  `GET ${url.pathname}${url.search} HTTP/1.1\r\nhost: ${url.host}\r\nx-user-roles: viewer\r\naccept: text/event-stream\r\n\r\n`,
);
// An event's id line starts a line; the data lines are JSON, which holds no raw newline.
const ID_LINE = Buffer.from('\nid: ');
const KEEP = ID_LINE.length - 1;

const received = new Array(count).fill(0);
let complete = 0;
let open = 0;
let finished = false;
const finish = () => {
  if (finished) return;
  finished = true;
  latencies.sort((a, b) => a - b);
  const pct = (p) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] : null);
  const delivery = { p50_ms: pct(50), p99_ms: pct(99), n: latencies.length };
  process.stdout.write(`done ${JSON.stringify({ min: Math.min(...received), max: Math.max(...received), streams: count, stalled, delivery })}\n`);
  process.exit(0);
};
const opened = () => {
  if (++open === count + stalled) process.stdout.write('ready\n');
};

const connectStream = (i, reading) => {
  const socket = connect(Number(url.port), url.hostname);
  socket.setNoDelay(true);
  let head = true;
  // The last bytes of the previous read: an id line may straddle two reads.
  let tail = Buffer.alloc(0);
  // A sampled stream's unfinished last line, for the latency.
  const sampled = reading && i % sampleEvery === 0;
  let partial = '';
  socket.on('data', (chunk) => {
    let buf = tail.length ? Buffer.concat([tail, chunk]) : chunk;
    if (head) {
      // The status line and headers, however many reads they take.
      if (buf.indexOf('\r\n\r\n') < 0) {
        tail = buf;
        return;
      }
      const status = buf.subarray(0, buf.indexOf('\r\n')).toString('latin1');
      if (!/^HTTP\/1\.1 200 /.test(status)) throw new Error(`stream ${i} answered ${status}`);
      head = false;
      opened();
      if (!reading) {
        // Never read again: the kernel's buffers fill and the server sees a client that has stopped.
        socket.pause();
        return;
      }
      buf = buf.subarray(buf.indexOf('\r\n\r\n') + 2);
    }
    let n = 0;
    for (let at = buf.indexOf(ID_LINE); at >= 0; at = buf.indexOf(ID_LINE, at + ID_LINE.length)) n++;
    tail = Buffer.from(buf.subarray(Math.max(0, buf.length - KEEP)));
    if (sampled) {
      const now = performance.timeOrigin + performance.now();
      const text = partial + chunk.toString('latin1');
      const end = text.lastIndexOf('\n') + 1;
      for (const m of text.slice(0, end).matchAll(SENT)) if (Number(m[1]) >= warmup) latencies.push(now - Number(m[2]));
      partial = text.slice(end);
    }
    if (n === 0) return;
    const before = received[i];
    received[i] += n;
    if (expect > 0 && before < expect && received[i] >= expect && ++complete === count) finish();
  });
  // A stalled stream may be cut off by the server (it is too slow): that is what it is for.
  socket.on('error', (error) => {
    if (reading && !finished) throw error;
  });
  socket.write(request);
};
for (let i = 0; i < count; i++) connectStream(i, true);
for (let i = 0; i < stalled; i++) connectStream(count + i, false);
setTimeout(finish, timeoutMs).unref();
setInterval(() => {}, 1 << 30);
process.on('SIGTERM', finish);
