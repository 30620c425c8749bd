import { definePlugin } from '@evalhub/core';
import { specProviders } from './catalog-provider.js';

/** A local plugin module (loaded by path from a config file) that adds the test providers. */
export default definePlugin({
  name: 'spec-providers',
  kind: 'provider',
  apiVersion: 1,
  register(ctx) {
    for (const p of specProviders()) ctx.addProvider(p);
  },
});
