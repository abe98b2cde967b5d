// A fleet's health endpoints in one process for the auto-heal benchmark: GET /svc/<i>/ping answers as service i's
// mode says (ok: 200; error: 500; hang: no answer; reset: the connection is dropped, as when a process exits).
// POST /control/<i>/<mode> sets a mode. Plain node:http.
import { createServer } from 'node:http';

const ok = Buffer.from(JSON.stringify({ status: 'ok' }));
const failed = Buffer.from(JSON.stringify({ status: 'error' }));
const modes = new Map();
const server = createServer((req, res) => {
  const control = /^\/control\/(\d+)\/(ok|error|hang|reset)$/.exec(req.url ?? '');
  if (control) {
    modes.set(control[1], control[2]);
    res.writeHead(204).end();
    return;
  }
  const svc = /^\/svc\/(\d+)\/ping$/.exec(req.url ?? '')?.[1];
  const mode = modes.get(svc) ?? 'ok';
  if (mode === 'hang') return;
  if (mode === 'reset') {
    req.socket.destroy();
    return;
  }
  const body = mode === 'ok' ? ok : failed;
  res.writeHead(mode === 'ok' ? 200 : 500, { 'content-type': 'application/json', 'content-length': body.length });
  res.end(body);
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '127.0.0.1', () => {
  process.stdout.write(`listening on http://127.0.0.1:${server.address().port}\n`);
});
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
