import { KubeConfig } from '@kubernetes/client-node';
import { ConfigError } from '@evalhub/core';
import { existsSync, readFileSync } from 'node:fs';
import type { KubernetesRuntimeOptions } from './options.js';
import { readTokenFile, TOKEN_FILE_AUTH, TokenFileAuth, withoutBearerTokens } from './token-file-auth.js';

const IN_CLUSTER_NAMESPACE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

/** The API server connection: a kubeconfig file, a server + token file, or in-cluster (default). */
export function kubeConfigFrom(kube: KubernetesRuntimeOptions['kube']): KubeConfig {
  const kc = new KubeConfig();
  try {
    if (kube?.kubeconfig) {
      kc.loadFromFile(kube.kubeconfig);
      if (kube.context) kc.setCurrentContext(kube.context);
    } else if (kube?.server) {
      // Read now to fail early; TokenFileAuth re-reads it every minute (projected tokens rotate).
      readTokenFile(kube.token_file ?? '');
      kc.addAuthenticator(new TokenFileAuth());
      kc.loadFromOptions({
        clusters: [
          {
            name: 'cluster',
            server: kube.server,
            ...(kube.ca_file ? { caFile: kube.ca_file } : {}),
            skipTLSVerify: false,
          },
        ],
        users: [
          {
            name: 'evalhub',
            authProvider: { name: TOKEN_FILE_AUTH, config: { path: kube.token_file ?? '' } },
          },
        ],
        contexts: [{ name: 'evalhub', cluster: 'cluster', user: 'evalhub' }],
        currentContext: 'evalhub',
      });
    } else {
      if (!process.env.KUBERNETES_SERVICE_HOST)
        throw new Error(
          'not running in a cluster (no KUBERNETES_SERVICE_HOST); set kube.kubeconfig or kube.server',
        );
      kc.loadFromCluster();
    }
  } catch (err) {
    throw new ConfigError(
      `@evalhub/runtime-kubernetes cannot set up its API server connection: ${withoutBearerTokens((err as Error).message)}`,
    );
  }
  if (!kc.getCurrentCluster())
    throw new ConfigError(
      '@evalhub/runtime-kubernetes: the kubeconfig has no current cluster; set kube.context.',
    );
  return kc;
}

/** The configured namespace, else the hub pod's own, else the kubeconfig context's, else `default`. */
export function namespaceFrom(configured: string | undefined, kc: KubeConfig): string {
  if (configured) return configured;
  if (existsSync(IN_CLUSTER_NAMESPACE)) return readFileSync(IN_CLUSTER_NAMESPACE, 'utf8').trim();
  const ctx = kc.getContextObject(kc.getCurrentContext());
  return ctx?.namespace ?? 'default';
}
