import type { V1Job, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { attemptState } from './pod-status.js';

const pod = (status: V1Pod['status']): V1Pod => ({ metadata: { name: 'p' }, status });
const job = (conditions: { type: string; reason?: string; message?: string }[]): V1Job => ({
  status: { conditions: conditions.map((c) => ({ ...c, status: 'True' })) },
});

describe('attemptState', () => {
  it('reads exit codes from the terminated container', () => {
    expect(attemptState(undefined, pod({ phase: 'Succeeded', containerStatuses: [] }))).toEqual({
      phase: 'succeeded',
      exitCode: 0,
    });
    const failed = attemptState(
      undefined,
      pod({
        phase: 'Failed',
        containerStatuses: [
          {
            name: 'c',
            image: 'i',
            imageID: '',
            ready: false,
            restartCount: 0,
            state: { terminated: { exitCode: 2, reason: 'Error' } },
          },
        ],
      }),
    );
    expect(failed).toMatchObject({
      phase: 'failed',
      exitCode: 2,
      signal: null,
      reason: 'Error: exit code 2',
    });
  });

  it('names OOMKilled, Evicted, ImagePullBackOff and a deadline with the pending reason', () => {
    const oom = attemptState(
      undefined,
      pod({
        phase: 'Failed',
        containerStatuses: [
          {
            name: 'c',
            image: 'i',
            imageID: '',
            ready: false,
            restartCount: 0,
            state: { terminated: { exitCode: 137, reason: 'OOMKilled' } },
          },
        ],
      }),
    );
    expect(oom).toMatchObject({ phase: 'failed', exitCode: 137, signal: 'SIGKILL' });
    expect(
      attemptState(undefined, pod({ phase: 'Failed', reason: 'Evicted', message: 'low memory' })),
    ).toMatchObject({
      phase: 'infra-failed',
      code: 'kubernetes_evicted',
      reason: 'Evicted: low memory',
    });
    const pull = attemptState(
      undefined,
      pod({
        phase: 'Pending',
        containerStatuses: [
          {
            name: 'c',
            image: 'i',
            imageID: '',
            ready: false,
            restartCount: 0,
            state: { waiting: { reason: 'ImagePullBackOff', message: 'no' } },
          },
        ],
      }),
    );
    expect(pull).toMatchObject({ phase: 'infra-failed', code: 'kubernetes_image_pull_back_off' });
    const pending = pod({
      phase: 'Pending',
      conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/1 nodes' }],
    });
    expect(attemptState(undefined, pending)).toEqual({
      phase: 'pending',
      reason: 'Unschedulable: 0/1 nodes',
    });
    const late = attemptState(
      job([{ type: 'Failed', reason: 'DeadlineExceeded', message: 'Job was active longer' }]),
      pending,
    );
    expect(late).toMatchObject({ phase: 'infra-failed', code: 'kubernetes_deadline_exceeded' });
    expect(late.phase === 'infra-failed' && late.reason).toContain('Unschedulable: 0/1 nodes');
  });

  it('is running only when the pod is', () => {
    expect(attemptState(undefined, pod({ phase: 'Running' }))).toEqual({ phase: 'running', podName: 'p' });
    expect(attemptState(undefined, undefined)).toEqual({ phase: 'pending' });
  });
});
