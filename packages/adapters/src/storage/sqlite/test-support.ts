// Loaded by the writer thread in tests (`writerSetup`): a SQL function that holds the commit it runs in until the
// test lets it go, so a test can prove what answers while the writer is inside a commit.
import type { SqliteDatabase } from './database.js';

/** flags[0] turns 1 once the writer is held; the writer waits until flags[1] turns 1 (or 30 s pass). */
export default function holdCommits(db: SqliteDatabase, shared: SharedArrayBuffer): void {
  const flags = new Int32Array(shared);
  db.function('aetherlink_test_hold', () => {
    Atomics.store(flags, 0, 1);
    Atomics.notify(flags, 0);
    Atomics.wait(flags, 1, 0, 30_000);
    return 0;
  });
}
