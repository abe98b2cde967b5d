/**
 * A value read from a store again only when the store's change version moved on: rules, silences and alert
 * documents change rarely, and a tick should not re-read and re-parse them every 15 s.
 * @example const rules = versioned(() => book.version(), () => book.list()); await rules.get()
 */
export function versioned<T>(version: () => Promise<number>, read: () => Promise<T>): { get(): Promise<{ version: number; value: T }> } {
  let cached: { version: number; value: T } | null = null;
  return {
    async get() {
      const v = await version();
      if (cached?.version !== v) cached = { version: v, value: await read() };
      return cached;
    },
  };
}
