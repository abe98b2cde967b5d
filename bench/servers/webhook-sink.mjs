// A webhook receiver for the alerts-delivery benchmark: answers 204 at once, verifies every Standard Webhooks
// signature with SECRET, and counts requests and distinct webhook-ids. GET /stats answers those counts.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';

const key = Buffer.from((process.env.SECRET ?? '').replace(/^whsec_/, ''), 'base64');
let requests = 0;
let badSignatures = 0;
const ids = new Set();

const valid = (headers, body) => {
  const id = headers['webhook-id'];
  const ts = headers['webhook-timestamp'];
  const sig = headers['webhook-signature'];
  if (!id || !ts || !sig) return false;
  const expected = createHmac('sha256', key).update(`${id}.${ts}.${body}`).digest();
  return String(sig)
    .split(' ')
    .some((s) => {
      const given = Buffer.from(s.slice(3), 'base64');
      return s.startsWith('v1,') && given.length === expected.length && timingSafeEqual(given, expected);
    });
};

const server = createServer((req, res) => {
  if (req.method === 'GET') {
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(JSON.stringify({ requests, unique: ids.size, bad_signatures: badSignatures }));
  }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    requests++;
    if (!valid(req.headers, Buffer.concat(chunks).toString('utf8'))) badSignatures++;
    ids.add(req.headers['webhook-id']);
    res.writeHead(204);
    res.end();
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
