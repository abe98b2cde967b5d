// A fleet's health endpoints in one process: every path answers 200 {"status":"ok"} over keep-alive, as a
// healthy service's /ping does. Plain node:http, so the figures measure the prober, not a framework.
import { createServer } from 'node:http';

const body = Buffer.from(JSON.stringify({ status: 'ok', service: 'bench-health' }));
const server = createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
  res.end(body);
});
// Longer than any pause between rounds, so idle sockets are not closed under the prober mid-run.
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '127.0.0.1', () => {
  process.stdout.write(`listening on http://127.0.0.1:${server.address().port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
