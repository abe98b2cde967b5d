import { z } from 'zod';
import { ProviderError } from './errors.js';
import { leadSchema, type Lead } from './schemas.js';
import type { AnyIntent, ChatRequest, ChatResponse, Intent } from './types.js';

/**
 * Declares an intent with its input and output types inferred from its schemas.
 * @example
 * const tagTicket = defineIntent({ name: 'tag-ticket', capability: 'classify_intent', input: z.object({ text: z.string() }),
 *   output: z.object({ tags: z.array(z.string()) }), prompt: ({ text }) => ({ json: true, messages: [{ role: 'user', content: text }] }) });
 */
export function defineIntent<I, O>(intent: Intent<I, O>): Intent<I, O> {
  return intent;
}

const textInput = (max: number) =>
  z.preprocess(
    (v) => (typeof v === 'string' ? { text: v } : v),
    z.object(
      { text: z.string({ error: 'is required' }).trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`) },
      { error: 'must be a string or an object with "text"' },
    ),
  );

/**
 * `extract-lead`: free text → `{ name, email, company, phone?, notes? }`.
 * @example createRouter({ providers, intents: [extractLeadIntent] })
 */
export const extractLeadIntent = defineIntent<{ text: string }, Lead>({
  name: 'extract-lead',
  capability: 'extract_lead',
  description: 'Extracts a sales lead (name, email, company, phone, notes) from free text.',
  input: textInput(20_000),
  output: leadSchema,
  prompt: ({ text }) => ({
    json: true,
    temperature: 0,
    messages: [
      {
        role: 'system',
        content:
          'You extract sales leads. Answer with one JSON object with the keys "name", "email", "company", and, when the text gives them, "phone" and "notes". Use only facts from the text.',
      },
      { role: 'user', content: text },
    ],
  }),
});

const activityInput = z.preprocess(
  (v) => (typeof v === 'string' ? { text: v } : v),
  z
    .object(
      {
        text: z.string().trim().min(1).max(50_000).optional(),
        activities: z.array(z.union([z.string(), z.record(z.string(), z.unknown())])).min(1).max(500).optional(),
        max_words: z.number().int().min(5).max(1000).default(80),
        /** Who the activity is about (a lead or contact id), carried into `ai.summary.created`. */
        subject_id: z.union([z.string().min(1).max(200), z.number()]).optional(),
      },
      { error: 'must be a string or an object with "text" or "activities"' },
    )
    .refine((v) => v.text !== undefined || v.activities !== undefined, { message: 'give "text" or "activities"', path: ['text'] }),
);

/**
 * `summarize-activity`: activity notes → `{ summary }`, published as `ai.summary.created`.
 * @example await router.run('summarize-activity', { activities: ['called Ann', 'sent pricing'], subject_id: 42 })
 */
export const summarizeActivityIntent = defineIntent<z.output<typeof activityInput>, { summary: string }>({
  name: 'summarize-activity',
  capability: 'summarize_activity',
  description: 'Summarizes a contact’s recent activity in a few sentences.',
  input: activityInput,
  output: z.object({ summary: z.string().trim().min(1, 'must not be empty') }),
  parse: (text) => ({ summary: text.trim() }),
  event: (output, input) => ({ type: 'ai.summary.created', data: { summary: output.summary, ...(input.subject_id === undefined ? {} : { subject_id: input.subject_id }) } }),
  prompt: (input) => ({
    temperature: 0.2,
    messages: [
      { role: 'system', content: `Summarize the activity for a sales or support agent in at most ${input.max_words} words. Answer with the summary only.` },
      {
        role: 'user',
        content: input.text ?? (input.activities ?? []).map((a) => `- ${typeof a === 'string' ? a : JSON.stringify(a)}`).join('\n'),
      },
    ],
  }),
});

const DEFAULT_LABELS = ['sales', 'support', 'billing', 'other'] as const;
// Building a zod schema costs far more than using one: keep one per label set (bounded).
const labelSchemas = new Map<string, z.ZodType<{ intent: string; confidence: number }>>();
function labelSchema(labels: readonly string[]): z.ZodType<{ intent: string; confidence: number }> {
  const key = labels.join('\u0000');
  let schema = labelSchemas.get(key);
  if (!schema) {
    const list = labels as [string, ...string[]];
    schema = z.object({ intent: z.enum(list, { error: `must be one of ${labels.join(', ')}` }), confidence: z.number().min(0).max(1) });
    if (labelSchemas.size >= 256) labelSchemas.clear();
    labelSchemas.set(key, schema);
  }
  return schema;
}
const classifyInput = z.preprocess(
  (v) => (typeof v === 'string' ? { text: v } : v),
  z.object(
    {
      text: z.string({ error: 'is required' }).trim().min(1, 'must not be empty').max(20_000),
      labels: z.array(z.string().trim().min(1).max(100)).min(2, 'must list at least 2 labels').max(50).optional(),
    },
    { error: 'must be a string or an object with "text"' },
  ),
);

/**
 * `classify-intent`: a message → `{ intent, confidence }`, the intent one of the given labels.
 * @example await router.run('classify-intent', { text: 'my invoice is wrong', labels: ['billing', 'bug'] })
 */
export const classifyIntentIntent = defineIntent<z.output<typeof classifyInput>, { intent: string; confidence: number }>({
  name: 'classify-intent',
  capability: 'classify_intent',
  description: 'Classifies what a customer message is about, as one of the given labels.',
  input: classifyInput,
  output: (input) => labelSchema(input.labels ?? DEFAULT_LABELS),
  prompt: (input) => ({
    json: true,
    temperature: 0,
    messages: [
      {
        role: 'system',
        content: `Classify the message as exactly one of: ${(input.labels ?? DEFAULT_LABELS).join(', ')}. Answer with one JSON object {"intent": <label>, "confidence": <0..1>}.`,
      },
      { role: 'user', content: input.text },
    ],
  }),
});

/**
 * The seed's intents, served by `createRouter` unless you pass your own list.
 * @example createRouter({ providers, intents: [...BUILTIN_INTENTS, tagTicket] })
 */
export const BUILTIN_INTENTS: readonly AnyIntent[] = [extractLeadIntent, summarizeActivityIntent, classifyIntentIntent];

/**
 * Finds the JSON object in a model's answer: bare, inside a ```json fence, or amid prose.
 * @example extractJson('Sure! ```json\n{"a":1}\n```') // { a: 1 }
 */
export function extractJson(text: string): unknown {
  const fenced = /```(?:json)?\s*([\s\S]*?)```/i.exec(text);
  const candidate = (fenced ? fenced[1]! : text).trim();
  try {
    return JSON.parse(candidate);
  } catch {
    const start = candidate.indexOf('{');
    const end = candidate.lastIndexOf('}');
    if (start !== -1 && end > start) {
      try {
        return JSON.parse(candidate.slice(start, end + 1));
      } catch {
        // reported below
      }
    }
  }
  throw new ProviderError('invalid_output', `the answer holds no JSON object: ${text.trim().slice(0, 120) || '(empty)'}`);
}

/**
 * Builds the check a provider's answer must pass for an intent and input: parse, then the output schema.
 * A failure is an `invalid_output` ProviderError, so it counts as that provider's failure.
 * @example const accept = outputCheck(extractLeadIntent, { text }); const lead = accept(response)
 */
export function outputCheck<I, O>(intent: Intent<I, O>, input: I, request: ChatRequest): (response: ChatResponse) => O {
  const schema = typeof intent.output === 'function' ? intent.output(input) : intent.output;
  return (response) => {
    const candidate = intent.parse ? intent.parse(response.text, input) : request.json ? extractJson(response.text) : response.text;
    const result = schema.safeParse(candidate);
    if (result.success) return result.data;
    const issues = result.error.issues.map((i) => `${i.path.join('.') || 'output'}: ${i.message}`).join('; ');
    throw new ProviderError('invalid_output', `the answer fails the "${intent.name}" output schema: ${issues}`);
  };
}
