/**
 * Short names of the first-party plugins, usable wherever a plugin package is named (`tracker:
 * mlflow`). A short name is also accepted as a top-level config-file section holding that plugin's
 * options (read by the plugin's `settings.section`); its content is checked by the plugin's own
 * options schema when it loads.
 */
export const PLUGIN_ALIASES: Readonly<Record<string, string>> = {
  mlflow: '@evalhub/tracker-mlflow',
  lmeval: '@evalhub/provider-lmeval',
  ragas: '@evalhub/provider-ragas',
  postgres: '@evalhub/store-postgres',
  kubernetes: '@evalhub/runtime-kubernetes',
};

/** The tracker when none is configured: the spec's (MLflow), by its short name. */
export const DEFAULT_TRACKER = 'mlflow';
