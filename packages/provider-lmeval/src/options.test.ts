import { describe, expect, it } from 'vitest';
import { GATEWAY_BATCH_SIZE, gatewayBatchSize } from './options.js';

describe('gatewayBatchSize', () => {
  it('batches up to 16 prompts, leaving room for four requests at the server', () => {
    expect(gatewayBatchSize(512)).toBe(GATEWAY_BATCH_SIZE);
    expect(gatewayBatchSize(64)).toBe(16);
    expect(gatewayBatchSize(32)).toBe(8);
    expect(gatewayBatchSize(8)).toBe(2);
    expect(gatewayBatchSize(7)).toBe(1);
    expect(gatewayBatchSize(4)).toBe(1);
    expect(gatewayBatchSize(1)).toBe(1);
  });
});
