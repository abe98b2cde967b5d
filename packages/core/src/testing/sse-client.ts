/** One Server-Sent Events message as a client reads it. */
export interface SseEvent {
  id?: string;
  event?: string;
  data: string;
}

/** An open SSE stream. */
export interface OpenStream {
  headers: Headers;
  /** The next message with data; rejects after `timeoutMs` (default 5 s) or when the stream ends. */
  next(timeoutMs?: number): Promise<SseEvent>;
  close(): void;
}

/**
 * Opens an SSE stream with fetch and reads its messages one by one (comments skipped).
 * @example const s = await openStream(url, { 'x-user-roles': 'viewer' }); const msg = await s.next(); s.close()
 */
export async function openStream(url: string, headers: Record<string, string> = {}): Promise<OpenStream> {
  const controller = new AbortController();
  const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: controller.signal });
  if (!res.ok || !res.body) throw new Error(`stream answered ${res.status}: ${await res.text()}`);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  const next = async (timeoutMs = 5000): Promise<SseEvent> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      let idx: number;
      while ((idx = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, idx);
        buffer = buffer.slice(idx + 2);
        const message: SseEvent = { data: '' };
        const data: string[] = [];
        for (const line of block.split('\n')) {
          if (line.startsWith('data: ')) data.push(line.slice(6));
          else if (line.startsWith('id: ')) message.id = line.slice(4);
          else if (line.startsWith('event: ')) message.event = line.slice(7);
        }
        if (data.length) return { ...message, data: data.join('\n') };
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('no SSE message arrived in time');
      let timer: ReturnType<typeof setTimeout> | undefined;
      const chunk = await Promise.race([
        reader.read(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('no SSE message arrived in time')), left);
        }),
      ]).finally(() => clearTimeout(timer));
      if (chunk.done) throw new Error('the stream ended');
      buffer += chunk.value;
    }
  };
  return {
    headers: res.headers,
    next,
    close: () => controller.abort(),
  };
}
