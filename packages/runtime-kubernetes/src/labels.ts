import type { ExecRequest } from '@evalhub/core';
import { basename, dirname } from 'node:path';

export type AttemptLabels = NonNullable<ExecRequest['labels']>;

/** Label and annotation keys on every Job, Pod and Secret this runtime creates. */
export const LABELS = {
  managedBy: 'app.kubernetes.io/managed-by',
  hub: 'evalhub.io/hub',
  evaluation: 'evalhub.io/evaluation-id',
  benchmarkIndex: 'evalhub.io/benchmark-index',
  attempt: 'evalhub.io/attempt',
  kueueQueue: 'kueue.x-k8s.io/queue-name',
} as const;

export const ANNOTATIONS = {
  benchmarkId: 'evalhub.io/benchmark-id',
  providerId: 'evalhub.io/provider-id',
} as const;

const MANAGED_BY = 'evalhub';

/** The label selector of one hub's objects (what the watches and re-attach list). */
export function hubSelector(hub: string): string {
  return `${LABELS.managedBy}=${MANAGED_BY},${LABELS.hub}=${hub}`;
}

export function attemptLabels(hub: string, l: AttemptLabels): Record<string, string> {
  return {
    [LABELS.managedBy]: MANAGED_BY,
    [LABELS.hub]: hub,
    [LABELS.evaluation]: l.evaluationId,
    [LABELS.benchmarkIndex]: String(l.benchmarkIndex),
    [LABELS.attempt]: String(l.attempt),
  };
}

/** Reads the attempt labels back from an object's labels (undefined when they are not ours). */
export function labelsOf(
  labels: Record<string, string> | undefined,
  annotations?: Record<string, string>,
): AttemptLabels | undefined {
  const evaluationId = labels?.[LABELS.evaluation];
  const index = Number(labels?.[LABELS.benchmarkIndex]);
  const attempt = Number(labels?.[LABELS.attempt]);
  if (!evaluationId || !Number.isInteger(index) || !Number.isInteger(attempt)) return undefined;
  return {
    evaluationId,
    benchmarkIndex: index,
    attempt,
    ...(annotations?.[ANNOTATIONS.benchmarkId] ? { benchmarkId: annotations[ANNOTATIONS.benchmarkId] } : {}),
    ...(annotations?.[ANNOTATIONS.providerId] ? { providerId: annotations[ANNOTATIONS.providerId] } : {}),
  };
}

/**
 * The Job's name: `eh-<evaluation id>-<benchmark index>-<attempt>`, lower-cased and cut to the 63
 * characters a Job name may have (its pods' `job-name` label is limited to that).
 */
export function jobName(l: AttemptLabels): string {
  const id = l.evaluationId.toLowerCase().replace(/[^a-z0-9-]/g, '-');
  const tail = `-${l.benchmarkIndex}-${l.attempt}`;
  return `eh-${id}`.slice(0, 63 - tail.length).replace(/-+$/, '') + tail;
}

/**
 * Labels for a request that carries none: core's documented layout puts the log at
 * `<data_dir>/evaluations/<id>/logs/<index>-<benchmark>.log`, which names the evaluation and index.
 */
export function labelsFromLogFile(logFile: string): AttemptLabels | undefined {
  const m = /^(\d+)-(.+)\.log$/.exec(basename(logFile));
  const logs = dirname(logFile);
  if (!m || basename(logs) !== 'logs') return undefined;
  const evaluationId = basename(dirname(logs));
  if (basename(dirname(dirname(logs))) !== 'evaluations' || !evaluationId) return undefined;
  return { evaluationId, benchmarkIndex: Number(m[1]), attempt: 1, benchmarkId: m[2] };
}
