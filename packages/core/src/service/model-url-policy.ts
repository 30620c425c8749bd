import type { ErrorDetail } from '../errors.js';

/**
 * Which hosts a request's `model.url` may name. The hub is an HTTP client for anyone who can POST,
 * so an operator can restrict it to the model servers it should reach.
 *
 * Patterns (config `model_url_allowed_hosts`, env `EVALHUB_MODEL_URL_ALLOWED_HOSTS`, comma-separated):
 * `*` (any host, the default), `host`, `host:port`, `*.example.com` (any subdomain), `[::1]:8000`.
 * Hosts are compared case-insensitively; a pattern without a port allows every port.
 */
export class ModelUrlPolicy {
  private readonly patterns: { host: string; port?: string }[];
  readonly allowsAny: boolean;

  constructor(readonly allowedHosts: readonly string[] = ['*']) {
    this.allowsAny = allowedHosts.includes('*');
    this.patterns = allowedHosts
      .filter((p) => p !== '*')
      .map((p) => {
        const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(p.trim().toLowerCase());
        return m ? { host: m[1]!, ...(m[2] ? { port: m[2] } : {}) } : { host: p.trim().toLowerCase() };
      });
  }

  /** Whether `url` (already known to be an http(s) URL) may be called. */
  allows(url: URL): boolean {
    if (this.allowsAny) return true;
    const host = url.hostname.toLowerCase();
    const port = url.port || (url.protocol === 'https:' ? '443' : '80');
    return this.patterns.some(
      (p) =>
        (p.port === undefined || p.port === port) &&
        (p.host === host || (p.host.startsWith('*.') && host.endsWith(p.host.slice(1)))),
    );
  }
}

/** Query parameters that carry credentials; a `model.url` with one is refused. */
const CREDENTIAL_PARAMS =
  /^(api[-_]?key|key|token|access[-_]?token|auth|authorization|password|secret|sig|signature)$/i;

/**
 * Why `model.url` cannot be accepted (credentials inside it, or a host the operator does not allow),
 * as a field-level detail; undefined when it is fine. Credentials in a URL would be stored, returned
 * by GET and tracked, so they are refused rather than silently kept.
 */
export function modelUrlProblem(
  raw: string,
  policy: ModelUrlPolicy,
  server: string,
): ErrorDetail | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { pointer: '/model/url', message: 'Must be an absolute URL such as http://vllm:8000/v1.' };
  }
  const keyHelp = `Put no credentials in model.url: the operator configures the server and its key (EVALHUB_MODEL_SERVER_${envName(server)}=<url> and EVALHUB_MODEL_SERVER_${envName(server)}_API_KEY), and the request names it with model.server='${server}' and no url.`;
  if (url.username || url.password)
    return { pointer: '/model/url', message: `Contains a user name or password. ${keyHelp}` };
  const secretParam = [...url.searchParams.keys()].find((k) => CREDENTIAL_PARAMS.test(k));
  if (secretParam !== undefined)
    return {
      pointer: '/model/url',
      message: `Contains the credential parameter '${secretParam}'. ${keyHelp}`,
    };
  if (!policy.allows(url))
    return {
      pointer: '/model/url',
      message: `Host '${url.host}' is not an allowed model server host (allowed: ${policy.allowedHosts.join(', ')}). Use a configured model server (model.server without url), or ask the operator to add the host to model_url_allowed_hosts.`,
    };
  return undefined;
}

/** The `EVALHUB_MODEL_SERVER_<NAME>` spelling of a model server name. */
export function envName(server: string): string {
  return server.toUpperCase().replace(/[^A-Z0-9]/g, '_');
}

/**
 * Two base URLs name the same endpoint: same scheme, host, port and path (trailing slashes
 * ignored). A configured API key is only ever sent to its own configured base URL.
 */
export function sameBaseUrl(a: string, b: string): boolean {
  try {
    const x = new URL(a);
    const y = new URL(b);
    const path = (u: URL): string => u.pathname.replace(/\/+$/, '');
    return x.protocol === y.protocol && x.host.toLowerCase() === y.host.toLowerCase() && path(x) === path(y);
  } catch {
    return false;
  }
}
