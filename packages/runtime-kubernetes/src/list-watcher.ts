import type { KubernetesObject, Watch } from '@kubernetes/client-node';
import type { Logger } from '@evalhub/core';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface ListWatcherOptions<T extends KubernetesObject> {
  watch: Watch;
  /** Collection path, e.g. `/apis/batch/v1/namespaces/ns/jobs`. */
  path: string;
  labelSelector: string;
  list: () => Promise<{ items: T[]; metadata?: { resourceVersion?: string } }>;
  onEvent: (type: WatchEventType, object: T) => void;
  /** Called after every successful (re)list, with whether it followed a lost connection. */
  onSynced?: (resync: boolean) => void;
  /** Server-side timeout of one watch request; it is renewed from the last resourceVersion. */
  timeoutSeconds: number;
  logger: Logger;
  /** Counts API requests (list and watch). */
  onRequest?: () => void;
  /** First and largest retry delays after an error. */
  retryMs?: { first: number; max: number };
}

/**
 * List-then-watch of one collection with a local cache. A watch that the server ends is renewed
 * from the last resourceVersion; any error (connection lost, 410 Gone) is followed by a full re-list
 * after a backoff, and differences against the cache are delivered as events, so nothing that
 * happened while disconnected is missed.
 */
export class ListWatcher<T extends KubernetesObject> {
  private readonly cache = new Map<string, T>();
  private resourceVersion = '';
  private controller: AbortController | undefined;
  private stopped = false;
  private retryDelay: number;
  private timer: NodeJS.Timeout | undefined;
  private synced = false;
  /** Set by `disconnect`: the watch it ends (or the next one) counts as lost. */
  private lost = false;
  private syncWaiters: (() => void)[] = [];
  /** Number of re-lists after errors (for tests and metrics). */
  resyncs = 0;
  /** Lists issued so far (the first is 1); a list numbered above a count read earlier was issued after that read. */
  listsStarted = 0;
  /** Number of the list whose result the cache last took (0 before the first). */
  listApplied = 0;

  constructor(private readonly o: ListWatcherOptions<T>) {
    this.retryDelay = o.retryMs?.first ?? 500;
  }

  start(): void {
    this.stopped = false;
    void this.relist(false);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.controller?.abort();
    this.controller = undefined;
  }

  get(name: string): T | undefined {
    return this.cache.get(name);
  }

  items(): T[] {
    return [...this.cache.values()];
  }

  /** Resolves once the first list has been applied. */
  ready(): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  /**
   * Drops the current connection as a network failure would: the watch is not renewed from its
   * resourceVersion, a re-list follows after the back-off (an aborted watch otherwise ends like
   * one the server closed).
   */
  disconnect(): void {
    this.lost = true;
    this.controller?.abort();
  }

  private async relist(resync: boolean): Promise<void> {
    if (this.stopped) return;
    let list: Awaited<ReturnType<ListWatcherOptions<T>['list']>>;
    const number = ++this.listsStarted;
    try {
      this.o.onRequest?.();
      list = await this.o.list();
    } catch (err) {
      this.retry(err);
      return;
    }
    if (this.stopped) return;
    const seen = new Set<string>();
    for (const item of list.items) {
      const name = item.metadata?.name ?? '';
      seen.add(name);
      const old = this.cache.get(name);
      this.cache.set(name, item);
      if (!old) this.o.onEvent('ADDED', item);
      else if (old.metadata?.resourceVersion !== item.metadata?.resourceVersion)
        this.o.onEvent('MODIFIED', item);
    }
    for (const [name, old] of [...this.cache]) {
      if (seen.has(name)) continue;
      this.cache.delete(name);
      this.o.onEvent('DELETED', old);
    }
    this.resourceVersion = list.metadata?.resourceVersion ?? '';
    this.listApplied = number;
    if (resync) this.resyncs++;
    this.synced = true;
    for (const w of this.syncWaiters.splice(0)) w();
    this.o.onSynced?.(resync);
    await this.watch();
  }

  private async watch(): Promise<void> {
    if (this.stopped) return;
    let failed = false;
    let controller: AbortController | undefined;
    this.o.onRequest?.();
    try {
      controller = await this.o.watch.watch(
        this.o.path,
        {
          labelSelector: this.o.labelSelector,
          resourceVersion: this.resourceVersion,
          allowWatchBookmarks: true,
          timeoutSeconds: this.o.timeoutSeconds,
        },
        (type: string, object: T & { code?: number }) => {
          if (type === 'ERROR') {
            // 410 Gone: the resourceVersion is too old; re-list
            failed = true;
            (controller ?? this.controller)?.abort();
            return;
          }
          const rv = object.metadata?.resourceVersion;
          if (rv) this.resourceVersion = rv;
          if (type === 'BOOKMARK') return;
          const name = object.metadata?.name ?? '';
          if (type === 'DELETED') this.cache.delete(name);
          else this.cache.set(name, object);
          this.o.onEvent(type as WatchEventType, object);
        },
        (err: unknown) => {
          if (this.stopped) return;
          const lost = this.lost;
          this.lost = false;
          if (err || failed || lost) {
            this.retry(err ?? new Error(lost ? 'connection dropped' : 'watch expired (410 Gone)'));
            return;
          }
          this.retryDelay = this.o.retryMs?.first ?? 500;
          void this.watch();
        },
      );
    } catch (err) {
      // the request was never made (e.g. the token file is unreadable), so no `done` follows
      this.retry(err);
      return;
    }
    this.controller = controller;
    // stopped, or disconnected while this watch was being opened
    if (this.stopped || this.lost) controller.abort();
  }

  private retry(err: unknown): void {
    if (this.stopped) return;
    this.o.logger.warn(
      { path: this.o.path, err: err instanceof Error ? err.message : String(err), retry_ms: this.retryDelay },
      'kubernetes watch lost; re-listing',
    );
    const delay = this.retryDelay;
    this.retryDelay = Math.min(this.retryDelay * 2, this.o.retryMs?.max ?? 30_000);
    this.timer = setTimeout(() => void this.relist(true), delay);
    this.timer.unref();
  }
}
