/** Typed MLflow entities, decoded from the REST API's snake_case JSON (repeated fields default to []). */

export interface KeyValue {
  key: string;
  value: string;
}

export type LifecycleStage = 'active' | 'deleted';
export type RunStatus = 'RUNNING' | 'SCHEDULED' | 'FINISHED' | 'FAILED' | 'KILLED';
export type ViewType = 'ACTIVE_ONLY' | 'DELETED_ONLY' | 'ALL';

export interface Experiment {
  experiment_id: string;
  name: string;
  artifact_location: string;
  lifecycle_stage: LifecycleStage;
  creation_time: number;
  last_update_time: number;
  tags: KeyValue[];
  workspace?: string;
}

export interface Metric {
  key: string;
  /** NaN, ±Infinity decoded to JS numbers (MLflow stores ±Infinity as ±Number.MAX_VALUE). */
  value: number;
  /** Milliseconds since the epoch. */
  timestamp: number;
  step: number;
}

export interface RunInfo {
  run_id: string;
  run_name: string;
  experiment_id: string;
  user_id: string;
  status: RunStatus;
  start_time: number;
  end_time?: number;
  artifact_uri: string;
  lifecycle_stage: LifecycleStage;
}

export interface RunData {
  metrics: Metric[];
  params: KeyValue[];
  tags: KeyValue[];
}

export interface Run {
  info: RunInfo;
  data: RunData;
}

export interface ArtifactFile {
  /** Path relative to the run's artifact root (e.g. `results/arc_easy.json`). */
  path: string;
  is_dir: boolean;
  file_size?: number;
}

export interface Page<T> {
  items: T[];
  next_page_token?: string;
}

/** A metric to log. `timestamp` defaults to now, `step` to 0. */
export interface MetricInput {
  key: string;
  value: number;
  timestamp?: number;
  step?: number;
}

export interface LogBatchInput {
  metrics?: MetricInput[];
  params?: KeyValue[];
  tags?: KeyValue[];
}

export interface LogBatchResult {
  /** Number of log-batch requests sent. */
  requests: number;
  /** Keys whose value was cut to MLflow's limit (marker `…[truncated N chars]` appended). */
  truncated: string[];
  /** Keys that were rewritten to satisfy MLflow's key rules: original → sent. */
  renamed: Record<string, string>;
}
