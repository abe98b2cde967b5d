import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeStoresContract } from '@aetherlink/core/testing';
import { sqliteStores } from './index.js';

const root = mkdtempSync(join(tmpdir(), 'aetherlink-sqlite-'));
let n = 0;

// The peer is a second connection on the same file, as a second process would have.
describeStoresContract('sqlite', () => {
  const dir = join(root, String(++n));
  const stores = sqliteStores({ path: join(dir, 'aetherlink.db') });
  const peer = sqliteStores({ path: join(dir, 'aetherlink.db') });
  return {
    store: stores,
    peer,
    cleanup: async () => {
      await peer.close();
      await stores.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
