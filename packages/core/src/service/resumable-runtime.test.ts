import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { ExecLabels, ExecRequest, ExecResult, Runtime } from '../extension-points/runtime.js';
import type { Hub } from '../hub.js';
import { SqliteStore } from '../stores/sqlite-store.js';
import type { Evaluation } from '../types.js';
import { createScriptedHub } from './scripted-hub.test-support.js';

const tempRoot = mkdtempSync(join(tmpdir(), 'evalhub-resumable-'));
afterAll(() => rmSync(tempRoot, { recursive: true, force: true }));
const hubs: Hub[] = [];
afterEach(async () => {
  for (const h of hubs.splice(0)) await h.close();
});

/**
 * A runtime whose commands live outside the hub process, the way Kubernetes Jobs do: its "cluster"
 * (a map shared by the hubs of one test) keeps a command running while hubs stop and start, and an
 * exec with the labels of a command it has re-attaches to it instead of starting another.
 */
class RemoteRuntime implements Runtime {
  readonly name = 'remote';
  readonly resumable = true;
  readonly cluster = new Map<string, { labels: ExecLabels; done: Promise<ExecResult>; finish: () => void }>();
  readonly execs: {
    labels: ExecLabels | undefined;
    timeoutSeconds: number | undefined;
    reattached: boolean;
    aborted?: unknown;
  }[] = [];
  readonly recoverCalls: Record<string, boolean>[] = [];

  async exec(request: ExecRequest): Promise<ExecResult> {
    const labels = request.labels!;
    const key = `${labels.evaluationId}/${labels.benchmarkIndex}/${labels.attempt}`;
    const call: RemoteRuntime['execs'][number] = {
      labels: request.labels,
      timeoutSeconds: request.timeoutSeconds,
      reattached: this.cluster.has(key),
    };
    this.execs.push(call);
    if (!this.cluster.has(key)) {
      let finish!: () => void;
      const done = new Promise<ExecResult>((resolve) => {
        finish = () => resolve({ exitCode: 0, signal: null, aborted: false, durationMs: 1 });
      });
      this.cluster.set(key, { labels, done, finish });
    }
    const job = this.cluster.get(key)!;
    return new Promise<ExecResult>((resolve) => {
      void job.done.then(resolve);
      // A resumable runtime detaches on a graceful stop: the command keeps running on the cluster.
      request.signal.addEventListener('abort', () => {
        call.aborted = request.signal.reason;
        if (request.signal.reason !== 'shutdown') this.cluster.delete(key);
        resolve({ exitCode: null, signal: 'SIGTERM', aborted: true, durationMs: 1 });
      });
    });
  }

  async recover(isLive: (evaluationId: string) => Promise<boolean>): Promise<{ reaped: number }> {
    const seen: Record<string, boolean> = {};
    for (const job of this.cluster.values())
      seen[job.labels.evaluationId] = await isLive(job.labels.evaluationId);
    seen['no-such-evaluation'] = await isLive('no-such-evaluation');
    this.recoverCalls.push(seen);
    return { reaped: 0 };
  }
}

async function makeHub(dir: string, runtime: Runtime): Promise<Hub> {
  const h = await createScriptedHub(dir, { runtime, settings: { maxAttempts: 1 } });
  hubs.push(h);
  return h;
}

const request = {
  model: { server: 'vllm', name: 'test-model' },
  benchmarks: [{ benchmark_id: 'command', provider_id: 'scripted', config: { command: ['remote-job'] } }],
};

async function untilExecs(runtime: RemoteRuntime, n: number): Promise<void> {
  // The runtime's own record, polled: the hub publishes no event for "exec was called".
  while (runtime.execs.length < n) await new Promise((r) => setTimeout(r, 10));
}

async function stop(h: Hub): Promise<void> {
  hubs.splice(hubs.indexOf(h), 1);
  await h.close();
}

describe('a resumable runtime (commands outlive the hub, like Kubernetes Jobs)', () => {
  it('gets the hub labels with every exec, and the same attempt again after a graceful restart', async () => {
    const dir = mkdtempSync(join(tempRoot, 'graceful-'));
    const runtime = new RemoteRuntime();
    const first = await makeHub(dir, runtime);
    const { evaluation } = await first.service.submit(request);
    await untilExecs(runtime, 1);
    expect(runtime.execs[0]!.labels).toEqual({
      evaluationId: evaluation.id,
      benchmarkIndex: 0,
      attempt: 1,
      benchmarkId: 'command',
      providerId: 'scripted',
    });
    await stop(first);
    expect(runtime.execs[0]!.aborted).toBe('shutdown');

    const second = await makeHub(dir, runtime);
    await untilExecs(runtime, 2);
    expect(runtime.execs[1]).toMatchObject({ reattached: true, labels: { attempt: 1 } });
    expect(runtime.recoverCalls.at(-1)).toEqual({ [evaluation.id]: true, 'no-such-evaluation': false });
    runtime.cluster.get(`${evaluation.id}/0/1`)!.finish();
    const final = await second.service.wait(evaluation.id);
    expect(final.status).toBe('completed');
    expect(final.benchmarks[0]!.attempts).toBe(1);
  });

  it('re-attaches after a crash instead of counting it against max_attempts', async () => {
    const dir = mkdtempSync(join(tempRoot, 'crash-'));
    const runtime = new RemoteRuntime();
    const first = await makeHub(dir, runtime);
    const { evaluation } = await first.service.submit(request);
    await untilExecs(runtime, 1);
    // What a SIGKILLed hub leaves in the store: the benchmark running, its attempt counted.
    const crashed: Evaluation = structuredClone(await first.service.get(evaluation.id));
    expect(crashed.benchmarks[0]).toMatchObject({ status: 'running', attempts: 1 });
    await stop(first);
    const store = new SqliteStore({ path: join(dir, '.evalhub', 'evalhub.db') });
    await store.saveEvaluation(crashed);
    await store.close();

    // max_attempts is 1: a local runtime would fail the benchmark as interrupted; this one resumes it.
    const second = await makeHub(dir, runtime);
    await untilExecs(runtime, 2);
    expect(runtime.execs[1]).toMatchObject({ reattached: true, labels: { attempt: 1 } });
    runtime.cluster.get(`${evaluation.id}/0/1`)!.finish();
    const final = await second.service.wait(evaluation.id);
    expect(final.status).toBe('completed');
    expect(final.benchmarks[0]!.attempts).toBe(1);
  });

  it("gets the benchmark's timeout with every exec (a Kubernetes Job's deadline comes from it)", async () => {
    const dir = mkdtempSync(join(tempRoot, 'timeout-'));
    const runtime = new RemoteRuntime();
    const h = await makeHub(dir, runtime);
    const { evaluation } = await h.service.submit({ ...request, timeout_seconds: 1234 });
    await untilExecs(runtime, 1);
    expect(runtime.execs[0]!.timeoutSeconds).toBe(1234);
    runtime.cluster.get(`${evaluation.id}/0/1`)!.finish();
    expect((await h.service.wait(evaluation.id)).status).toBe('completed');

    // without one in the request: the hub's default benchmark timeout (24 h)
    const { evaluation: second } = await h.service.submit(request);
    await untilExecs(runtime, 2);
    expect(runtime.execs[1]!.timeoutSeconds).toBe(24 * 3600);
    runtime.cluster.get(`${second.id}/0/1`)!.finish();
    expect((await h.service.wait(second.id)).status).toBe('completed');
  });
});
