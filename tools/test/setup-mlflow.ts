import type { TestProject } from 'vitest/node';
import { startMlflowServer } from '../src/mlflow/launcher.js';

/**
 * Vitest global setup: one real MLflow tracking server per test run, shared by every integration
 * test through `inject('mlflowTrackingUri')`. A missing Python environment or a server that fails
 * to start fails the run (never a silent skip).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startMlflowServer();
  project.provide('mlflowTrackingUri', server.trackingUri);
  return async () => {
    await server.stop();
  };
}
