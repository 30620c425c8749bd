import type { BatchV1Api, CoreV1Api, KubernetesObject, V1Job, V1Pod, Watch } from '@kubernetes/client-node';
import { silentLogger } from '@evalhub/core';
import { afterEach, describe, expect, it } from 'vitest';
import { NamespaceWatch, type JobView } from './namespace-watch.js';

const JOBS = '/apis/batch/v1/namespaces/ns/jobs';
const PODS = '/api/v1/namespaces/ns/pods';

type Callback = (type: string, object: KubernetesObject) => void;
interface Connection {
  callback: Callback;
  done: (err: unknown) => void;
}
interface PendingList {
  snapshot: KubernetesObject[];
  resourceVersion: string;
  resolve: (list: { items: KubernetesObject[]; metadata: { resourceVersion: string } }) => void;
  reject: (err: Error) => void;
}

/**
 * The API server as the watches see it, with the orderings of a real one under the test's control:
 * a list answers with the objects as they were when it was issued (a consistent read), and answers
 * when the test releases it; watch connections get the events the test sends and end when it cuts.
 */
class FakeServer {
  readonly objects = {
    [JOBS]: new Map<string, KubernetesObject>(),
    [PODS]: new Map<string, KubernetesObject>(),
  };
  private rv = 1;
  private readonly connections = new Map<string, Connection[]>();
  private readonly pending = new Map<string, PendingList[]>();
  private readonly watchWaiters = new Map<string, (() => void)[]>();
  /** When true, lists wait for `releaseList`; otherwise they answer at once. */
  holdLists = false;
  /** When true, lists and watches fail (the connection to the API server is cut). */
  down = false;

  list(path: string): Promise<{ items: KubernetesObject[]; metadata: { resourceVersion: string } }> {
    if (this.down) return Promise.reject(new Error('connect ECONNREFUSED'));
    const snapshot = [...this.objects[path as keyof FakeServer['objects']].values()].map((o) =>
      structuredClone(o),
    );
    const resourceVersion = String(this.rv);
    if (!this.holdLists) return Promise.resolve({ items: snapshot, metadata: { resourceVersion } });
    return new Promise((resolve, reject) => {
      const list = this.pending.get(path) ?? [];
      list.push({ snapshot, resourceVersion, resolve, reject });
      this.pending.set(path, list);
    });
  }

  /** Answers the oldest held list of `path` with what it saw when it was issued. */
  releaseList(path: string): void {
    const p = this.pending.get(path)?.shift();
    if (!p) throw new Error(`no list of ${path} is waiting`);
    p.resolve({ items: p.snapshot, metadata: { resourceVersion: p.resourceVersion } });
  }

  heldLists(path: string): number {
    return this.pending.get(path)?.length ?? 0;
  }

  readonly watch = {
    watch: async (path: string, _q: unknown, callback: Callback, done: (err: unknown) => void) => {
      const controller = new AbortController();
      if (this.down) {
        done(new Error('socket hang up'));
        return controller;
      }
      const list = this.connections.get(path) ?? [];
      const c: Connection = { callback, done };
      list.push(c);
      this.connections.set(path, list);
      controller.signal.addEventListener('abort', () => this.drop(path, c, new Error('aborted')));
      for (const w of this.watchWaiters.get(path)?.splice(0) ?? []) w();
      return controller;
    },
  };

  private drop(path: string, c: Connection, err: unknown): void {
    const list = this.connections.get(path) ?? [];
    if (!list.includes(c)) return;
    list.splice(list.indexOf(c), 1);
    c.done(err);
  }

  /** Resolves once a watch of `path` is open (a list was applied and the watch that follows it started). */
  watching(path: string): Promise<void> {
    if ((this.connections.get(path)?.length ?? 0) > 0) return Promise.resolve();
    return new Promise((resolve) => {
      const w = this.watchWaiters.get(path) ?? [];
      w.push(resolve);
      this.watchWaiters.set(path, w);
    });
  }

  /** Resets every watch connection of `path`, as a network failure would. */
  cut(path: string): void {
    for (const c of [...(this.connections.get(path) ?? [])]) this.drop(path, c, new Error('read ECONNRESET'));
  }

  /** Changes the stored object; `send` also delivers the event to the open watches. */
  apply(path: string, type: 'ADDED' | 'MODIFIED' | 'DELETED', object: KubernetesObject, send = true): void {
    const o = structuredClone(object);
    o.metadata = { ...o.metadata, resourceVersion: String(++this.rv) };
    const store = this.objects[path as keyof FakeServer['objects']];
    const name = o.metadata.name ?? '';
    if (type === 'DELETED') store.delete(name);
    else store.set(name, o);
    if (send) for (const c of this.connections.get(path) ?? []) c.callback(type, structuredClone(o));
  }
}

const job = (name: string): V1Job => ({ metadata: { name, labels: { 'evalhub.io/hub': 'evalhub' } } });
const pod = (jobName: string, phase: string): V1Pod => ({
  metadata: { name: `${jobName}-pod`, labels: { 'evalhub.io/hub': 'evalhub', 'job-name': jobName } },
  status: { phase },
});

const watches: NamespaceWatch[] = [];
afterEach(() => {
  for (const w of watches.splice(0)) w.stop();
});

async function startWatch(server: FakeServer): Promise<NamespaceWatch> {
  const w = new NamespaceWatch({
    namespace: 'ns',
    labelSelector: 'evalhub.io/hub=evalhub',
    batch: { listNamespacedJob: () => server.list(JOBS) } as unknown as BatchV1Api,
    core: { listNamespacedPod: () => server.list(PODS) } as unknown as CoreV1Api,
    watch: server.watch as unknown as Watch,
    logger: silentLogger(),
    timeoutSeconds: 60,
    retryMs: { first: 1, max: 1 },
  });
  watches.push(w);
  w.start();
  await w.ready();
  await Promise.all([server.watching(JOBS), server.watching(PODS)]);
  return w;
}

/** Subscribes as an attempt does; the views it got, newest last. */
function follow(w: NamespaceWatch, name: string): JobView[] {
  const views: JobView[] = [];
  w.expect(name);
  w.subscribe(name, (v) => views.push(v));
  return views;
}

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('NamespaceWatch: a Job not listed yet is not deleted; one deleted while the watch was down is', () => {
  it('a pod event that comes before the Job it belongs to was seen does not report the Job deleted', async () => {
    const server = new FakeServer();
    const w = await startWatch(server);
    // created by the runtime; the Job's ADDED event is late, its pod's is not (two connections)
    server.apply(JOBS, 'ADDED', job('eh-1'), false);
    const views = follow(w, 'eh-1');
    server.apply(PODS, 'ADDED', pod('eh-1', 'Pending'));
    await flush();
    expect(views.length).toBeGreaterThanOrEqual(2);
    expect(views.map((v) => v.deleted)).not.toContain(true);
    expect(views.at(-1)?.pods).toHaveLength(1);

    server.apply(JOBS, 'MODIFIED', job('eh-1'));
    expect(views.at(-1)).toMatchObject({ deleted: false, job: { metadata: { name: 'eh-1' } } });
  });

  it('a Job created while its watch re-lists is not deleted by the list issued before it existed', async () => {
    const server = new FakeServer();
    const w = await startWatch(server);
    server.holdLists = true;
    server.cut(JOBS);
    await until(() => server.heldLists(JOBS) === 1); // the re-list is on its way, from before the Job
    server.apply(JOBS, 'ADDED', job('eh-2'), false);
    const views = follow(w, 'eh-2');
    server.apply(PODS, 'ADDED', pod('eh-2', 'Running'));
    const watching = server.watching(JOBS);
    server.releaseList(JOBS);
    await watching;
    await flush();
    expect(w.jobs.resyncs).toBe(1);
    expect(views.map((v) => v.deleted)).not.toContain(true);

    // the watch that follows that list brings the Job
    server.apply(JOBS, 'MODIFIED', job('eh-2'));
    expect(views.at(-1)).toMatchObject({ deleted: false, job: { metadata: { name: 'eh-2' } } });
  });

  it('reports a Job deleted while the watch was down once its re-list lacks it, not when only the pods re-listed', async () => {
    const server = new FakeServer();
    const w = await startWatch(server);
    server.apply(JOBS, 'ADDED', job('eh-3'));
    server.apply(PODS, 'ADDED', pod('eh-3', 'Running'));
    const views = follow(w, 'eh-3');
    await flush();
    expect(views.at(-1)).toMatchObject({ deleted: false, pods: [{ status: { phase: 'Running' } }] });

    server.down = true;
    server.cut(JOBS);
    server.cut(PODS);
    server.apply(JOBS, 'DELETED', job('eh-3'), false);
    server.apply(PODS, 'DELETED', pod('eh-3', 'Running'), false);
    server.holdLists = true;
    server.down = false;
    await until(() => server.heldLists(JOBS) === 1 && server.heldLists(PODS) === 1);
    // the pods' re-list answers first: the Job is not re-listed yet, so not known to be gone
    server.releaseList(PODS);
    await server.watching(PODS);
    expect(views.at(-1)).toMatchObject({ pods: [], deleted: false });
    server.releaseList(JOBS);
    await server.watching(JOBS);
    expect(views.at(-1)).toMatchObject({ job: undefined, pods: [], deleted: true });
  });

  it('reports a Job that was created and deleted while the watch was down, never seen, once a later list lacks it', async () => {
    const server = new FakeServer();
    const w = await startWatch(server);
    server.down = true;
    server.cut(JOBS);
    server.apply(JOBS, 'ADDED', job('eh-4'), false);
    const views = follow(w, 'eh-4');
    server.apply(JOBS, 'DELETED', job('eh-4'), false);
    await flush();
    expect(views.map((v) => v.deleted)).not.toContain(true);
    server.down = false;
    await server.watching(JOBS);
    await flush();
    expect(views.at(-1)).toMatchObject({ job: undefined, deleted: true });
  });
});

describe('NamespaceWatch pods', () => {
  it('orders a Job’s pods by creation time, listed (a Date) and watched (a string) alike', async () => {
    const server = new FakeServer();
    const first = pod('eh-5', 'Failed');
    first.metadata = {
      ...first.metadata,
      name: 'eh-5-a',
      creationTimestamp: new Date('2026-12-04T19:00:00Z'),
    };
    server.apply(PODS, 'ADDED', first, false);
    const w = await startWatch(server);
    const second = pod('eh-5', 'Running');
    second.metadata = {
      ...second.metadata,
      name: 'eh-5-b',
      creationTimestamp: '2026-12-04T19:00:05Z' as unknown as Date,
    };
    server.apply(PODS, 'ADDED', second);
    expect(w.view('eh-5').pods.map((p) => p.metadata?.name)).toEqual(['eh-5-a', 'eh-5-b']);
  });
});

/** Waits for a condition the watch's own timers make true (its re-list after the 1 ms retry). */
async function until(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setImmediate(resolve));
  }
}
