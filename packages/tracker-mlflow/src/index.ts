// Public surface of @evalhub/tracker-mlflow.
// MLflow REST client (undici): experiments, runs, metrics, artifacts, retries, auth/TLS.
export * from './client/index.js';
