import type { BatchV1Api, Log } from '@kubernetes/client-node';
import {
  BenchmarkFailedError,
  type ExecAbortReason,
  type ExecRequest,
  type ExecResult,
  type Logger,
} from '@evalhub/core';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { AttemptRegistry, WorkerDone, WorkerSpec } from './attempts.js';
import { CONTAINER_NAME } from './job-spec.js';
import { LogFollower } from './log-follower.js';
import type { JobView, NamespaceWatch } from './namespace-watch.js';
import { attemptState, isTerminal, type AttemptState } from './pod-status.js';

/** How long a finished pod's log may keep flowing before the follow is closed. */
const LOG_DRAIN_MS = 1_500;

export interface AttemptRunnerDeps {
  namespace: string;
  batch: BatchV1Api;
  log: Log;
  watch: NamespaceWatch;
  registry: AttemptRegistry;
  logger: Logger;
  onRequest: () => void;
  /** Resolves when the Job and its pods are gone after a cancel; bounded by this. */
  cancelTimeoutMs: number;
}

/**
 * Follows one attempt's Job from creation (or re-attach) to its end: registers the worker's
 * callback, streams the pod log into the log file, maps the Job/Pod state to the result, and on
 * abort deletes the Job (background propagation) and resolves once its pods are gone — except when
 * the hub stops (abort reason `shutdown`): then it only stops following, and the Job runs on.
 */
export async function runAttempt(
  deps: AttemptRunnerDeps,
  a: { name: string; token: string; spec: WorkerSpec; request: ExecRequest; started: number },
): Promise<ExecResult> {
  const { request, name } = a;
  await mkdir(dirname(request.logFile), { recursive: true });
  const logStream: WriteStream = createWriteStream(request.logFile, { flags: 'a' });
  let settled = false;
  const write = (text: string): void => {
    if (!settled) logStream.write(text);
  };
  const note = (text: string): void => write(`[evalhub kubernetes] ${text}\n`);
  let follower: LogFollower | undefined;
  let workerDone: WorkerDone | undefined;
  let lastNote = '';
  let cancelling = false;
  let finishing = false;
  let lastPending: string | undefined;
  let unsubscribe: () => void = () => undefined;
  let settle: (r: ExecResult | Error) => void = () => undefined;
  const outcome = new Promise<ExecResult | Error>((resolve) => {
    settle = (r) => {
      if (settled) return;
      resolve(r);
    };
  });
  const duration = (): number => performance.now() - a.started;

  deps.registry.add({
    id: name,
    token: a.token,
    spec: a.spec,
    readable: new Set(a.spec.inputs.map((i) => i.path)),
    onLines: (lines) => {
      for (const l of lines) request.onLine?.(l.text, l.stream);
    },
    onDone: (done) => {
      workerDone = done;
      // The worker sent its outputs before `done`: the result is known even if the pod lingers.
      const t = setTimeout(
        () =>
          settle({ exitCode: done.exitCode, signal: done.signal, aborted: false, durationMs: duration() }),
        LOG_DRAIN_MS,
      );
      t.unref();
    },
  });

  const finish = (state: AttemptState): void => {
    if (state.phase === 'succeeded') {
      const code = workerDone?.exitCode ?? state.exitCode;
      settle({ exitCode: code, signal: workerDone?.signal ?? null, aborted: false, durationMs: duration() });
    } else if (state.phase === 'failed') {
      note(`the pod failed: ${state.reason}`);
      settle({
        exitCode: workerDone?.exitCode ?? state.exitCode,
        signal: workerDone?.signal ?? state.signal,
        aborted: false,
        durationMs: duration(),
        reason: state.reason,
      });
    } else if (state.phase === 'infra-failed') {
      // a pod deleted with its Job no longer shows why it never ran: add what was last seen
      const why =
        lastPending && !state.reason.includes(lastPending)
          ? `${state.reason} (the pod was waiting: ${lastPending})`
          : state.reason;
      note(`the Job failed: ${why}`);
      settle(
        new BenchmarkFailedError(`Kubernetes Job ${deps.namespace}/${name}: ${why}`, { code: state.code }),
      );
    }
  };

  const onView = (view: JobView): void => {
    if (cancelling) {
      if (!view.job && view.pods.length === 0)
        settle({ exitCode: null, signal: 'SIGTERM', aborted: true, durationMs: duration() });
      return;
    }
    // once the end is known (and an infra failure deleted the Job), later events change nothing
    if (finishing) return;
    if (view.deleted) {
      settle(
        new BenchmarkFailedError(`Kubernetes Job ${deps.namespace}/${name} was deleted outside the hub.`, {
          code: 'kubernetes_job_deleted',
        }),
      );
      return;
    }
    const pod = view.pods.at(-1);
    const state = attemptState(view.job, pod);
    if (state.phase === 'pending' && state.reason) lastPending = state.reason;
    else if (state.phase === 'running') lastPending = undefined;
    const text =
      state.phase === 'pending'
        ? `pod pending${state.reason ? `: ${state.reason}` : ''}`
        : state.phase === 'running'
          ? `pod ${state.podName} running`
          : '';
    if (text && text !== lastNote) {
      lastNote = text;
      note(text);
    }
    if (
      (state.phase === 'running' || isTerminal(state)) &&
      pod?.metadata?.name &&
      !follower &&
      state.phase !== 'infra-failed'
    ) {
      follower = new LogFollower({
        log: deps.log,
        namespace: deps.namespace,
        pod: pod.metadata.name,
        container: CONTAINER_NAME,
        write,
        onRequest: deps.onRequest,
      });
      follower.start();
    }
    if (isTerminal(state) && !finishing) {
      finishing = true;
      if (state.phase === 'infra-failed' && view.job) void deleteJob(deps, name).catch(() => undefined);
      const t = setTimeout(() => finish(state), follower ? LOG_DRAIN_MS : 0);
      t.unref();
    }
  };

  const onAbort = (): void => {
    if (cancelling) return;
    if (request.signal.reason === ('shutdown' satisfies ExecAbortReason)) {
      // The hub stops, the work does not: the Job keeps running and the next hub re-attaches to it.
      note('the hub is stopping: the Job keeps running; the next hub start re-attaches to it');
      settle({ exitCode: null, signal: null, aborted: true, durationMs: duration() });
      return;
    }
    cancelling = true;
    note('cancel: deleting the Job (background propagation)');
    deleteJob(deps, name)
      .then(() => onView(deps.watch.view(name)))
      .catch((err: unknown) => settle(err instanceof Error ? err : new Error(String(err))));
    const t = setTimeout(() => {
      deps.logger.warn({ job: name }, 'cancelled Job still has pods after the timeout');
      settle({ exitCode: null, signal: 'SIGTERM', aborted: true, durationMs: duration() });
    }, deps.cancelTimeoutMs);
    t.unref();
  };

  deps.watch.expect(name);
  unsubscribe = deps.watch.subscribe(name, onView);
  if (request.signal.aborted) onAbort();
  else request.signal.addEventListener('abort', onAbort, { once: true });

  try {
    const result = await outcome;
    await follower?.stop();
    settled = true;
    if (result instanceof Error) throw result;
    return result;
  } finally {
    settled = true;
    request.signal.removeEventListener('abort', onAbort);
    unsubscribe();
    deps.registry.remove(name);
    await new Promise<void>((resolve) => logStream.end(resolve));
  }
}

export async function deleteJob(
  deps: Pick<AttemptRunnerDeps, 'batch' | 'namespace' | 'onRequest'>,
  name: string,
): Promise<void> {
  deps.onRequest();
  try {
    await deps.batch.deleteNamespacedJob({
      name,
      namespace: deps.namespace,
      propagationPolicy: 'Background',
    });
  } catch (err) {
    if ((err as { code?: number }).code !== 404) throw err;
  }
}
