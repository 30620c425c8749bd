import { defineErrorCodes, registerErrorCodes } from '@evalhub/core';

/** The MLflow tracker's error codes (its `/mlflow` proxy's answers), contributed through its manifest. */
export const MLFLOW_ERROR_CODES = defineErrorCodes({
  mlflow_unreachable: {
    kind: 'request',
    status: 502,
    meaning: 'the `/mlflow` proxy cannot reach MLflow',
    fix: "check `MLFLOW_TRACKING_URI` and MLflow's health",
  },
  mlflow_timeout: {
    kind: 'request',
    status: 504,
    meaning: 'MLflow did not answer the `/mlflow` proxy in time',
    fix: "check MLflow's health and load",
  },
  mlflow_proxy_forbidden: {
    kind: 'request',
    status: 403,
    meaning: 'a write through the read-only `/mlflow` proxy',
    fix: 'writes need `mlflow.proxy_allow_writes: true`',
  },
  mlflow_proxy_bad_path: {
    kind: 'request',
    status: 400,
    meaning: "a proxy path that tries to leave MLflow's API",
    fix: 'use a plain MLflow API path',
  },
});

type MlflowErrorCodes = typeof MLFLOW_ERROR_CODES;

declare module '@evalhub/core' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface ErrorCodeRegistry extends MlflowErrorCodes {}
}

export type MlflowErrorCode = keyof MlflowErrorCodes;

registerErrorCodes('@evalhub/tracker-mlflow', MLFLOW_ERROR_CODES);
