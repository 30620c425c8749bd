import type { KubeConfig, User } from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';

/** The client's authenticator interface (not exported by name). */
type Authenticator = Parameters<KubeConfig['addAuthenticator']>[0];

/** The auth provider name of a user whose bearer token is read from `config.path`. */
export const TOKEN_FILE_AUTH = 'evalhub-token-file';

/**
 * A bearer token read from a file and re-read every minute (projected ServiceAccount tokens rotate),
 * trimmed as client-go trims it: a token written by `echo` or `kubectl create token > file` ends in a
 * newline, which is not a legal header value. The client's own file provider sends it as is, and
 * Node's refusal then quotes the whole header, token included.
 */
export class TokenFileAuth implements Authenticator {
  private token: string | undefined;
  private readAt = -Infinity;

  constructor(
    private readonly now: () => number = () => performance.now(),
    private readonly refreshMs = 60_000,
  ) {}

  isAuthProvider(user: User): boolean {
    return user.authProvider?.name === TOKEN_FILE_AUTH;
  }

  async applyAuthentication(user: User, opts: { headers?: Record<string, unknown> }): Promise<void> {
    const path = String(user.authProvider?.config?.['path'] ?? '');
    if (this.token === undefined || this.now() - this.readAt > this.refreshMs) {
      this.token = readTokenFile(path);
      this.readAt = this.now();
    }
    opts.headers ??= {};
    opts.headers['Authorization'] = `Bearer ${this.token}`;
  }
}

/** The token in `path`, without surrounding whitespace; an empty file is an error. */
export function readTokenFile(path: string): string {
  const token = readFileSync(path, 'utf8').trim();
  if (token.length === 0) throw new Error(`the token file ${path} is empty`);
  return token;
}

/** `text` without bearer tokens (an API client's error may quote its Authorization header). */
export function withoutBearerTokens(text: string): string {
  return text.replace(/Bearer\s+[^\s"',;]+/gi, 'Bearer [redacted]');
}
