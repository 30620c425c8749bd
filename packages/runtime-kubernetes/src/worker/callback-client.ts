/** Retries of one call: network errors, 5xx and 503 (hub restarting) are retried with backoff. */
const RETRY_FOR_MS = 10 * 60_000;

type Body = NonNullable<RequestInit['body']>;

class CallbackError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** The worker's side of the callback protocol (see the hub's callback-handler.ts). */
export class CallbackClient {
  constructor(
    private readonly baseUrl: string,
    private readonly attemptId: string,
    private readonly token: string,
    private readonly retryForMs = RETRY_FOR_MS,
  ) {}

  private url(what: string, query?: Record<string, string>): string {
    const u = new URL(
      `${this.baseUrl.replace(/\/+$/, '')}/api/v1/runtime/kubernetes/attempts/${this.attemptId}/${what}`,
    );
    for (const [k, v] of Object.entries(query ?? {})) u.searchParams.set(k, v);
    return u.toString();
  }

  async call(
    method: string,
    what: string,
    o: { query?: Record<string, string>; body?: Body | (() => Body); json?: unknown } = {},
  ): Promise<Response> {
    const deadline = Date.now() + this.retryForMs;
    for (let attempt = 0; ; attempt++) {
      let res: Response | undefined;
      let error: unknown;
      try {
        const body =
          o.json !== undefined ? JSON.stringify(o.json) : typeof o.body === 'function' ? o.body() : o.body;
        res = await fetch(this.url(what, o.query), {
          method,
          headers: {
            authorization: `Bearer ${this.token}`,
            ...(o.json !== undefined ? { 'content-type': 'application/json' } : {}),
          },
          ...(body !== undefined ? { body, duplex: 'half' } : {}),
        } as RequestInit);
      } catch (err) {
        error = err;
      }
      if (res && (res.ok || (res.status < 500 && res.status !== 429))) {
        if (!res.ok) {
          const text = await res.text();
          throw new CallbackError(`hub answered ${res.status} to ${method} ${what}: ${text}`, res.status);
        }
        return res;
      }
      if (Date.now() > deadline)
        throw new CallbackError(
          `hub unreachable for ${Math.round(this.retryForMs / 1000)} s (${method} ${what}): ${res ? `status ${res.status}` : String(error)}`,
          res?.status,
        );
      await res?.body?.cancel();
      const wait = Math.min(250 * 2 ** attempt, 5_000);
      await new Promise((r) => setTimeout(r, wait));
    }
  }

  async json<T>(method: string, what: string, json?: unknown): Promise<T> {
    const res = await this.call(method, what, json !== undefined ? { json } : {});
    return (await res.json()) as T;
  }
}
