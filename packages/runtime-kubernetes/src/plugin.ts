import { definePlugin, type Plugin } from '@evalhub/core';
import { createCallbackHandler } from './callback-handler.js';
import { KUBERNETES_ERROR_CODES } from './error-codes.js';
import { kubeConfigFrom, namespaceFrom } from './kube-config.js';
import { KubernetesRuntime } from './kubernetes-runtime.js';
import { optionsSchema, validateOptions, type KubernetesRuntimeOptions } from './options.js';
import { KUBERNETES_SETTINGS } from './settings.js';

/**
 * The Kubernetes Job runtime plugin: checks its options and the hub's permissions in the namespace
 * at start-up, sets the hub's runtime and mounts the worker callback routes.
 */
export const kubernetesRuntimePlugin: Plugin<KubernetesRuntimeOptions> =
  definePlugin<KubernetesRuntimeOptions>({
    name: '@evalhub/runtime-kubernetes',
    kind: 'runtime',
    errorCodes: KUBERNETES_ERROR_CODES,
    apiVersion: 1,
    optionsSchema,
    settings: KUBERNETES_SETTINGS,
    async register(ctx, options) {
      validateOptions(options);
      const kubeConfig = kubeConfigFrom(options.kube);
      const runtime = new KubernetesRuntime(options, {
        kubeConfig,
        namespace: namespaceFrom(options.namespace, kubeConfig),
        logger: ctx.logger,
        dataRoots: [ctx.hub.dataRoot, ctx.hub.dataDir],
      });
      await runtime.start();
      ctx.setRuntime(runtime);
      ctx.addHttpHandler(createCallbackHandler(runtime.registry, ctx.logger));
      ctx.onClose(() => runtime.close());
      ctx.logger.info(
        { namespace: runtime.namespace, image: options.image, callback_url: options.callback_url },
        'benchmarks run as Kubernetes Jobs',
      );
    },
  });

export default kubernetesRuntimePlugin;
