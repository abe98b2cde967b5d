import { parseRetryAfter, type DeliveryRecord } from '@aetherlink/core';
import type { SendResult } from './schedule.js';

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
        // Stored headers may add to these but never replace the ones receivers dedupe and parse on.
        headers: { ...delivery.headers, 'content-type': 'application/json', 'user-agent': options.userAgent ?? 'AetherLink-Webhooks', 'webhook-id': delivery.webhook_id },
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
    const retryAfter = parseRetryAfter(res.headers, Date.now());
    return { ok: false, status: res.status, error: `HTTP ${res.status}`, ...(retryAfter !== undefined ? { retryAfterMs: retryAfter } : {}), ...(res.status === 410 ? { gone: true } : {}) };
  };
}
