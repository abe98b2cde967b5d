// The registry at SERVICES services (SQLite store, as the reference server keeps it), all healthy behind URL:
// one probe round of createHealthChecker (CONCURRENCY in flight) timed, and the process's memory after it (run
// with --expose-gc, so the figure is what stays). Prints one JSON line.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sqliteStores } from '@aetherlink/adapters/sqlite';
import { createHealthChecker, createRegistry } from '@aetherlink/registry';

const base = process.env.URL;
const services = Number(process.env.SERVICES ?? 100);
const concurrency = Number(process.env.CONCURRENCY ?? 16);
const dir = mkdtempSync(join(tmpdir(), 'aetherlink-registry-scale-'));
const stores = sqliteStores({ path: join(dir, 'registry.db') });
const registry = createRegistry({ store: stores.registry });
const mb = (n) => Math.round((n / 1e6) * 10) / 10;

for (let from = 0; from < services; from += 500) {
  const chunk = [];
  for (let i = from; i < Math.min(services, from + 500); i++) {
    chunk.push(registry.register({ name: `svc-${i}`, url: `${base}/svc/${i}`, check: { status: '200-299', max_latency_ms: 2000, body_path: 'status', body_ok: ['ok'] } }));
  }
  await Promise.all(chunk);
}
const checker = createHealthChecker({ registry, concurrency, timeoutMs: 5000 });
globalThis.gc?.();
const before = process.memoryUsage();
const started = performance.now();
const report = await checker.checkAll();
const roundMs = performance.now() - started;
globalThis.gc?.();
const after = process.memoryUsage();
const failures = report.services.filter((s) => s.status !== 'ok').length;
await checker.close();
await stores.close();
rmSync(dir, { recursive: true, force: true });
process.stdout.write(`${JSON.stringify({ services, round_ms: roundMs, failures, rss_mb: mb(after.rss), heap_mb: mb(after.heapUsed), heap_before_mb: mb(before.heapUsed) })}\n`);
