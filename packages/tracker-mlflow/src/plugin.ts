import { definePlugin, type Plugin } from '@evalhub/core';
import { MLFLOW_ERROR_CODES } from './error-codes.js';
import { createMlflowProxy } from './proxy/mlflow-proxy.js';
import { MlflowTracker } from './tracker/mlflow-tracker.js';
import { MLFLOW_SETTINGS, optionsSchema, type MlflowTrackerOptions } from './tracker/options.js';

/**
 * The MLflow tracker plugin: sets the hub's tracker and mounts the `/mlflow` proxy. Its options are
 * read from its config entry, the `MLFLOW_*` variables and the config file's `mlflow:` section, as
 * MLFLOW_SETTINGS declares (core applies the declaration; the plugin never reads the environment).
 */
export const mlflowTrackerPlugin: Plugin<MlflowTrackerOptions> = definePlugin<MlflowTrackerOptions>({
  name: '@evalhub/tracker-mlflow',
  kind: 'tracker',
  apiVersion: 1,
  optionsSchema,
  settings: MLFLOW_SETTINGS,
  errorCodes: MLFLOW_ERROR_CODES,
  register(ctx, options) {
    const tracker = new MlflowTracker({ options, hubVersion: ctx.hub.version, logger: ctx.logger });
    ctx.setTracker(tracker);
    if (options.proxy_enabled !== false) {
      ctx.addHttpHandler(
        createMlflowProxy(tracker.client, {
          allowWrites: options.proxy_allow_writes === true,
          logger: ctx.logger,
        }),
      );
    }
  },
});

export default mlflowTrackerPlugin;
