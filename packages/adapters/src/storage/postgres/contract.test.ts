import { describeStoresContract } from '@aetherlink/core/testing';
import { openPostgresStores } from './stores.js';
import { dropSchema, testDatabaseUrl, uniqueSchema } from './test-support.js';

// Every store contract, each test on a schema of its own on the run's PostgreSQL server.
describeStoresContract('postgres', async () => {
  const schema = uniqueSchema('contract');
  const stores = await openPostgresStores({ connectionString: testDatabaseUrl(), schema, poolSize: 5 });
  return {
    store: stores,
    cleanup: async () => {
      await stores.close();
      await dropSchema(schema);
    },
  };
});
