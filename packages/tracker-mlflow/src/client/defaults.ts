/** The spec's default MLflow server (`MLFLOW_TRACKING_URI` unset). */
export const DEFAULT_TRACKING_URI = 'http://localhost:5000';
