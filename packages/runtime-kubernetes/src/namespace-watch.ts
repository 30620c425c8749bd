import type { BatchV1Api, CoreV1Api, V1Job, V1Pod, Watch } from '@kubernetes/client-node';
import type { Logger } from '@evalhub/core';
import { ListWatcher } from './list-watcher.js';

/** What a subscriber sees of its Job: the Job (undefined once deleted) and its pods. */
export interface JobView {
  job: V1Job | undefined;
  pods: V1Pod[];
  /** True once the Job was seen and is now gone. */
  deleted: boolean;
}

type Listener = (view: JobView) => void;

function jobNameOfPod(pod: V1Pod): string | undefined {
  const l = pod.metadata?.labels;
  return l?.['batch.kubernetes.io/job-name'] ?? l?.['job-name'];
}

/**
 * One watch on the hub's Jobs and one on their Pods in a namespace, shared by every attempt:
 * subscribers are called with their Job's view whenever the Job or one of its pods changes, and
 * again after every resync.
 */
export class NamespaceWatch {
  readonly jobs: ListWatcher<V1Job>;
  readonly pods: ListWatcher<V1Pod>;
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly podsByJob = new Map<string, Map<string, V1Pod>>();
  /**
   * The Jobs subscribers follow (see `expect`): whether the Job was seen in the cache, and how many
   * Job lists had been issued when it was expected. Only a Job seen and then gone (a DELETED event,
   * or missing from a re-list), or missing from a list issued after it was expected (it was created
   * and deleted while the watch was down), counts as deleted: one merely not listed yet does not.
   */
  private readonly expected = new Map<string, { seen: boolean; listsBefore: number }>();

  constructor(o: {
    namespace: string;
    labelSelector: string;
    batch: BatchV1Api;
    core: CoreV1Api;
    watch: Watch;
    logger: Logger;
    timeoutSeconds: number;
    onRequest?: () => void;
    /** First and largest delays before a re-list after an error (default 0.5 s, 30 s). */
    retryMs?: { first: number; max: number };
  }) {
    const common = {
      watch: o.watch,
      labelSelector: o.labelSelector,
      timeoutSeconds: o.timeoutSeconds,
      logger: o.logger,
      ...(o.onRequest ? { onRequest: o.onRequest } : {}),
      ...(o.retryMs ? { retryMs: o.retryMs } : {}),
    };
    this.jobs = new ListWatcher<V1Job>({
      ...common,
      path: `/apis/batch/v1/namespaces/${o.namespace}/jobs`,
      list: () => o.batch.listNamespacedJob({ namespace: o.namespace, labelSelector: o.labelSelector }),
      onEvent: (type, job) => {
        const name = job.metadata?.name ?? '';
        const expected = this.expected.get(name);
        if (expected && type !== 'DELETED') expected.seen = true;
        this.notify(name);
      },
      onSynced: () => this.notifyAll(),
    });
    this.pods = new ListWatcher<V1Pod>({
      ...common,
      path: `/api/v1/namespaces/${o.namespace}/pods`,
      list: () => o.core.listNamespacedPod({ namespace: o.namespace, labelSelector: o.labelSelector }),
      onEvent: (type, pod) => {
        const job = jobNameOfPod(pod);
        if (!job) return;
        const pods = this.podsByJob.get(job) ?? new Map<string, V1Pod>();
        const name = pod.metadata?.name ?? '';
        if (type === 'DELETED') pods.delete(name);
        else pods.set(name, pod);
        if (pods.size > 0) this.podsByJob.set(job, pods);
        else this.podsByJob.delete(job);
        this.notify(job);
      },
      onSynced: () => this.notifyAll(),
    });
  }

  start(): void {
    this.jobs.start();
    this.pods.start();
  }

  stop(): void {
    this.jobs.stop();
    this.pods.stop();
  }

  async ready(): Promise<void> {
    await Promise.all([this.jobs.ready(), this.pods.ready()]);
  }

  /** Cuts both watch connections, as a network failure would (tests; resync follows). */
  disconnect(): void {
    this.jobs.disconnect();
    this.pods.disconnect();
  }

  get resyncs(): number {
    return this.jobs.resyncs + this.pods.resyncs;
  }

  view(jobName: string): JobView {
    const job = this.jobs.get(jobName);
    // a listed pod's creationTimestamp is a Date, a watched one's the API server's string: compare times
    const created = (p: V1Pod): number => new Date(p.metadata?.creationTimestamp ?? 0).getTime() || 0;
    const pods = [...(this.podsByJob.get(jobName)?.values() ?? [])].sort((a, b) => created(a) - created(b));
    return { job, pods, deleted: !job && this.isGone(jobName) };
  }

  /**
   * Marks a Job as existing on the cluster (created or found by us) so that its disappearance counts
   * as a deletion: once it was seen and is gone, or once a list issued after this call lacks it.
   */
  expect(jobName: string): void {
    const known = this.expected.get(jobName);
    if (known) known.seen ||= this.jobs.get(jobName) !== undefined;
    else
      this.expected.set(jobName, {
        seen: this.jobs.get(jobName) !== undefined,
        listsBefore: this.jobs.listsStarted,
      });
  }

  private isGone(jobName: string): boolean {
    const e = this.expected.get(jobName);
    if (!e) return false;
    // A list issued before the Job was created may lack it; its ADDED event is still to come.
    return e.seen || this.jobs.listApplied > e.listsBefore;
  }

  subscribe(jobName: string, listener: Listener): () => void {
    const set = this.listeners.get(jobName) ?? new Set<Listener>();
    set.add(listener);
    this.listeners.set(jobName, set);
    queueMicrotask(() => listener(this.view(jobName)));
    return () => {
      set.delete(listener);
      if (set.size === 0) {
        this.listeners.delete(jobName);
        this.expected.delete(jobName);
      }
    };
  }

  private notify(jobName: string): void {
    const set = this.listeners.get(jobName);
    if (!set) return;
    const view = this.view(jobName);
    for (const l of set) l(view);
  }

  private notifyAll(): void {
    for (const name of this.listeners.keys()) this.notify(name);
  }
}
