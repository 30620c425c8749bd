import type { V1Job, V1Pod } from '@kubernetes/client-node';
import type { CodeWhere } from '@evalhub/core';
import type { KubernetesErrorCode } from './error-codes.js';

/** The Kubernetes runtime's benchmark codes. */
type InfraCode = KubernetesErrorCode & CodeWhere<{ kind: 'benchmark' }>;

/** Where an attempt stands, read from its Job and Pod as the API server reports them. */
export type AttemptState =
  | { phase: 'pending'; reason?: string }
  | { phase: 'running'; podName: string }
  | { phase: 'succeeded'; exitCode: number }
  /** The command ran and ended badly (an exit code, or killed for memory). */
  | { phase: 'failed'; exitCode: number | null; signal: NodeJS.Signals | null; reason: string }
  /** The command never ran or was stopped by the cluster (image, scheduling, eviction, deadline). */
  | { phase: 'infra-failed'; code: InfraCode; reason: string };

/** Container waiting reasons that will not resolve without someone changing the Job, and their codes. */
const FATAL_WAITING: ReadonlyMap<string, InfraCode> = new Map([
  ['ImagePullBackOff', 'kubernetes_image_pull_back_off'],
  ['InvalidImageName', 'kubernetes_invalid_image_name'],
  ['ErrImageNeverPull', 'kubernetes_err_image_never_pull'],
  ['CreateContainerError', 'kubernetes_create_container_error'],
]);

function condition(job: V1Job | undefined, type: string): { reason?: string; message?: string } | undefined {
  return job?.status?.conditions?.find((c) => c.type === type && c.status === 'True');
}

/** What keeps a pending pod from running, e.g. `Unschedulable: 0/1 nodes are available…`. */
function pendingReason(pod: V1Pod | undefined): string | undefined {
  if (!pod) return undefined;
  const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
  if (scheduled?.status === 'False')
    return `${scheduled.reason ?? 'Unschedulable'}: ${scheduled.message ?? 'the pod cannot be scheduled'}`;
  const waiting = pod.status?.containerStatuses?.find((c) => c.state?.waiting)?.state?.waiting;
  if (waiting?.reason && waiting.reason !== 'ContainerCreating')
    return `${waiting.reason}${waiting.message ? `: ${waiting.message}` : ''}`;
  return undefined;
}

/**
 * Maps a Job and its (newest) Pod to the attempt's state. Terminal pod states win over Job
 * conditions because they carry the exit code; the Job's DeadlineExceeded covers pods that never ran.
 */
export function attemptState(job: V1Job | undefined, pod: V1Pod | undefined): AttemptState {
  const podPhase = pod?.status?.phase;
  const terminated = pod?.status?.containerStatuses?.find((c) => c.state?.terminated)?.state?.terminated;
  if (podPhase === 'Succeeded') return { phase: 'succeeded', exitCode: terminated?.exitCode ?? 0 };
  if (podPhase === 'Failed') {
    if (pod?.status?.reason === 'Evicted')
      return {
        phase: 'infra-failed',
        code: 'kubernetes_evicted',
        reason: `Evicted: ${pod.status.message ?? 'the node evicted the pod'}`,
      };
    if (pod?.status?.reason === 'DeadlineExceeded')
      return {
        phase: 'infra-failed',
        code: 'kubernetes_deadline_exceeded',
        reason: `DeadlineExceeded: ${pod.status.message ?? 'the pod ran past its deadline'}`,
      };
    if (terminated?.reason === 'OOMKilled')
      return {
        phase: 'failed',
        exitCode: terminated.exitCode,
        signal: 'SIGKILL',
        reason: 'OOMKilled: the container went over its memory limit; raise resources.limits.memory',
      };
    const code = terminated?.exitCode ?? null;
    return {
      phase: 'failed',
      exitCode: code,
      signal: code !== null && code > 128 ? 'SIGKILL' : null,
      reason: `${terminated?.reason ?? 'Error'}: exit code ${code ?? 'unknown'}${terminated?.message ? ` (${terminated.message.trim()})` : ''}`,
    };
  }
  const failed = condition(job, 'Failed');
  if (failed) {
    const why = pendingReason(pod);
    const code: InfraCode =
      failed.reason === 'DeadlineExceeded' ? 'kubernetes_deadline_exceeded' : 'kubernetes_job_failed';
    return {
      phase: 'infra-failed',
      code,
      reason: `${failed.reason ?? 'Failed'}: ${failed.message ?? 'the Job failed'}${why ? ` (the pod was still waiting: ${why})` : ''}`,
    };
  }
  const complete = condition(job, 'Complete');
  if (complete && !pod) return { phase: 'succeeded', exitCode: 0 };
  const waiting = pod?.status?.containerStatuses?.find((c) => c.state?.waiting)?.state?.waiting;
  const fatal = waiting?.reason ? FATAL_WAITING.get(waiting.reason) : undefined;
  if (waiting?.reason && fatal)
    return {
      phase: 'infra-failed',
      code: fatal,
      reason: `${waiting.reason}: ${waiting.message ?? 'the container cannot start'}`,
    };
  if (podPhase === 'Running' && pod?.metadata?.name) return { phase: 'running', podName: pod.metadata.name };
  const reason = pendingReason(pod);
  return reason ? { phase: 'pending', reason } : { phase: 'pending' };
}

export function isTerminal(s: AttemptState): boolean {
  return s.phase === 'succeeded' || s.phase === 'failed' || s.phase === 'infra-failed';
}
