// The baseline for HTTP publishes: a bare Fastify route that parses the same JSON body and answers, storing nothing.
import Fastify from 'fastify';
import { randomUUID } from 'node:crypto';

const app = Fastify({ logger: false, bodyLimit: 64 * 1024 });
app.post('/events/publish', async (req) => ({ status: 'ok', event_id: req.body?.id ?? randomUUID() }));
process.stdout.write(`listening on ${await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' })}\n`);
