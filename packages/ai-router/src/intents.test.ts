import { describe, expect, it } from 'vitest';
import { classifyIntentIntent, extractJson, extractLeadIntent, outputCheck, summarizeActivityIntent } from './intents.js';

describe('extractJson', () => {
  it('finds the object bare, fenced or amid prose', () => {
    expect(extractJson('{"a":1}')).toEqual({ a: 1 });
    expect(extractJson('Here you go:\n```json\n{"a": 2}\n```')).toEqual({ a: 2 });
    expect(extractJson('Sure. {"a": 3} Hope that helps.')).toEqual({ a: 3 });
  });

  it('is an invalid_output failure when there is none', () => {
    expect(() => extractJson('I cannot help with that.')).toThrow(expect.objectContaining({ kind: 'invalid_output' }));
  });
});

describe('extract-lead', () => {
  const input = extractLeadIntent.input.parse('Ann Lee from Acme, ann@acme.io');
  const request = extractLeadIntent.prompt(input);
  const accept = outputCheck(extractLeadIntent, input, request);

  it('accepts a string or { text } and asks for JSON', () => {
    expect(input).toEqual({ text: 'Ann Lee from Acme, ann@acme.io' });
    expect(request.json).toBe(true);
    expect(request.messages.at(-1)).toEqual({ role: 'user', content: input.text });
  });

  it('returns the zod-validated lead, dropping extra keys and empty optionals', () => {
    expect(accept({ text: '{"name":"Ann Lee","email":"ann@acme.io","company":"Acme","phone":null,"notes":"","title":"CTO"}' })).toEqual({
      name: 'Ann Lee',
      email: 'ann@acme.io',
      company: 'Acme',
      phone: undefined,
      notes: undefined,
    });
  });

  it('rejects output that fails the schema as the provider’s failure', () => {
    expect(() => accept({ text: '{"name":"Ann Lee","email":"not-an-email","company":"Acme"}' })).toThrow(
      expect.objectContaining({ kind: 'invalid_output', message: expect.stringContaining('email: must be an email address') }),
    );
    expect(() => accept({ text: '{"name":"Ann Lee","email":"ann@acme.io"}' })).toThrow(expect.objectContaining({ kind: 'invalid_output' }));
  });

  it('names the bad input field', () => {
    const r = extractLeadIntent.input.safeParse({ text: '' });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]).toMatchObject({ path: ['text'], message: 'must not be empty' });
    expect(extractLeadIntent.input.safeParse(42).error?.issues[0]?.message).toBe('must be a string or an object with "text"');
  });
});

describe('summarize-activity and classify-intent', () => {
  it('summarizes text or a list of activities as { summary }', () => {
    const input = summarizeActivityIntent.input.parse({ activities: ['called Ann', { type: 'email', subject: 'pricing' }] });
    const request = summarizeActivityIntent.prompt(input);
    expect(request.messages.at(-1)?.content).toBe('- called Ann\n- {"type":"email","subject":"pricing"}');
    expect(outputCheck(summarizeActivityIntent, input, request)({ text: '  Ann asked about pricing. ' })).toEqual({ summary: 'Ann asked about pricing.' });
    expect(summarizeActivityIntent.input.safeParse({}).success).toBe(false);
  });

  it('classifies into the given labels only', () => {
    const input = classifyIntentIntent.input.parse({ text: 'my invoice is wrong', labels: ['billing', 'bug'] });
    const accept = outputCheck(classifyIntentIntent, input, classifyIntentIntent.prompt(input));
    expect(accept({ text: '{"intent":"billing","confidence":0.9}' })).toEqual({ intent: 'billing', confidence: 0.9 });
    expect(() => accept({ text: '{"intent":"sales","confidence":0.9}' })).toThrow(expect.objectContaining({ kind: 'invalid_output' }));
  });
});
