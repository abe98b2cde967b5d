import { AetherError, collection, fieldErrorsFromZod, systemClock, validationError, type Clock, type DocumentStore, type StoredDocument } from '@aetherlink/core';
import { alertSilencesCollection } from './collections.js';
import { silenceInputSchema, type SilenceInput } from './schemas.js';
import { silenceActive } from './silences.js';
import type { Silence } from './types.js';

/** A silence as the API answers it. */
export type SilenceView = Silence & { id: string; active: boolean; created_at: string };

/** Silences: create, list, get, remove (the `alert_silences` collection). */
export interface SilenceBook {
  create(input: SilenceInput, createdBy?: string | null): Promise<SilenceView>;
  list(filter?: { active?: boolean }): Promise<SilenceView[]>;
  get(id: string): Promise<SilenceView | null>;
  remove(id: string): Promise<boolean>;
  /** Every stored silence, as documents (what the evaluator matches against). */
  all(): Promise<StoredDocument<Silence>[]>;
  version(): Promise<number>;
}

/**
 * An error for a silence id that names no silence.
 * @example throw silenceNotFound(id)
 */
export const silenceNotFound = (id: string) => new AetherError('not_found', `no silence has the id "${id}"`, { details: { id } });

/**
 * The silences of a DocumentStore; `active` in answers is judged on `clock`.
 * @example const silences = createSilenceBook({ documents: stores.documents }); await silences.create({ matchers: { rule: 'api-errors' }, ends_at })
 */
export function createSilenceBook(options: { documents: DocumentStore; clock?: Clock }): SilenceBook {
  const clock = options.clock ?? systemClock;
  const silences = collection(options.documents, alertSilencesCollection);
  const view = (doc: StoredDocument<Silence>): SilenceView => ({ id: doc.id, ...doc.data, active: silenceActive(doc.data, clock.now()), created_at: doc.created_at });
  return {
    async create(input, createdBy = null) {
      const parsed = silenceInputSchema.safeParse(input);
      if (!parsed.success) throw validationError(fieldErrorsFromZod(parsed.error, { in: 'body' }), 'the silence is invalid');
      const s = parsed.data;
      const data: Silence = {
        matchers: s.matchers,
        starts_at: new Date(s.starts_at ? Date.parse(s.starts_at) : clock.now()).toISOString(),
        ends_at: s.ends_at ? new Date(Date.parse(s.ends_at)).toISOString() : null,
        recurring: s.recurring ?? null,
        comment: s.comment ?? null,
        created_by: createdBy,
      };
      if (data.ends_at !== null && Date.parse(data.ends_at) <= Date.parse(data.starts_at)) {
        throw validationError([{ field: 'ends_at', message: 'must be after starts_at (now, when starts_at is not given)', in: 'body' }], 'the silence is invalid');
      }
      return view(await silences.create({ data }));
    },
    async list(filter = {}) {
      const all = (await silences.list()).map(view);
      return filter.active === undefined ? all : all.filter((s) => s.active === filter.active);
    },
    async get(id) {
      const doc = await silences.get(id);
      return doc ? view(doc) : null;
    },
    remove: (id) => silences.remove(id),
    all: () => silences.list(),
    version: () => silences.version(),
  };
}
