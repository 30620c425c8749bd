import { defineErrorCodes, registerErrorCodes } from '@evalhub/core';

/**
 * The PostgreSQL store's own error codes, contributed through its manifest. Leases and outages use
 * core's `lease_lost` and `store_unavailable` (the store contract's).
 */
export const POSTGRES_ERROR_CODES = defineErrorCodes({
  evaluation_exists: {
    kind: 'request',
    status: 409,
    meaning: 'the store already holds an evaluation with this id (another replica inserted it)',
    fix: 'submit again: the new evaluation gets a new id',
  },
});

type PostgresErrorCodes = typeof POSTGRES_ERROR_CODES;

declare module '@evalhub/core' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface ErrorCodeRegistry extends PostgresErrorCodes {}
}

registerErrorCodes('@evalhub/store-postgres', POSTGRES_ERROR_CODES);
