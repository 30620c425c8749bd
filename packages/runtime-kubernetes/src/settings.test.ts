import { resolvePluginOptions } from '@evalhub/core';
import { describe, expect, it } from 'vitest';
import { kubernetesRuntimePlugin } from './plugin.js';

describe('KUBERNETES_SETTINGS', () => {
  it('reads the kubernetes: section and the EVALHUB_K8S_* variables, typed by the options schema', () => {
    const options = resolvePluginOptions(kubernetesRuntimePlugin, {
      sections: { kubernetes: { namespace: 'evals', image: 'from-section' } },
      env: {
        EVALHUB_K8S_IMAGE: 'localhost/eval-hub:dev',
        EVALHUB_K8S_CALLBACK_URL: 'http://eval-hub.evals.svc:8000',
        EVALHUB_K8S_TTL_SECONDS_AFTER_FINISHED: '600',
      },
    });
    expect(options).toMatchObject({
      namespace: 'evals',
      image: 'localhost/eval-hub:dev',
      callback_url: 'http://eval-hub.evals.svc:8000',
      ttl_seconds_after_finished: 600,
    });
  });
});
