import { describeStoresContract } from '@aetherlink/core/testing';
import { openPostgresStores, postgresStores } from './stores.js';
import { dropSchema, testDatabaseUrl, uniqueSchema } from '../../../../../test/postgres.js';

// Every store contract, each test on a schema of its own on the run's PostgreSQL server. The peer is a second
// instance on the same schema with a pool of its own, as another process would be: races run across both.
describeStoresContract('postgres', async () => {
  const schema = uniqueSchema('contract');
  const stores = await openPostgresStores({ connectionString: testDatabaseUrl(), schema, poolSize: 5 });
  const peer = postgresStores({ connectionString: testDatabaseUrl(), schema, poolSize: 5 });
  return {
    store: stores,
    peer,
    cleanup: async () => {
      await peer.close();
      await stores.close();
      await dropSchema(schema);
    },
  };
});
