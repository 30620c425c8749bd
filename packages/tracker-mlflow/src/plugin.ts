import { definePlugin, type Plugin } from '@evalhub/core';
import { createMlflowProxy } from './proxy/mlflow-proxy.js';
import { MlflowTracker } from './tracker/mlflow-tracker.js';
import { optionsSchema, type MlflowTrackerOptions } from './tracker/options.js';

/**
 * The MLflow tracker plugin: sets the hub's tracker and mounts the `/mlflow` proxy. Options are the
 * snake_case settings core gathers from `MLFLOW_*` variables and the config file's `mlflow:` section.
 */
export const mlflowTrackerPlugin: Plugin<MlflowTrackerOptions> = definePlugin<MlflowTrackerOptions>({
  name: '@evalhub/tracker-mlflow',
  kind: 'tracker',
  apiVersion: 1,
  optionsSchema,
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
