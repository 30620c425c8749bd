import {
  AuthorizationV1Api,
  BatchV1Api,
  CoreV1Api,
  Log,
  Watch,
  type KubeConfig,
  type V1Job,
} from '@kubernetes/client-node';
import {
  BenchmarkFailedError,
  ConfigError,
  silentLogger,
  type ExecRequest,
  type ExecResources,
  type ExecResult,
  type Logger,
  type Runtime,
} from '@evalhub/core';
import { randomBytes } from 'node:crypto';
import { forbiddenMessage, missingAccess, RBAC_FIX, statusOf } from './access-check.js';
import { deleteJob, runAttempt, type AttemptRunnerDeps } from './attempt-runner.js';
import { AttemptRegistry, type WorkerSpec } from './attempts.js';
import { collectInputs } from './inputs.js';
import { buildJob, buildTokenSecret, TOKEN_KEY } from './job-spec.js';
import { hubSelector, jobName, labelsFromLogFile, labelsOf, type AttemptLabels } from './labels.js';
import { NamespaceWatch } from './namespace-watch.js';
import { mergePodSettings, validateOptions, type KubernetesRuntimeOptions } from './options.js';
import { attemptState, type AttemptState } from './pod-status.js';
import { requestResourceProblems } from './request-resources.js';
import { withoutBearerTokens } from './token-file-auth.js';

/** A per-attempt callback token: 32 random bytes, base64url. */
const newAttemptToken = (): string => randomBytes(32).toString('base64url');

export interface KubernetesRuntimeDeps {
  kubeConfig: KubeConfig;
  /** Resolved namespace (see namespaceFrom). */
  namespace: string;
  logger?: Logger;
  /** Hub folders whose files a command may reference (data root, data dir): sent to the pod. */
  dataRoots?: string[];
}

/** A Job of this hub found on the cluster (see `listAttempts`). */
export interface FoundAttempt {
  jobName: string;
  labels: AttemptLabels;
  state: AttemptState;
}

/**
 * The Runtime as one batch/v1 Job per benchmark attempt. `start()` checks the permissions and
 * starts the namespace's watches; `exec()` creates the Job and its token Secret and follows it;
 * `attach()`/`listAttempts()`/`cleanup()` are the re-attach API used after a hub restart.
 */
export class KubernetesRuntime implements Runtime {
  readonly name = 'kubernetes';
  /** Jobs outlive the hub: after a restart the hub runs the same attempt again and exec re-attaches. */
  readonly resumable = true;
  readonly namespace: string;
  readonly registry = new AttemptRegistry();
  /** API requests made, by kind (benchmarks read it). */
  readonly requests = { total: 0 };
  private readonly batch: BatchV1Api;
  private readonly core: CoreV1Api;
  private readonly auth: AuthorizationV1Api;
  readonly watch: NamespaceWatch;
  private readonly log: Log;
  private readonly logger: Logger;
  private readonly hub: string;
  private starting: Promise<void> | undefined;

  constructor(
    private readonly options: KubernetesRuntimeOptions,
    private readonly deps: KubernetesRuntimeDeps,
  ) {
    validateOptions(options);
    this.namespace = deps.namespace;
    this.logger = deps.logger ?? silentLogger();
    this.hub = options.hub_name ?? 'evalhub';
    const kc = deps.kubeConfig;
    this.batch = kc.makeApiClient(BatchV1Api);
    this.core = kc.makeApiClient(CoreV1Api);
    this.auth = kc.makeApiClient(AuthorizationV1Api);
    this.log = new Log(kc);
    this.watch = new NamespaceWatch({
      namespace: this.namespace,
      labelSelector: hubSelector(this.hub),
      batch: this.batch,
      core: this.core,
      watch: new Watch(kc),
      logger: this.logger,
      timeoutSeconds: options.watch_timeout_seconds ?? 300,
      onRequest: this.count,
    });
  }

  private readonly count = (): void => {
    this.requests.total++;
  };

  /** Checks the identity's permissions in the namespace (one clear error naming what is missing), then watches. */
  start(): Promise<void> {
    this.starting ??= this.doStart().catch((err: unknown) => {
      this.starting = undefined;
      throw err;
    });
    return this.starting;
  }

  private async doStart(): Promise<void> {
    let missing: string[];
    try {
      missing = await missingAccess(this.auth, this.namespace);
    } catch (err) {
      // not the error itself as the cause: a client error may quote the Authorization header
      throw new ConfigError(
        `@evalhub/runtime-kubernetes cannot reach the Kubernetes API server: ${withoutBearerTokens((err as Error).message)}. Check the runtime's kube options.`,
      );
    }
    if (missing.length > 0)
      throw new ConfigError(
        `@evalhub/runtime-kubernetes: the hub may not ${missing.join(', ')} in namespace '${this.namespace}'. ${RBAC_FIX}`,
      );
    this.watch.start();
    await this.watch.ready();
  }

  close(): void {
    this.watch.stop();
    this.starting = undefined;
  }

  /** What the request's `resources` may be (core asks at submission): see requestResourceProblems. */
  checkResources(resources: ExecResources): string[] {
    return requestResourceProblems(resources, this.options);
  }

  async exec(request: ExecRequest): Promise<ExecResult> {
    return this.run(request, false);
  }

  /** Follows an existing Job of `request.labels` to its end (after a hub restart), without creating one. */
  async attach(request: ExecRequest): Promise<ExecResult> {
    return this.run(request, true);
  }

  /** The hub's Jobs on the cluster, with their state (from the watch cache). */
  async listAttempts(): Promise<FoundAttempt[]> {
    await this.start();
    const out: FoundAttempt[] = [];
    for (const job of this.watch.jobs.items()) {
      const labels = labelsOf(job.metadata?.labels, job.metadata?.annotations);
      const name = job.metadata?.name;
      if (!labels || !name) continue;
      const view = this.watch.view(name);
      out.push({ jobName: name, labels, state: attemptState(job, view.pods.at(-1)) });
    }
    return out;
  }

  /** Start-up clean-up (Runtime.recover): the Jobs of evaluations that are finished or gone are deleted. */
  async recover(isLive: (evaluationId: string) => Promise<boolean>): Promise<{ reaped: number }> {
    const removed = await this.cleanup(isLive);
    if (removed.length > 0)
      this.logger.info({ jobs: removed }, 'deleted Jobs of finished or deleted evaluations');
    return { reaped: removed.length };
  }

  /** Deletes (background propagation) the hub's Jobs whose evaluation `isLive` says is gone. Returns their names. */
  async cleanup(isLive: (evaluationId: string) => boolean | Promise<boolean>): Promise<string[]> {
    const removed: string[] = [];
    for (const found of await this.listAttempts()) {
      if (await isLive(found.labels.evaluationId)) continue;
      await deleteJob(this.runnerDeps(), found.jobName);
      removed.push(found.jobName);
    }
    return removed;
  }

  private runnerDeps(): AttemptRunnerDeps {
    return {
      namespace: this.namespace,
      batch: this.batch,
      log: this.log,
      watch: this.watch,
      registry: this.registry,
      logger: this.logger,
      onRequest: this.count,
      cancelTimeoutMs: 120_000,
    };
  }

  private resolveLabels(request: ExecRequest): AttemptLabels {
    const labels = request.labels ?? labelsFromLogFile(request.logFile);
    if (!labels)
      throw new BenchmarkFailedError(
        'The Kubernetes runtime needs ExecRequest.labels (evaluation id, benchmark index, attempt) to name the Job.',
        { code: 'kubernetes_no_labels' },
      );
    return labels;
  }

  private podSettings(request: ExecRequest, labels: AttemptLabels) {
    const settings = mergePodSettings(
      this.options.pod,
      labels.providerId ? this.options.providers?.[labels.providerId] : undefined,
    );
    if (request.resources && this.options.allow_request_resources) {
      // checked at submission too (checkResources); a provider's own exec may still ask for more
      const problems = requestResourceProblems(request.resources, this.options);
      if (problems.length > 0)
        throw new BenchmarkFailedError(problems.join(' '), { code: 'kubernetes_resources_too_large' });
      settings.resources = {
        requests: { ...settings.resources?.requests, ...request.resources.requests },
        limits: { ...settings.resources?.limits, ...request.resources.limits },
      };
    }
    return settings;
  }

  private async run(request: ExecRequest, attachOnly: boolean): Promise<ExecResult> {
    const started = performance.now();
    if (request.signal.aborted) return { exitCode: null, signal: null, aborted: true, durationMs: 0 };
    await this.start();
    const labels = this.resolveLabels(request);
    const name = jobName(labels);
    const pod = this.podSettings(request, labels);
    const spec: WorkerSpec = {
      command: request.command,
      args: [...request.args],
      ...(request.cwd ? { cwd: request.cwd } : {}),
      env: { ...request.env },
      inputs: await collectInputs(request, this.deps.dataRoots ?? []),
      outputs: [...(request.outputs ?? (request.cwd ? [request.cwd] : []))],
    };
    const existing = this.watch.jobs.get(name);
    let token: string;
    if (existing || attachOnly) {
      if (!existing)
        throw new BenchmarkFailedError(`No Kubernetes Job ${this.namespace}/${name} to re-attach to.`, {
          code: 'kubernetes_job_not_found',
        });
      const kept = await this.readToken(name);
      if (kept !== undefined) token = kept;
      else {
        // A hub that died between creating the Job and its Secret: the container cannot have
        // started without the Secret (a required secretKeyRef), so no worker holds a token yet.
        token = newAttemptToken();
        this.logger.warn(
          { job: name },
          'the Job had no token Secret (the hub stopped while making it): made it',
        );
        await this.createSecret(name, labels, token, existing.metadata?.uid ?? '');
      }
    } else {
      token = newAttemptToken();
      await this.createJob(name, labels, pod, request, token);
    }
    return runAttempt(this.runnerDeps(), { name, token, spec, request, started });
  }

  private async createJob(
    name: string,
    labels: AttemptLabels,
    pod: ReturnType<KubernetesRuntime['podSettings']>,
    request: ExecRequest,
    token: string,
  ): Promise<void> {
    const job = buildJob({
      name,
      namespace: this.namespace,
      hub: this.hub,
      labels,
      image: request.image ?? pod.image ?? this.options.image,
      ...(this.options.image_pull_policy ? { imagePullPolicy: this.options.image_pull_policy } : {}),
      command: this.options.worker_command ?? ['evalhub-k8s-worker'],
      callbackUrl: this.options.callback_url,
      secretName: name,
      deadlineSeconds: Math.max(
        1,
        Math.ceil(request.timeoutSeconds ?? this.options.default_deadline_seconds ?? 86_400),
      ),
      ttlSecondsAfterFinished: this.options.ttl_seconds_after_finished ?? 3600,
      workSizeLimit: this.options.work_size_limit ?? '20Gi',
      pod,
    });
    let created: V1Job;
    try {
      this.count();
      created = await this.batch.createNamespacedJob({ namespace: this.namespace, body: job });
    } catch (err) {
      throw this.apiError(err, `create Job ${name}`);
    }
    try {
      await this.createSecret(name, labels, token, created.metadata?.uid ?? '');
    } catch (err) {
      await deleteJob(this.runnerDeps(), name).catch(() => undefined);
      throw err;
    }
  }

  /** The attempt's token Secret, owned by its Job. */
  private async createSecret(
    name: string,
    labels: AttemptLabels,
    token: string,
    jobUid: string,
  ): Promise<void> {
    try {
      this.count();
      await this.core.createNamespacedSecret({
        namespace: this.namespace,
        body: buildTokenSecret({
          name,
          namespace: this.namespace,
          hub: this.hub,
          labels,
          token,
          owner: { name, uid: jobUid },
        }),
      });
    } catch (err) {
      throw this.apiError(err, `create Secret ${name}`);
    }
  }

  /** The token of a running attempt, or undefined when its Secret does not exist. */
  private async readToken(name: string): Promise<string | undefined> {
    try {
      this.count();
      const secret = await this.core.readNamespacedSecret({ name, namespace: this.namespace });
      const b64 = secret.data?.[TOKEN_KEY];
      if (!b64) throw new Error(`Secret ${name} has no '${TOKEN_KEY}' key`);
      return Buffer.from(b64, 'base64').toString('utf8');
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw this.apiError(err, `read Secret ${name}`);
    }
  }

  private apiError(err: unknown, action: string): Error {
    const status = statusOf(err);
    if (status === 403)
      return new BenchmarkFailedError(forbiddenMessage(action, this.namespace, err), {
        code: 'kubernetes_forbidden',
        cause: err,
      });
    const body = (err as { body?: unknown }).body;
    let message = (err as Error).message;
    try {
      const parsed = (typeof body === 'string' ? JSON.parse(body) : body) as { message?: string } | undefined;
      if (parsed?.message) message = parsed.message;
    } catch {
      // keep the error's own message
    }
    return new BenchmarkFailedError(
      `Kubernetes API: cannot ${action} in namespace '${this.namespace}': ${message}`,
      {
        code: status === 422 ? 'kubernetes_invalid' : 'kubernetes_api_error',
        cause: err,
      },
    );
  }
}
