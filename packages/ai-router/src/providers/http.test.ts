// The SSE reader every SSE provider uses, fed exact byte chunks, then through a provider over HTTP.
import { Readable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeLlmServer, type FakeLlmServer } from '../_testing/fake-llm-server.js';
import { sseEvents, type SseEvent } from './http.js';
import { openaiProvider } from './openai.js';

const bytes = (text: string) => new Uint8Array(Buffer.from(text, 'utf8'));
const BOM = new Uint8Array([0xef, 0xbb, 0xbf]);

async function parse(chunks: Uint8Array[]): Promise<SseEvent[]> {
  const body = Readable.from(chunks.map((c) => Buffer.from(c)));
  const out: SseEvent[] = [];
  for await (const event of sseEvents(body as unknown as Parameters<typeof sseEvents>[0], new AbortController().signal)) out.push(event);
  return out;
}

const only = (text: string) => parse([bytes(text)]);

describe('sseEvents', () => {
  it('ends lines at a bare CR, as the spec allows', async () => {
    expect(await only('event: greeting\rdata: one\rdata: two\r\rdata: three\r\r')).toEqual([
      { event: 'greeting', data: 'one\ntwo', id: undefined },
      { event: undefined, data: 'three', id: undefined },
    ]);
  });

  it('ends lines at CRLF, and mixes all three endings in one stream', async () => {
    expect(await only('data: a\r\n\r\ndata: b\n\ndata: c\r\r')).toEqual([
      { event: undefined, data: 'a', id: undefined },
      { event: undefined, data: 'b', id: undefined },
      { event: undefined, data: 'c', id: undefined },
    ]);
  });

  it('strips one leading BOM, and only one', async () => {
    expect(await parse([BOM, bytes('data: first\n\n')])).toEqual([{ event: undefined, data: 'first', id: undefined }]);
    // A second BOM is part of the first line, which makes it a field named "\uFEFFdata": ignored.
    expect(await parse([BOM, BOM, bytes('data: lost\n\ndata: kept\n\n')])).toEqual([{ event: undefined, data: 'kept', id: undefined }]);
  });

  it('reads id, skips retry and comments, and never mistakes them for data', async () => {
    expect(await only(': keep-alive\nid: 41\nretry: 3000\ndata: {"n":1}\n\nid: 42\ndata: {"n":2}\n\n')).toEqual([
      { event: undefined, data: '{"n":1}', id: '41' },
      { event: undefined, data: '{"n":2}', id: '42' },
    ]);
  });

  it('delivers a last event the stream left without its blank line', async () => {
    expect(await only('data: a\n\ndata: [DONE]')).toEqual([
      { event: undefined, data: 'a', id: undefined },
      { event: undefined, data: '[DONE]', id: undefined },
    ]);
  });

  // Multi-byte characters (2, 3 and 4 bytes), a BOM, and CR, LF and CRLF endings, cut at every byte.
  const sample = new Uint8Array([...BOM, ...bytes('event: née\r\ndata: héllo → 😀\rdata: wörld\r\rid: ✓\ndata: end 🚀\n\n')]);
  const expected = [
    { event: 'née', data: 'héllo → 😀\nwörld', id: undefined },
    { event: undefined, data: 'end 🚀', id: '✓' },
  ];

  it('gives the same events however the bytes are cut in two, inside a character or between CR and LF', async () => {
    for (let at = 1; at < sample.length; at++) {
      expect(await parse([sample.slice(0, at), sample.slice(at)]), `cut at byte ${at}`).toEqual(expected);
    }
  });

  it('gives the same events one byte at a time', async () => {
    expect(await parse([...sample].map((b) => new Uint8Array([b])))).toEqual(expected);
  });

  it('refuses an event larger than its limit instead of buffering without end', async () => {
    const body = Readable.from([Buffer.from(`data: ${'x'.repeat(5000)}`)]);
    const reading = (async () => {
      for await (const _ of sseEvents(body as unknown as Parameters<typeof sseEvents>[0], new AbortController().signal, 1024)) void _;
    })();
    await expect(reading).rejects.toMatchObject({ kind: 'invalid_response', message: 'a stream event is larger than 1024 characters' });
  });
});

describe('an OpenAI-compatible stream over HTTP with a BOM and bare-CR endings', () => {
  let fake: FakeLlmServer;
  beforeAll(async () => {
    fake = await startFakeLlmServer();
  });
  afterAll(() => fake.close());
  beforeEach(() => fake.reset());

  it('streams every delta and the final usage, with chunks cut inside characters', async () => {
    const chunk = (delta: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
      `data: ${JSON.stringify({ object: 'chat.completion.chunk', model: 'm', choices: [{ index: 0, delta, finish_reason: null }], ...extra })}\r\r`;
    const text = [
      chunk({ role: 'assistant', content: '' }),
      'id: 1\rretry: 500\r',
      chunk({ content: 'Grüße ' }),
      chunk({ content: 'aus 🌍' }),
      `data: ${JSON.stringify({ object: 'chat.completion.chunk', model: 'm', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }], usage: { prompt_tokens: 3, completion_tokens: 4 } })}\r\r`,
      'data: [DONE]\r\r',
    ].join('');
    const all = new Uint8Array([...BOM, ...bytes(text)]);
    // Cut right inside "ü" (2 bytes) and "🌍" (4 bytes), and between the BOM's bytes.
    const cuts = [1, all.indexOf(0xc3) + 1, all.indexOf(0xf0) + 2, all.length - 3];
    const chunks = cuts.map((at, i) => all.slice(i === 0 ? 0 : cuts[i - 1], at)).concat([all.slice(cuts.at(-1))]);
    fake.set('raw', { kind: 'raw', chunks });
    const provider = openaiProvider({ baseUrl: fake.baseUrl('raw', 'openai'), model: 'm', env: {} });
    const events = [];
    for await (const event of provider.stream!({ messages: [{ role: 'user', content: 'hi' }] }, { signal: new AbortController().signal, timeoutMs: 5000 })) events.push(event);
    expect(events).toEqual([
      { type: 'delta', text: 'Grüße ' },
      { type: 'delta', text: 'aus 🌍' },
      { type: 'done', model: 'm', usage: { input_tokens: 3, output_tokens: 4, total_tokens: 7 }, finish_reason: 'stop' },
    ]);
  });
});
