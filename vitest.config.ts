import { defineConfig } from 'vitest/config';

// One test run for the whole monorepo. Workspace packages resolve to their TypeScript sources
// through the `@evalhub/source` export condition, so tests never need a build of their deps.
// - unit: `*.test.ts` beside the code, no external services.
// - int:  `test/**/*.int.test.ts`, real services (MLflow, PostgreSQL, fixture model server, lm-eval, ragas)
//         started once per run by the global setup.
// - k8s:  `*.k8s.test.ts`, against a real Kubernetes control plane (tools/kubernetes, kwok as the
//         node agent) started once per run, only when one of these files is selected.
const conditions = ['@evalhub/source'];

// The Kubernetes runtime's own tests (Job spec, failure reasons, deadlines, cancel, watch resync,
// RBAC, re-attach) and the end-to-end tests run in every `npm test`. Measured on a shared 2-core
// machine with other builds running (cluster, MLflow and fixture model start included): `k8s`
// about 1 min 35 s of wall time, `k8s-e2e` about 1 min 30 s (both its files, either mode).

// End to end, each Job's container run by the kubelet stand-in (tools/test/kubelet-stand-in.ts: in
// the image with podman when EVALHUB_CONTAINER_TEST=1, else as a process): the worker against the
// local runtime's score, and a whole hub SIGKILLed and restarted re-attaching to its Job. Cluster,
// fixture model server and MLflow.
const workerEndToEnd = {
  extends: true as const,
  test: {
    name: 'k8s-e2e',
    include: ['tools/test/**/*.k8s.test.ts'],
    globalSetup: [
      'tools/test/setup-kubernetes.ts',
      'tools/test/setup-fixture-model.ts',
      'tools/test/setup-mlflow.ts',
    ],
    testTimeout: 600_000,
    hookTimeout: 1_800_000,
    fileParallelism: false,
  },
};

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: conditions } },
  test: {
    reporters: ['default', './tools/test/summary-reporter.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['{packages,examples,tools}/*/src/**/*.test.ts', 'tools/src/**/*.test.ts'],
          testTimeout: 30_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'int',
          include: ['{packages,examples}/*/test/**/*.int.test.ts', 'tools/test/**/*.int.test.ts'],
          globalSetup: [
            'tools/test/setup-fixture-model.ts',
            'tools/test/setup-mlflow.ts',
            'tools/test/setup-postgres.ts',
          ],
          testTimeout: 300_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'k8s',
          include: ['packages/*/test/**/*.k8s.test.ts'],
          globalSetup: ['tools/test/setup-kubernetes.ts'],
          testTimeout: 300_000,
          hookTimeout: 1_800_000,
          fileParallelism: false,
        },
      },
      workerEndToEnd,
    ],
  },
});
