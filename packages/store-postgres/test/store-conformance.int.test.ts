import { describeLogTailsConformance, describeStoreConformance } from '@evalhub/core/testing';
import { describe, expect, it } from 'vitest';
import { openStore } from './harness.js';

// The same suite the memory and SQLite stores pass (packages/core/src/stores/store.test.ts), on a
// real PostgreSQL server, each test in a fresh schema; and the log-tail part only this store offers.
describeStoreConformance({ describe, it, expect }, 'postgres store', () => openStore());
describeLogTailsConformance({ describe, it, expect }, 'postgres store', () => openStore());
