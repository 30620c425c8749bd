/**
 * Shares one call of `fn` between concurrent callers, and gives every caller a result that began
 * after it asked: a caller arriving while a call is in flight waits for the next one, which starts
 * as soon as the current one settles and serves everyone who arrived meanwhile. A burst of N
 * callers costs two calls, not N, and nobody gets an answer older than their question.
 */
export function sharedCall<T>(fn: () => Promise<T>): () => Promise<T> {
  let current: Promise<T> | undefined;
  let next: Promise<T> | undefined;
  const start = (): Promise<T> => {
    const call = fn().finally(() => {
      if (current === call) current = undefined;
    });
    current = call;
    return call;
  };
  return () => {
    if (!current) return start();
    next ??= current
      .then(
        () => undefined,
        () => undefined,
      )
      .then(() => {
        next = undefined;
        return start();
      });
    return next;
  };
}
