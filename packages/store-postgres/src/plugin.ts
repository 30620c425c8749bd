import { definePlugin, type Plugin } from '@evalhub/core';
import { POSTGRES_ERROR_CODES } from './error-codes.js';
import { optionsSchema, type PostgresStoreOptions } from './options.js';
import { PostgresStore } from './postgres-store.js';

/**
 * The PostgreSQL store plugin (`store: postgres`). Options are the snake_case settings core gathers
 * from `EVALHUB_DATABASE_URL`, the libpq `PG*` variables and `store.options` in the config file.
 * Connects and migrates while registering, so a hub with an unreachable database does not start.
 */
export const postgresStorePlugin: Plugin<PostgresStoreOptions> = definePlugin<PostgresStoreOptions>({
  name: '@evalhub/store-postgres',
  kind: 'store',
  apiVersion: 1,
  optionsSchema,
  errorCodes: POSTGRES_ERROR_CODES,
  async register(ctx, options) {
    const store = await PostgresStore.open({ options, baseDir: ctx.hub.configDir, logger: ctx.logger });
    ctx.setStore(store);
  },
});

export default postgresStorePlugin;
