// Public surface of @evalhub/tools (dev and test tooling).
export { startMlflowServer, resolvePython, runVenvScript, freePort, repoRoot } from './mlflow/launcher.js';
export type { StartMlflowOptions, MlflowServer, LauncherLogger } from './mlflow/launcher.js';
export * from './fixture-model/index.js';
export { SINGLE_BENCHMARK, MULTI_PROVIDER, COLLECTION } from './demo/requests.js';
export { faultyNetwork } from './testing/faulty-network.js';
export type { Fault, FaultyNetwork, NetworkOptions } from './testing/faulty-network.js';
export { startHubProcess } from './testing/hub-process.js';
export type { HubProcess, StartHubProcessOptions } from './testing/hub-process.js';
export { startPostgres, restartPostgres, pgCtl, findPostgresBinDir } from './postgres/launcher.js';
export type { PostgresServer, PostgresServerInfo, StartPostgresOptions } from './postgres/launcher.js';
export {
  adminKubeConfig,
  applyHubRbac,
  createHubNamespace,
  HUB_RBAC_MANIFEST,
} from './kubernetes/hub-rbac.js';
export type { ClusterAccess, HubNamespace } from './kubernetes/hub-rbac.js';
