import { sampleEvaluation, verifyPlugin, verifyTracker } from '@evalhub/core/testing';
import { describe, expect, inject, it } from 'vitest';
import { MlflowClient, mlflowTrackerPlugin, type MlflowTracker } from '../src/index.js';
import { tagsOf } from './harness.js';

// Core's plugin kit against the real MLflow server of tools/test/setup-mlflow.ts.
const trackingUri = inject('mlflowTrackingUri');

describe('@evalhub/tracker-mlflow with the core plugin kit', () => {
  it('passes the manifest verifier and the tracker conformance kit against a real MLflow', async () => {
    const verified = await verifyPlugin(mlflowTrackerPlugin, {
      kind: 'tracker',
      name: '@evalhub/tracker-mlflow',
      env: { MLFLOW_EXPERIMENT_PREFIX: 'conformance-prefix' },
      options: { tracking_uri: trackingUri },
      invalidOptions: [
        { tracking_uri: 'ftp://mlflow:5000' },
        { tracking_uri: trackingUri, trackingUri },
        { tracking_uri: trackingUri, insecure_tls: true, server_cert_path: '/ca.pem' },
        { tracking_uri: trackingUri, max_concurrent_requests: 0 },
      ],
    });
    const mlflow = new MlflowClient({ trackingUri });
    try {
      expect(verified.options).toMatchObject({
        tracking_uri: trackingUri,
        experiment_prefix: 'conformance-prefix',
      });
      expect(verified.context.httpHandlers.map((h) => h.prefix)).toEqual(['/mlflow']);
      const tracker = verified.context.tracker as MlflowTracker;
      expect(tracker.name).toBe('mlflow');

      const evaluation = sampleEvaluation({
        tracking: { tracker: 'mlflow', state: 'pending', start_attempts: 1 },
      });
      const checks = await verifyTracker(tracker, evaluation);
      expect(checks.every((c) => c.ok)).toBe(true);

      // What the kit did is in MLflow: one finished run in the prefixed experiment, with its data.
      const experiment = await mlflow.getExperimentByName('conformance-prefix_conformance');
      expect(experiment).toBeDefined();
      const run = await tracker.client.findRunByKey(experiment!.experiment_id, evaluation.id);
      expect(run?.info.status).toBe('FINISHED');
      const metrics = Object.fromEntries(run!.data.metrics.map((m) => [m.key, m.value]));
      expect(metrics['sample.acc']).toBe(0.5);
      expect(Number.isNaN(metrics['sample.nan'])).toBe(true);
      expect(metrics['evaluation.duration_seconds']).toBe(1.5);
      expect(tagsOf(run!.data.tags)['evalhub.status']).toBe('completed');
      const files = await mlflow.listArtifacts(run!.info.artifact_uri, 'sample');
      expect(files.map((f) => f.path)).toEqual(['sample/artifact.json']);
    } finally {
      await mlflow.close();
      await verified.context.close();
      await (verified.context.tracker as MlflowTracker).close();
    }
  });
});
