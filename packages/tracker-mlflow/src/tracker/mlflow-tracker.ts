import { readFile } from 'node:fs/promises';
import {
  ARTIFACTS_NOT_STORED_TAG,
  PermanentTrackingError,
  type ComponentHealth,
  type Evaluation,
  type Logger,
  type TrackedArtifact,
  type Tracker,
  type TrackerRun,
  type TrackerRunInfo,
  type TrackingBatch,
} from '@evalhub/core';
import { ArtifactUriError, resolveArtifactLocation } from '../client/artifact-uri.js';
import { MlflowClient } from '../client/client.js';
import { MlflowError } from '../client/errors.js';
import { MLFLOW_LIMITS, fitValue, sanitizeKey } from '../client/keys.js';
import type { Experiment, KeyValue } from '../client/types.js';
import { DEFAULT_EXPERIMENT_PREFIX, clientOptionsFrom, type MlflowTrackerOptions } from './options.js';
import { experimentName, experimentTags, finishTags, runName, runStatusFor, runTags } from './structure.js';

export interface MlflowTrackerInit {
  options: MlflowTrackerOptions;
  /** Hub version recorded on every run (`evalhub.hub_version`). */
  hubVersion: string;
  logger?: Logger;
  /** Use this client instead of building one from `options` (benchmarks count its requests). */
  client?: MlflowClient;
}

/**
 * Turns an MLflow failure into what core's outbox expects: transient ones (connection lost,
 * timeouts, 408/429/5xx) are re-thrown as they are, so the outbox retries them with backoff;
 * everything else (bad request, auth, a deleted experiment or run) becomes a
 * PermanentTrackingError carrying MLflow's own explanation.
 */
async function guard<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if ((err instanceof MlflowError && !err.retryable) || err instanceof ArtifactUriError) {
      throw new PermanentTrackingError(`${what}: ${err.message}`, { cause: err });
    }
    throw err;
  }
}

const PARAM_CONFLICT = /Changing param values is not allowed/;

/**
 * Eval Hub's MLflow tracker: one MLflow run per evaluation in the experiment
 * `{prefix}_{experiment.name}`, laid out as described in structure.ts and the README.
 */
/** The MLflow UI's model-training workflow (runs table), as opposed to its GenAI view. */
const RUNS_VIEW = 'machine_learning';

/**
 * How long an experiment found or created by this hub is trusted without a lookup. Within it, only
 * tags that the hub itself changes are sent; a deletion in MLflow is noticed at the next run creation.
 */
const EXPERIMENT_CACHE_MS = 60_000;

export class MlflowTracker implements Tracker {
  readonly name = 'mlflow';
  /** Evaluations delivered at once by core's outbox: as many as the client lets requests in flight. */
  readonly concurrency: number;
  readonly client: MlflowClient;
  readonly prefix: string;
  private readonly linkBase: string;
  private readonly secrets: string[];
  /** Experiments this hub found or created recently, by name, with the tags it last saw or set. */
  private readonly experiments = new Map<
    string,
    { experiment: Experiment; tags: Map<string, string>; at: number }
  >();

  constructor(private readonly init: MlflowTrackerInit) {
    const o = init.options;
    this.client =
      init.client ??
      new MlflowClient(
        clientOptionsFrom(o, {
          userAgent: `evalhub-tracker-mlflow/${init.hubVersion}`,
          ...(init.logger ? { logger: init.logger } : {}),
        }),
      );
    this.concurrency = this.client.http.gate.limit;
    this.prefix = o.experiment_prefix ?? DEFAULT_EXPERIMENT_PREFIX;
    this.linkBase = (o.ui_url ?? this.client.trackingUri).replace(/\/+$/, '');
    this.secrets = [o.password, o.token].filter((s): s is string => typeof s === 'string' && s.length >= 4);
  }

  /**
   * UI links of an experiment and a run. MLflow 3.x UIs choose between the GenAI and the model-training
   * views from a global switch (the `workflowType` query parameter, else the browser's last choice,
   * defaulting to GenAI); older 3.x UIs read the experiment's `mlflow.experimentKind` tag. The links
   * carry the parameter and the experiment carries the tag, so both open on the runs view.
   */
  links(experimentId: string, runId?: string): { experiment: string; run?: string } {
    const experimentPath = `${this.linkBase}/#/experiments/${experimentId}`;
    const view = `?workflowType=${RUNS_VIEW}`;
    const experiment = `${experimentPath}${view}`;
    return runId ? { experiment, run: `${experimentPath}/runs/${runId}${view}` } : { experiment };
  }

  async startRun(e: Evaluation): Promise<TrackerRun> {
    try {
      return await this.startRunIn(e);
    } catch (err) {
      // The experiment may have been deleted or changed since it was cached: look it up afresh once.
      const name = experimentName(this.prefix, e);
      if (!this.experiments.delete(name)) throw err;
      return this.startRunIn(e);
    }
  }

  private async startRunIn(e: Evaluation): Promise<TrackerRun> {
    const name = experimentName(this.prefix, e);
    const experiment = await this.experimentFor(name, e);
    const startTime = Date.parse(e.started_at ?? e.created_at);
    const { run } = await guard(
      `Cannot create the MLflow run of evaluation ${e.id} in experiment '${name}'`,
      () =>
        this.client.createRunIdempotent(experiment.experiment_id, e.id, {
          runName: runName(e),
          startTime: Number.isFinite(startTime) ? startTime : Date.now(),
          tags: runTags(e, this.init.hubVersion),
          knownNew: e.tracking.start_attempts === 1,
        }),
    );
    return new MlflowRun(
      this,
      {
        experiment_name: name,
        experiment_id: experiment.experiment_id,
        run_id: run.info.run_id,
        links: this.links(experiment.experiment_id, run.info.run_id),
      },
      run.info.artifact_uri,
    );
  }

  async resumeRun(e: Evaluation, info: TrackerRunInfo): Promise<TrackerRun> {
    if (!info.run_id || !info.experiment_id) return this.startRun(e);
    return new MlflowRun(
      this,
      {
        ...info,
        run_id: info.run_id,
        experiment_id: info.experiment_id,
        links: this.links(info.experiment_id, info.run_id),
      },
      undefined,
    );
  }

  async health(): Promise<ComponentHealth> {
    const ok = await this.client.health();
    if (!ok)
      return {
        status: 'down',
        name: this.name,
        detail: `MLflow at ${this.client.trackingUri} is unreachable; tracking is kept in the outbox and replayed when it is back`,
      };
    const artifacts = await this.artifactStoreProblem();
    return artifacts
      ? {
          status: 'degraded',
          name: this.name,
          detail: `MLflow at ${this.client.trackingUri} is reachable, but ${artifacts}`,
        }
      : { status: 'ok', name: this.name, detail: `MLflow at ${this.client.trackingUri} is reachable` };
  }

  private artifactCheck: { at: number; problem: string | undefined } | undefined;

  /**
   * Whether new experiments get an artifact location the hub can upload to. Read from the Default
   * experiment (id 0), whose location MLflow derives from `--default-artifact-root` like every new
   * experiment's; checked at most once a minute. Undefined when fine or unknown.
   */
  private async artifactStoreProblem(): Promise<string | undefined> {
    if (this.artifactCheck && Date.now() - this.artifactCheck.at < EXPERIMENT_CACHE_MS)
      return this.artifactCheck.problem;
    let problem: string | undefined;
    try {
      const location = (await this.client.getExperiment('0')).artifact_location;
      try {
        resolveArtifactLocation(this.client.trackingUri, location);
      } catch (err) {
        if (!(err instanceof ArtifactUriError)) throw err;
        problem =
          `its artifact store (${JSON.stringify(location)}) is not one the hub can write to: artifact uploads ` +
          'will fail and runs close without them (named in the evalhub.artifacts_not_stored tag). Start ' +
          'the MLflow server with --serve-artifacts and without a local --default-artifact-root.';
      }
    } catch {
      problem = undefined; // no Default experiment (deleted) or no answer: nothing to say
    }
    this.artifactCheck = { at: Date.now(), problem };
    return problem;
  }

  async close(): Promise<void> {
    if (!this.init.client) await this.client.close();
  }

  /** Replaces the tracker's own credentials in artifact text (they must never leave the hub). */
  redact(data: Buffer): Buffer {
    if (this.secrets.length === 0) return data;
    let text = data.toString('utf8');
    let changed = false;
    for (const s of this.secrets) {
      if (text.includes(s)) {
        text = text.split(s).join('[redacted]');
        changed = true;
      }
    }
    return changed ? Buffer.from(text, 'utf8') : data;
  }

  get logger(): Logger | undefined {
    return this.init.logger;
  }

  /**
   * Get-or-create the experiment and keep its tags current: one get-by-name when it exists (plus a
   * set-experiment-tag per changed tag only), get-by-name + create when it does not. A concurrent
   * creator and a soft-deleted experiment are handled by the client's get-or-create.
   */
  private async experimentFor(name: string, e: Evaluation): Promise<Experiment> {
    const desired = experimentTags(e);
    const what = `Cannot use MLflow experiment '${name}'`;
    const cached = this.experiments.get(name);
    if (cached && Date.now() - cached.at < EXPERIMENT_CACHE_MS) {
      // Seen moments ago: no lookup, only the tags that changed since.
      return guard(what, async () => {
        for (const t of desired) {
          if (cached.tags.get(t.key) !== t.value) {
            await this.client.setExperimentTag(cached.experiment.experiment_id, t.key, t.value);
            cached.tags.set(t.key, t.value);
          }
        }
        return cached.experiment;
      });
    }
    const experiment = await this.lookUpExperiment(name, desired, what);
    this.experiments.set(name, {
      experiment,
      tags: new Map(desired.map((t) => [t.key, t.value])),
      at: Date.now(),
    });
    return experiment;
  }

  private async lookUpExperiment(name: string, desired: KeyValue[], what: string): Promise<Experiment> {
    return guard(what, async () => {
      let experiment = await this.client.getExperimentByName(name);
      if (!experiment) {
        try {
          const id = await this.client.createExperiment(name, { tags: desired });
          const now = Date.now();
          return {
            experiment_id: id,
            name,
            artifact_location: '',
            lifecycle_stage: 'active',
            creation_time: now,
            last_update_time: now,
            tags: desired,
          };
        } catch (err) {
          if (!(err instanceof MlflowError && err.isAlreadyExists)) throw err;
        }
      }
      if (!experiment || experiment.lifecycle_stage === 'deleted') {
        ({ experiment } = await this.client.getOrCreateExperiment(name, {
          tags: desired,
          restoreDeleted: this.init.options.restore_deleted_experiments === true,
        }));
      }
      const current = new Map(experiment.tags.map((t) => [t.key, t.value]));
      for (const t of desired) {
        if (current.get(t.key) !== t.value)
          await this.client.setExperimentTag(experiment.experiment_id, t.key, t.value);
      }
      return experiment;
    });
  }
}

/** The MLflow run of one evaluation. Every method is safe to call again (core replays its outbox). */
class MlflowRun implements TrackerRun {
  constructor(
    private readonly tracker: MlflowTracker,
    readonly info: TrackerRunInfo & { run_id: string; experiment_id: string },
    artifactUri: string | undefined,
  ) {
    if (artifactUri) this.artifactUri = Promise.resolve(artifactUri);
  }

  /** Where the run's artifacts go; looked up once even when uploads run concurrently. */
  private artifactUri: Promise<string> | undefined;

  private get client(): MlflowClient {
    return this.tracker.client;
  }

  async log(batch: TrackingBatch): Promise<void> {
    const input = {
      params: Object.entries(batch.params ?? {}).map(([key, value]) => ({ key, value })),
      metrics: Object.entries(batch.metrics ?? {}).map(([key, value]) => ({
        key,
        value,
        timestamp: batch.timestamp,
        step: 0,
      })),
      tags: Object.entries(batch.tags ?? {}).map(([key, value]) => ({ key, value })),
    };
    await guard(`Cannot log to MLflow run ${this.info.run_id}`, async () => {
      try {
        await this.client.logBatch(this.info.run_id, input);
      } catch (err) {
        if (!(
          err instanceof MlflowError &&
          err.status === 400 &&
          PARAM_CONFLICT.test(err.serverMessage ?? '')
        ))
          throw err;
        // A param already holds another value (MLflow params are immutable): keep the first value,
        // record the new one as a tag, and log everything else.
        const run = await this.client.getRun(this.info.run_id);
        const existing = new Map(run.data.params.map((p) => [p.key, p.value]));
        const params: KeyValue[] = [];
        const tags = [...input.tags];
        for (const p of input.params) {
          const key = sanitizeKey(p.key);
          const old = existing.get(key);
          if (old !== undefined && old !== fitValue(p.value, MLFLOW_LIMITS.maxParamValueLength).value) {
            tags.push({ key: `evalhub.param_conflict.${key}`, value: p.value });
            this.tracker.logger?.warn(
              { run_id: this.info.run_id, param: key },
              'param already logged with another value; new value kept as a tag',
            );
          } else params.push(p);
        }
        await this.client.logBatch(this.info.run_id, { ...input, params, tags });
      }
    });
  }

  async logArtifact(a: TrackedArtifact): Promise<void> {
    let data: Buffer;
    try {
      data = await readFile(a.path);
    } catch (err) {
      // The hub's copy is gone (data folder cleaned): nothing to upload, and retrying cannot help.
      this.tracker.logger?.warn(
        { run_id: this.info.run_id, artifact: a.name, err: (err as Error).message },
        'artifact file missing; skipped',
      );
      return;
    }
    await guard(`Cannot upload artifact '${a.name}' to MLflow run ${this.info.run_id}`, async () => {
      this.artifactUri ??= this.client.getRun(this.info.run_id).then((r) => r.info.artifact_uri);
      this.artifactUri.catch(() => (this.artifactUri = undefined));
      await this.client.uploadArtifact(
        await this.artifactUri,
        a.name,
        this.tracker.redact(data),
        a.contentType ?? 'application/octet-stream',
      );
    });
  }

  async finish(e: Evaluation, last?: TrackingBatch): Promise<void> {
    const status = runStatusFor(e.status);
    const end = Date.parse(e.finished_at ?? '');
    const update = (): Promise<void> =>
      guard(`Cannot finish MLflow run ${this.info.run_id}`, () =>
        this.client.updateRun(this.info.run_id, {
          ...(status ? { status } : {}),
          endTime: Number.isFinite(end) ? end : Date.now(),
        }),
      ).then(() => undefined);
    // The closing tags travel with the last params/metrics in one log-batch, and the status changes
    // only once that batch is stored: whoever sees FINISHED (a CI job polling the run) finds every
    // metric. Both calls are idempotent, so a replay after a partial failure simply redoes them.
    const unstored = (last?.tags?.[ARTIFACTS_NOT_STORED_TAG] ?? '').split(', ').filter((name) => name !== '');
    await this.log({
      ...(last ?? { timestamp: Date.now() }),
      tags: { ...(last?.tags ?? {}), ...finishTags(e, unstored) },
    });
    await update();
  }
}
