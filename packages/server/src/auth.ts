import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/**
 * API-key check. Keys are compared as SHA-256 digests with `timingSafeEqual`, against every
 * configured key without stopping early, so timing reveals neither a key nor its length.
 */
export class ApiKeyAuth {
  private readonly digests: Buffer[];

  constructor(keys: readonly string[]) {
    this.digests = keys.filter((k) => k.length > 0).map(digest);
  }

  get enabled(): boolean {
    return this.digests.length > 0;
  }

  /** The key a request presents: `Authorization: Bearer <key>` or `X-API-Key: <key>`. */
  static presented(headers: {
    authorization?: string | undefined;
    'x-api-key'?: string | string[] | undefined;
  }): string | undefined {
    const auth = headers.authorization;
    if (auth) {
      const m = /^Bearer\s+(.+)$/i.exec(auth.trim());
      if (m) return m[1]!.trim();
    }
    const x = headers['x-api-key'];
    if (typeof x === 'string' && x.length > 0) return x.trim();
    return undefined;
  }

  check(presented: string | undefined): boolean {
    if (presented === undefined) return false;
    const d = digest(presented);
    let ok = false;
    for (const k of this.digests) ok = timingSafeEqual(d, k) || ok;
    return ok;
  }
}
