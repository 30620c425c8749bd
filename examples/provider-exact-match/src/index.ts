import { definePlugin } from '@evalhub/core';
import { ExactMatchProvider } from './exact-match-provider.js';

export { ExactMatchProvider, normalize } from './exact-match-provider.js';
export type { ExactMatchOptions } from './exact-match-provider.js';

interface Options {
  data_root?: string;
  concurrency?: number;
}

/** The plugin manifest the hub loads by package name: `plugins: ["evalhub-provider-exact-match"]`. */
export default definePlugin<Options>({
  name: 'evalhub-provider-exact-match',
  kind: 'provider',
  apiVersion: 1,
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: { data_root: { type: 'string' }, concurrency: { type: 'integer', minimum: 1, maximum: 64 } },
  },
  register(ctx, options) {
    ctx.addProvider(
      new ExactMatchProvider({
        dataRoot: options.data_root ?? ctx.hub.dataRoot,
        ...(options.concurrency ? { concurrency: options.concurrency } : {}),
      }),
    );
  },
});
