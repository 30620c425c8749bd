import type { ModelServerConfig } from '../config/config.js';
import { ValidationError } from '../errors.js';
import type { ModelSpec, ResolvedModel } from '../types.js';

export interface ModelResolution {
  model: ResolvedModel;
  /** Sent to the model server by providers; never stored or tracked. */
  apiKey?: string;
}

/** Strips credentials, query and fragment from a URL so it is safe to store, log and track. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    u.search = '';
    u.hash = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return '[invalid url]';
  }
}

/**
 * `model.url` wins; otherwise `model.server` names a configured model server
 * (config `model_servers`, `EVALHUB_MODEL_SERVERS`, `EVALHUB_MODEL_SERVER_<NAME>`).
 */
export class ModelResolver {
  constructor(private readonly servers: Readonly<Record<string, ModelServerConfig>>) {}

  configured(): string[] {
    return Object.keys(this.servers).sort();
  }

  /** The API key for a resolved model (by server name), at run time. */
  apiKeyFor(model: ResolvedModel): string | undefined {
    return this.servers[model.server]?.apiKey;
  }

  resolve(spec: ModelSpec): ModelResolution {
    const configuration = { ...(spec.configuration ?? {}) };
    if (spec.url) {
      return {
        model: { server: spec.server, name: spec.name, url: spec.url.replace(/\/+$/, ''), configuration },
      };
    }
    const server = this.servers[spec.server];
    if (!server) {
      const known = this.configured();
      throw new ValidationError(
        `Model server '${spec.server}' is not configured, so the model cannot be reached.`,
        [
          {
            pointer: '/model/server',
            message: `'${spec.server}' is not a configured model server (${
              known.length ? `configured: ${known.join(', ')}` : 'none is configured'
            }). Pass 'model.url' with the server's OpenAI-compatible base URL, or configure it with EVALHUB_MODEL_SERVER_${spec.server
              .toUpperCase()
              .replace(/[^A-Z0-9]/g, '_')}=http://host:port/v1.`,
          },
        ],
        { code: 'model_unresolvable' },
      );
    }
    return {
      model: { server: spec.server, name: spec.name, url: server.url.replace(/\/+$/, ''), configuration },
      ...(server.apiKey ? { apiKey: server.apiKey } : {}),
    };
  }
}
