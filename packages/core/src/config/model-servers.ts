import { ConfigError } from '../errors.js';
import { redactUrl } from '../redaction.js';
import { envName } from '../service/model-url-policy.js';

export interface ModelServerConfig {
  url: string;
  /** API key sent to the model server; never logged, never tracked. */
  apiKey?: string;
  /** Most requests in flight to this server at once (the model gateway's cap; engines are started with it). */
  maxConcurrency?: number;
}

/** `EVALHUB_MODEL_SERVERS`: JSON object, or `name=url,name=url`. */
function parseModelServersEnv(value: string): Record<string, string> {
  const trimmed = value.trim();
  if (trimmed.startsWith('{')) {
    try {
      return JSON.parse(trimmed) as Record<string, string>;
    } catch (err) {
      throw new ConfigError(`EVALHUB_MODEL_SERVERS is not valid JSON: ${(err as Error).message}`);
    }
  }
  const out: Record<string, string> = {};
  for (const part of trimmed.split(',')) {
    if (!part.trim()) continue;
    const eq = part.indexOf('=');
    if (eq <= 0)
      throw new ConfigError(`EVALHUB_MODEL_SERVERS entry '${part}' must look like name=http://host:port/v1.`);
    out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return out;
}

const SERVER_VARIABLE = /^EVALHUB_MODEL_SERVER_([A-Z0-9_]+?)(_API_KEY|_MAX_CONCURRENCY)?$/;

/**
 * The configured model servers: the file's `model_servers`, then `EVALHUB_MODEL_SERVERS`, then
 * `EVALHUB_MODEL_SERVER_<NAME>` with its `_API_KEY` and `_MAX_CONCURRENCY` (applied after every URL,
 * whatever the order of the variables).
 */
export function readModelServers(
  fromFile: unknown,
  env: NodeJS.ProcessEnv,
): Record<string, ModelServerConfig> {
  const modelServers: Record<string, ModelServerConfig> = {};
  for (const [name, v] of Object.entries((fromFile ?? {}) as Record<string, unknown>)) {
    if (typeof v === 'string') modelServers[name] = { url: v };
    else {
      const o = v as { url: string; api_key_env?: string; max_concurrency?: number };
      const apiKey = o.api_key_env ? env[o.api_key_env] : undefined;
      modelServers[name] = {
        url: o.url,
        ...(apiKey ? { apiKey } : {}),
        ...(o.max_concurrency !== undefined ? { maxConcurrency: o.max_concurrency } : {}),
      };
    }
  }
  if (env.EVALHUB_MODEL_SERVERS) {
    for (const [name, url] of Object.entries(parseModelServersEnv(env.EVALHUB_MODEL_SERVERS)))
      modelServers[name] = { url };
  }
  const variables = Object.entries(env)
    .map(([key, value]) => ({ key, value, m: SERVER_VARIABLE.exec(key) }))
    .filter((v) => v.m && v.value && v.key !== 'EVALHUB_MODEL_SERVERS')
    .sort((a, b) => Number(a.m![2] !== undefined) - Number(b.m![2] !== undefined));
  for (const { key, value, m } of variables) {
    const name = m![1]!.toLowerCase().replace(/_/g, '-');
    const existing =
      Object.keys(modelServers).find((n) => n.toLowerCase().replace(/_/g, '-') === name) ?? name;
    const server = modelServers[existing];
    if (m![2] === '_API_KEY') {
      if (server) server.apiKey = value!;
    } else if (m![2] === '_MAX_CONCURRENCY') {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1)
        throw new ConfigError(`${key}='${value}' must be a whole number of at least 1.`);
      if (server) server.maxConcurrency = n;
    } else modelServers[existing] = { ...server, url: value! };
  }
  for (const [name, s] of Object.entries(modelServers)) {
    if (!/^https?:\/\//.test(s.url))
      throw new ConfigError(
        `Model server '${name}' has URL '${redactUrl(s.url)}': it must start with http:// or https://.`,
      );
    const u = new URL(s.url);
    if (u.username || u.password || u.search)
      throw new ConfigError(
        `Model server '${name}' has credentials or a query in its URL (${redactUrl(s.url)}): URLs are stored with every evaluation, so give the key as EVALHUB_MODEL_SERVER_${envName(name)}_API_KEY (or api_key_env in the config file) instead.`,
      );
  }
  return modelServers;
}
