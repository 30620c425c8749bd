/**
 * The hub the service tests beside this file run: core's createHub over a data folder the test
 * brings (its default store there unless the options give one), the ScriptedProvider, no tracker,
 * no plugin discovery, a silent logger and a vLLM server at a port nothing listens on.
 * Not part of the build (packages/core/tsconfig.json excludes `*.test-support.ts`).
 */
import { loadConfig } from '../config/config.js';
import { createHub, type CreateHubOptions, type Hub } from '../hub.js';
import { silentLogger } from '../logging.js';
import { ScriptedProvider } from '../testing/scripted-provider.js';

export interface ScriptedHubOptions extends Partial<CreateHubOptions> {
  /** Environment the config is read from, over (and able to replace) the defaults above. */
  env?: Record<string, string>;
}

export function createScriptedHub(
  dir: string,
  { env = {}, ...options }: ScriptedHubOptions = {},
): Promise<Hub> {
  return createHub({
    config: loadConfig({
      cwd: dir,
      env: {
        EVALHUB_TRACKER: 'none',
        EVALHUB_DISCOVER_PLUGINS: 'false',
        EVALHUB_MODEL_SERVER_VLLM: 'http://127.0.0.1:9/v1',
        ...env,
      },
    }),
    providers: [new ScriptedProvider()],
    logger: silentLogger(),
    ...options,
  });
}
