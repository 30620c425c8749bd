/** Which headers the gateway passes between an engine and a model server. */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

/**
 * Marks an engine's probe of the server (lm-eval's preflight): forwarded like any request (slot,
 * retries, cache) but left out of the benchmark's performance data, whose request phase would
 * otherwise start before the engine has even loaded. Passed on to the server, which may count
 * probes apart too (the fixture model server does).
 */
export const PROBE_HEADER = 'x-evalhub-probe';

/** Hop-by-hop headers (RFC 9110 §7.6.1) and those the gateway sets itself. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
]);

/**
 * Request headers for the model server: the engine's, without hop-by-hop headers, without any
 * credential the engine sent (the gateway adds the configured key, and only for its own server)
 * and without compression (answers are read for usage and cached as sent).
 */
export function upstreamRequestHeaders(
  incoming: IncomingHttpHeaders,
  apiKey: string | undefined,
  bodyLength: number,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined || HOP_BY_HOP.has(name)) continue;
    if (name === 'authorization' || name === 'api-key' || name === 'x-api-key' || name === 'accept-encoding')
      continue;
    out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  if (apiKey) out['authorization'] = `Bearer ${apiKey}`;
  out['content-length'] = String(bodyLength);
  return out;
}

/** Answer headers for the engine: the server's, without hop-by-hop headers. */
export function downstreamResponseHeaders(
  upstream: IncomingHttpHeaders,
  keepLength: boolean,
): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(upstream)) {
    if (value === undefined) continue;
    if (HOP_BY_HOP.has(name) && !(keepLength && name === 'content-length')) continue;
    out[name] = value;
  }
  return out;
}
