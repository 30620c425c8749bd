import { describeStoreConformance } from '@evalhub/core/testing';
import { describe, expect, it } from 'vitest';
import { openStore } from './harness.js';

// The same suite the memory and SQLite stores pass (packages/core/src/stores/store.test.ts), on a
// real PostgreSQL server, each test in a fresh schema.
describeStoreConformance({ describe, it, expect }, 'postgres store', () => openStore());
