import { definePlugin } from '@evalhub/core';
import { LMEVAL_ERROR_CODES } from './error-codes.js';
import { optionsSchema, type LmEvalProviderOptions } from './options.js';
import { LmEvalProvider } from './provider.js';

export { LmEvalProvider, LMEVAL_PROVIDER_ID } from './provider.js';
export type { LmEvalProviderInit } from './provider.js';
export type { LmEvalProviderOptions } from './options.js';
export { optionsSchema, benchmarkConfigSchema } from './options.js';
export { LMEVAL_CATALOG, LMEVAL_VERSION } from './catalog.generated.js';
export type { LmEvalCatalogEntry } from './catalog-types.js';
export {
  buildLmEvalCommand,
  genKwargsFromConfiguration,
  endpointUrl,
  BASE_ENV,
  OFFLINE_ENV,
} from './command.js';
export { huggingFaceEnv, HF_PASS_THROUGH } from './hf-env.js';
export type { HfEnvironment, HfOptions, OfflineSetting } from './hf-env.js';
export type { BuiltCommand, LmEvalInvocation } from './command.js';
export { metricName } from './metric-name.js';
export { parseResults, findNewestResultsFile } from './results.js';
export type { LmEvalResultsFile, ParsedResults } from './results.js';
export { checkPromptLogprobs, preflight } from './preflight.js';
export { DATASETS_HELPER_PATH, parsePullEvent, pullDatasetsCommand } from './datasets-pull.js';
export type { PullEvent, PullRequest } from './datasets-pull.js';
export { missingDatasetMessage } from './hub-dataset.js';
export type { PreflightInput, PreflightResult } from './preflight.js';
export { LMEVAL_ERROR_CODES } from './error-codes.js';

/** The plugin manifest: registers one LmEvalProvider with the hub's defaults under the given options. */
export const lmEvalProvider = definePlugin<LmEvalProviderOptions>({
  name: '@evalhub/provider-lmeval',
  kind: 'provider',
  apiVersion: 1,
  optionsSchema,
  errorCodes: LMEVAL_ERROR_CODES,
  register(ctx, options) {
    ctx.addProvider(
      new LmEvalProvider({
        ...(ctx.hub.python ? { python: ctx.hub.python } : {}),
        data_root: ctx.hub.dataRoot,
        base_dir: ctx.hub.configDir,
        logger: ctx.logger,
        ...options,
      }),
    );
  },
});

export default lmEvalProvider;
