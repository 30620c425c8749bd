import type { PluginSettings } from '@evalhub/core';

/**
 * Where the runtime's options come from besides its own `runtime: {name, options}` entry: the
 * config file's `kubernetes:` section (so `runtime: kubernetes` plus a section reads like the other
 * first-party plugins) and these variables, which a Deployment sets without a config file.
 */
export const KUBERNETES_SETTINGS: PluginSettings = {
  section: 'kubernetes',
  env: {
    namespace: 'EVALHUB_K8S_NAMESPACE',
    image: 'EVALHUB_K8S_IMAGE',
    image_pull_policy: 'EVALHUB_K8S_IMAGE_PULL_POLICY',
    callback_url: 'EVALHUB_K8S_CALLBACK_URL',
    hub_name: 'EVALHUB_K8S_HUB_NAME',
    ttl_seconds_after_finished: 'EVALHUB_K8S_TTL_SECONDS_AFTER_FINISHED',
    default_deadline_seconds: 'EVALHUB_K8S_DEFAULT_DEADLINE_SECONDS',
  },
};
