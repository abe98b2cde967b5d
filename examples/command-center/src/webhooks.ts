import type { DeliveryRecord, SendResult } from '@aetherlink/core';

/**
 * POSTs a delivery's payload as JSON with its `webhook-id`; 2xx is success, 410 means the endpoint is gone,
 * `Retry-After` (seconds or a date) is passed on to the retry schedule.
 * @example createDeliveryWorker({ store, send: jsonWebhookSender(), owner })
 */
export function jsonWebhookSender(options: { timeoutMs?: number; userAgent?: string } = {}) {
  const timeoutMs = options.timeoutMs ?? 10_000;
  return async (delivery: DeliveryRecord, signal: AbortSignal): Promise<SendResult> => {
    let res: Response;
    try {
      res = await fetch(delivery.endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': options.userAgent ?? 'AetherLink-Webhooks', 'webhook-id': delivery.webhook_id, ...delivery.headers },
        body: JSON.stringify(delivery.payload),
        signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
        redirect: 'manual',
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code;
      return { ok: false, status: null, error: (error as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (cause ?? (error as Error).message) };
    }
    await res.body?.cancel().catch(() => undefined);
    if (res.ok) return { ok: true, status: res.status };
    const retryAfter = parseRetryAfter(res.headers.get('retry-after'));
    return { ok: false, status: res.status, error: `HTTP ${res.status}`, ...(retryAfter !== undefined ? { retryAfterMs: retryAfter } : {}), ...(res.status === 410 ? { gone: true } : {}) };
  };
}

/**
 * Retry-After as ms: delta-seconds or an HTTP date.
 * @example parseRetryAfter('120') // 120000
 */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
}
