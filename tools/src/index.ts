// Public surface of @evalhub/tools (dev and test tooling).
export { startMlflowServer, resolvePython, freePort, repoRoot } from './mlflow/launcher.js';
export type { StartMlflowOptions, MlflowServer, LauncherLogger } from './mlflow/launcher.js';
export * from './fixture-model/index.js';
