import {
  artifactFileUrl,
  artifactListUrl,
  checkRelativePath,
  resolveArtifactLocation,
} from './artifact-uri.js';
import { chunkBatch, emptyResult, prepareBatch } from './batch.js';
import { arr, decodeDouble, decodeInt, str } from './codec.js';
import { MlflowError, clientValidationError } from './errors.js';
import { HttpTransport } from './http.js';
import { MLFLOW_LIMITS, fitValue } from './keys.js';
import type { MlflowClientOptions } from './options.js';
import type {
  ArtifactFile,
  Experiment,
  KeyValue,
  LogBatchInput,
  LogBatchResult,
  Metric,
  Page,
  Run,
  RunInfo,
  RunStatus,
  ViewType,
} from './types.js';

const API = '/api/2.0/mlflow';
/** What MLflow's Python client sends for metric history (`GET_METRIC_HISTORY_MAX_RESULTS`). */
const HISTORY_PAGE = 25_000;
/** Tag holding the client-generated key that makes run creation idempotent. */
export const RUN_KEY_TAG = 'evalhub.run_key';
const RUN_KEY_RE = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}$/;

export interface CreateRunInput {
  runName?: string;
  /** Milliseconds since the epoch; defaults to now (MLflow would store 0 otherwise). */
  startTime?: number;
  tags?: KeyValue[];
}

export interface CreateRunIdempotentInput extends CreateRunInput {
  /**
   * The caller knows no earlier attempt can have created the run (e.g. a durably recorded first
   * attempt): the lookup before the first create is skipped. Retries still look first.
   */
  knownNew?: boolean;
}

export interface SearchRunsInput {
  experimentIds: string[];
  filter?: string;
  runViewType?: ViewType;
  /** Default 1000, at most 50 000. */
  maxResults?: number;
  orderBy?: string[];
  pageToken?: string;
}

export interface SearchExperimentsInput {
  filter?: string;
  viewType?: ViewType;
  /** Default 1000, at most 50 000 (always sent: the server rejects a missing value). */
  maxResults?: number;
  orderBy?: string[];
  pageToken?: string;
}

/**
 * Typed client for MLflow's tracking REST API and its mlflow-artifacts proxy, on undici.
 * Every call retries transient failures per the configured policy, except `createRun` (not
 * idempotent; use `createRunIdempotent`). Errors are `MlflowError`.
 */
export class MlflowClient {
  readonly http: HttpTransport;
  readonly trackingUri: string;
  private readonly keyPolicy: MlflowClientOptions['keyPolicy'];

  constructor(options: MlflowClientOptions, sleep?: (ms: number) => Promise<void>) {
    this.http = new HttpTransport(options, sleep);
    this.trackingUri = this.http.baseUrl;
    this.keyPolicy = options.keyPolicy;
  }

  /** Closes the client's connection pool. */
  close(): Promise<void> {
    return this.http.close();
  }

  private get<T>(
    rpc: string,
    query: Record<string, string | number | boolean | string[] | undefined>,
  ): Promise<T> {
    return this.http.json<T>({ method: 'GET', url: this.http.url(`${API}/${rpc}`, query) });
  }

  private post<T>(rpc: string, body: unknown, retry = true): Promise<T> {
    return this.http.json<T>({ method: 'POST', url: this.http.url(`${API}/${rpc}`), json: body, retry });
  }

  // ---------------------------------------------------------------- server

  /** `GET /health` → true when the server answers `OK`. Never throws. */
  async health(): Promise<boolean> {
    try {
      const res = await this.http.call({ method: 'GET', url: this.http.url('/health'), retry: false });
      return res.status === 200;
    } catch {
      return false;
    }
  }

  /** `GET /version` → the server's MLflow version. */
  async version(): Promise<string> {
    const res = await this.http.call({ method: 'GET', url: this.http.url('/version') });
    return res.body.toString('utf8').trim();
  }

  // ---------------------------------------------------------------- experiments

  /** The experiment with that name, including a soft-deleted one (check `lifecycle_stage`); undefined if none. */
  async getExperimentByName(name: string): Promise<Experiment | undefined> {
    try {
      const res = await this.get<{ experiment: unknown }>('experiments/get-by-name', {
        experiment_name: name,
      });
      return decodeExperiment(res.experiment);
    } catch (err) {
      if (err instanceof MlflowError && err.isNotFound) return undefined;
      throw err;
    }
  }

  async getExperiment(experimentId: string): Promise<Experiment> {
    const res = await this.get<{ experiment: unknown }>('experiments/get', { experiment_id: experimentId });
    return decodeExperiment(res.experiment);
  }

  /**
   * Creates an experiment and returns its id. A name held by another experiment — active or
   * soft-deleted — fails with `RESOURCE_ALREADY_EXISTS` (`MlflowError.isAlreadyExists`).
   * Tag values longer than 5000 chars are truncated with a marker (the server would refuse them).
   */
  async createExperiment(
    name: string,
    opts: { tags?: KeyValue[]; artifactLocation?: string } = {},
  ): Promise<string> {
    if (name.length === 0 || name.length > MLFLOW_LIMITS.maxExperimentNameLength) {
      throw clientValidationError(
        `${API}/experiments/create`,
        `experiment name must be 1..${MLFLOW_LIMITS.maxExperimentNameLength} characters`,
      );
    }
    const body: Record<string, unknown> = {
      name,
      tags: (opts.tags ?? []).map((t) => ({
        key: t.key,
        value: fitValue(t.value, MLFLOW_LIMITS.maxExperimentTagValueLength).value,
      })),
    };
    if (opts.artifactLocation) body.artifact_location = opts.artifactLocation;
    const res = await this.post<{ experiment_id: unknown }>('experiments/create', body);
    return str(res.experiment_id);
  }

  /** Sets (upserts) an experiment tag; values over 5000 chars are truncated with a marker. */
  async setExperimentTag(experimentId: string, key: string, value: string): Promise<void> {
    await this.post('experiments/set-experiment-tag', {
      experiment_id: experimentId,
      key,
      value: fitValue(value, MLFLOW_LIMITS.maxExperimentTagValueLength).value,
    });
  }

  async restoreExperiment(experimentId: string): Promise<void> {
    await this.post('experiments/restore', { experiment_id: experimentId });
  }

  /** Soft-deletes an experiment (and its runs); its name stays taken until it is purged. */
  async deleteExperiment(experimentId: string): Promise<void> {
    await this.post('experiments/delete', { experiment_id: experimentId });
  }

  async searchExperiments(input: SearchExperimentsInput = {}): Promise<Page<Experiment>> {
    const body: Record<string, unknown> = {
      max_results: input.maxResults ?? 1000,
      view_type: input.viewType ?? 'ACTIVE_ONLY',
    };
    if (input.filter) body.filter = input.filter;
    if (input.orderBy?.length) body.order_by = input.orderBy;
    if (input.pageToken) body.page_token = input.pageToken;
    const res = await this.post<{ experiments?: unknown; next_page_token?: unknown }>(
      'experiments/search',
      body,
    );
    return page(arr(res.experiments).map(decodeExperiment), res.next_page_token);
  }

  /**
   * Get-or-create that survives a concurrent creator: get-by-name → create on absence → on
   * `RESOURCE_ALREADY_EXISTS` get-by-name again. A soft-deleted experiment of that name is
   * restored when `restoreDeleted` is set, otherwise an `MlflowError` (`EXPERIMENT_DELETED`)
   * explains the conflict and the fixes.
   */
  async getOrCreateExperiment(
    name: string,
    opts: { tags?: KeyValue[]; restoreDeleted?: boolean } = {},
  ): Promise<{ experiment: Experiment; created: boolean; restored: boolean }> {
    let created = false;
    let existing = await this.getExperimentByName(name);
    if (!existing) {
      try {
        await this.createExperiment(name, opts.tags ? { tags: opts.tags } : {});
        created = true;
      } catch (err) {
        if (!(err instanceof MlflowError && err.isAlreadyExists)) throw err;
      }
      existing = await this.getExperimentByName(name);
      if (!existing) {
        throw new MlflowError({
          message: `MLflow experiment ${JSON.stringify(name)} could not be found right after creating it`,
          endpoint: `${API}/experiments/get-by-name`,
          method: 'GET',
        });
      }
    }
    if (existing.lifecycle_stage === 'deleted') {
      if (!opts.restoreDeleted) {
        throw new MlflowError({
          message:
            `MLflow experiment ${JSON.stringify(name)} (id ${existing.experiment_id}) exists but is deleted, and MLflow keeps ` +
            'the names of deleted experiments reserved. Restore it in the MLflow UI or with ' +
            `\`mlflow experiments restore --experiment-id ${existing.experiment_id}\`, purge it with \`mlflow gc\`, ` +
            'choose another experiment name, or enable restoring deleted experiments in the tracker configuration.',
          endpoint: `${API}/experiments/get-by-name`,
          method: 'GET',
          errorCode: 'EXPERIMENT_DELETED',
        });
      }
      await this.restoreExperiment(existing.experiment_id);
      return { experiment: await this.getExperiment(existing.experiment_id), created, restored: true };
    }
    return { experiment: existing, created, restored: false };
  }

  // ---------------------------------------------------------------- runs

  /**
   * `runs/create` sent exactly once (no transport retry: a lost answer would otherwise create a
   * second run). Prefer `createRunIdempotent`.
   */
  async createRun(experimentId: string, input: CreateRunInput = {}): Promise<Run> {
    const body: Record<string, unknown> = {
      experiment_id: experimentId,
      start_time: Math.trunc(input.startTime ?? Date.now()),
      tags: input.tags ?? [],
    };
    if (input.runName !== undefined) body.run_name = input.runName;
    const res = await this.post<{ run: unknown }>('runs/create', body, false);
    return decodeRun(res.run);
  }

  /**
   * Creates a run at most once for `runKey`: looks for an active run tagged
   * `evalhub.run_key = runKey` in the experiment first and returns it when present (`created:
   * false`); otherwise creates it with that tag. A transient failure of the create call (connection
   * lost, timeout, 5xx, 429) is followed by a new lookup before any new create, so a create whose
   * answer was lost is found instead of duplicated.
   */
  async createRunIdempotent(
    experimentId: string,
    runKey: string,
    { knownNew, ...input }: CreateRunIdempotentInput = {},
  ): Promise<{ run: Run; created: boolean }> {
    if (!RUN_KEY_RE.test(runKey)) {
      throw clientValidationError(`${API}/runs/create`, `run key must match ${RUN_KEY_RE.source}`);
    }
    const tags = [
      ...(input.tags ?? []).filter((t) => t.key !== RUN_KEY_TAG),
      { key: RUN_KEY_TAG, value: runKey },
    ];
    const maxAttempts = Math.max(1, this.http.policy.maxAttempts);
    for (let attempt = 1; ; attempt++) {
      // A caller that knows no earlier attempt exists skips the first lookup (one request less).
      const found = attempt === 1 && knownNew ? undefined : await this.findRunByKey(experimentId, runKey);
      if (found) return { run: found, created: false };
      try {
        return { run: await this.createRun(experimentId, { ...input, tags }), created: true };
      } catch (err) {
        if (!(err instanceof MlflowError) || !err.retryable || attempt >= maxAttempts) throw err;
        await this.http.backoff(attempt, undefined, err);
      }
    }
  }

  /** The active run of the experiment tagged `evalhub.run_key = runKey` (the oldest if several). */
  async findRunByKey(experimentId: string, runKey: string): Promise<Run | undefined> {
    const res = await this.searchRuns({
      experimentIds: [experimentId],
      filter: `tags.\`${RUN_KEY_TAG}\` = '${runKey}'`,
      maxResults: 10,
      orderBy: ['attributes.start_time ASC'],
    });
    return res.items[0];
  }

  async updateRun(
    runId: string,
    update: { status?: RunStatus; endTime?: number; runName?: string },
  ): Promise<RunInfo> {
    const body: Record<string, unknown> = { run_id: runId };
    if (update.status) body.status = update.status;
    if (update.endTime !== undefined) body.end_time = Math.trunc(update.endTime);
    if (update.runName !== undefined) body.run_name = update.runName;
    const res = await this.post<{ run_info: unknown }>('runs/update', body);
    return decodeRunInfo(res.run_info);
  }

  async getRun(runId: string): Promise<Run> {
    const res = await this.get<{ run: unknown }>('runs/get', { run_id: runId });
    return decodeRun(res.run);
  }

  async searchRuns(input: SearchRunsInput): Promise<Page<Run>> {
    const body: Record<string, unknown> = {
      experiment_ids: input.experimentIds,
      max_results: input.maxResults ?? 1000,
      run_view_type: input.runViewType ?? 'ACTIVE_ONLY',
    };
    if (input.filter) body.filter = input.filter;
    if (input.orderBy?.length) body.order_by = input.orderBy;
    if (input.pageToken) body.page_token = input.pageToken;
    const res = await this.post<{ runs?: unknown; next_page_token?: unknown }>('runs/search', body);
    return page(arr(res.runs).map(decodeRun), res.next_page_token);
  }

  /** Soft-deletes a run. */
  async deleteRun(runId: string): Promise<void> {
    await this.post('runs/delete', { run_id: runId });
  }

  async restoreRun(runId: string): Promise<void> {
    await this.post('runs/restore', { run_id: runId });
  }

  /**
   * Logs metrics, params and tags in as few `runs/log-batch` requests as MLflow's limits allow
   * (1000 metrics / 100 params / 100 tags / 1000 entities per request). Keys are sanitised (or
   * rejected, per `keyPolicy`), NaN/±Infinity encoded, values over MLflow's limits truncated with
   * a marker (reported in `truncated`). Safe to retry: identical metric rows are de-duplicated by
   * the server, params with the same value are idempotent, tags are upserts.
   */
  async logBatch(runId: string, input: LogBatchInput): Promise<LogBatchResult> {
    let prepared;
    try {
      prepared = prepareBatch(input, this.keyPolicy ? { keyPolicy: this.keyPolicy } : {});
    } catch (err) {
      throw clientValidationError(`${API}/runs/log-batch`, err instanceof Error ? err.message : String(err));
    }
    const result = emptyResult();
    result.truncated = prepared.truncated;
    result.renamed = prepared.renamed;
    for (const chunk of chunkBatch(prepared)) {
      await this.post('runs/log-batch', { run_id: runId, ...chunk });
      result.requests++;
    }
    return result;
  }

  /** Sets (upserts) a run tag; values over 8000 chars are truncated with a marker. */
  async setTag(runId: string, key: string, value: string): Promise<void> {
    await this.post('runs/set-tag', {
      run_id: runId,
      key,
      value: fitValue(value, MLFLOW_LIMITS.maxRunTagValueLength).value,
    });
  }

  /** Deletes a run tag; a missing tag is not an error. */
  async deleteTag(runId: string, key: string): Promise<void> {
    try {
      await this.post('runs/delete-tag', { run_id: runId, key });
    } catch (err) {
      if (err instanceof MlflowError && err.isNotFound) return;
      throw err;
    }
  }

  /** The full history of one metric, all pages, ordered by (timestamp, step, value). */
  async getMetricHistory(runId: string, metricKey: string): Promise<Metric[]> {
    const out: Metric[] = [];
    let pageToken: string | undefined;
    for (;;) {
      const res = await this.get<{ metrics?: unknown; next_page_token?: unknown }>('metrics/get-history', {
        run_id: runId,
        metric_key: metricKey,
        max_results: HISTORY_PAGE,
        page_token: pageToken,
      });
      const metrics = arr(res.metrics).map(decodeMetric);
      out.push(...metrics);
      const next =
        typeof res.next_page_token === 'string' && res.next_page_token !== ''
          ? res.next_page_token
          : undefined;
      // Guard against servers whose token never advances (mlflow/mlflow#23916).
      if (!next || next === pageToken || metrics.length === 0) return out;
      pageToken = next;
    }
  }

  // ---------------------------------------------------------------- artifacts

  /** Uploads one artifact file under the run's artifact root (`artifactUri` = `run.info.artifact_uri`). */
  async uploadArtifact(
    artifactUri: string,
    relPath: string,
    data: Buffer | Uint8Array | string,
    contentType = 'application/octet-stream',
  ): Promise<void> {
    const url = artifactFileUrl(resolveArtifactLocation(this.trackingUri, artifactUri), relPath);
    await this.http.call({ method: 'PUT', url, body: data, contentType });
  }

  /** Downloads one artifact file's bytes. */
  async downloadArtifact(artifactUri: string, relPath: string): Promise<Buffer> {
    const url = artifactFileUrl(resolveArtifactLocation(this.trackingUri, artifactUri), relPath);
    const res = await this.http.call({ method: 'GET', url });
    return res.body;
  }

  /** Direct children of `relDir` (root by default); paths are relative to the artifact root. */
  async listArtifacts(artifactUri: string, relDir = ''): Promise<ArtifactFile[]> {
    const dir = relDir === '' ? '' : checkRelativePath(relDir);
    const url = artifactListUrl(resolveArtifactLocation(this.trackingUri, artifactUri), dir);
    const res = await this.http.json<{ files?: unknown }>({ method: 'GET', url });
    return arr<Record<string, unknown>>(res.files).map((f) => {
      const name = str(f.path);
      const file: ArtifactFile = { path: dir ? `${dir}/${name}` : name, is_dir: f.is_dir === true };
      if (f.file_size !== undefined) file.file_size = decodeInt(f.file_size);
      return file;
    });
  }
}

// ---------------------------------------------------------------- decoding

function page<T>(items: T[], token: unknown): Page<T> {
  return typeof token === 'string' && token !== '' ? { items, next_page_token: token } : { items };
}

function kv(list: unknown): KeyValue[] {
  return arr<Record<string, unknown>>(list).map((t) => ({ key: str(t.key), value: str(t.value) }));
}

export function decodeExperiment(raw: unknown): Experiment {
  const e = (raw ?? {}) as Record<string, unknown>;
  const exp: Experiment = {
    experiment_id: str(e.experiment_id),
    name: str(e.name),
    artifact_location: str(e.artifact_location),
    lifecycle_stage: e.lifecycle_stage === 'deleted' ? 'deleted' : 'active',
    creation_time: decodeInt(e.creation_time),
    last_update_time: decodeInt(e.last_update_time),
    tags: kv(e.tags),
  };
  if (typeof e.workspace === 'string') exp.workspace = e.workspace;
  return exp;
}

export function decodeMetric(raw: unknown): Metric {
  const m = (raw ?? {}) as Record<string, unknown>;
  return {
    key: str(m.key),
    value: decodeDouble(m.value),
    timestamp: decodeInt(m.timestamp),
    step: decodeInt(m.step),
  };
}

export function decodeRunInfo(raw: unknown): RunInfo {
  const i = (raw ?? {}) as Record<string, unknown>;
  const info: RunInfo = {
    run_id: str(i.run_id) || str(i.run_uuid),
    run_name: str(i.run_name),
    experiment_id: str(i.experiment_id),
    user_id: str(i.user_id),
    status: (str(i.status) || 'RUNNING') as RunStatus,
    start_time: decodeInt(i.start_time),
    artifact_uri: str(i.artifact_uri),
    lifecycle_stage: i.lifecycle_stage === 'deleted' ? 'deleted' : 'active',
  };
  if (i.end_time !== undefined && i.end_time !== null) info.end_time = decodeInt(i.end_time);
  return info;
}

export function decodeRun(raw: unknown): Run {
  const r = (raw ?? {}) as Record<string, unknown>;
  const d = (r.data ?? {}) as Record<string, unknown>;
  return {
    info: decodeRunInfo(r.info),
    data: { metrics: arr(d.metrics).map(decodeMetric), params: kv(d.params), tags: kv(d.tags) },
  };
}
