import type { ModelServerConfig } from '../config/config.js';
import { ValidationError } from '../errors.js';
import type { ModelSpec, ResolvedModel } from '../types.js';
import { envName, modelUrlProblem, ModelUrlPolicy, sameBaseUrl } from './model-url-policy.js';

export interface ModelResolution {
  model: ResolvedModel;
  /** Sent to the model server by providers; never stored or tracked. */
  apiKey?: string;
}

/**
 * `model.url` wins; otherwise `model.server` names a configured model server
 * (config `model_servers`, `EVALHUB_MODEL_SERVERS`, `EVALHUB_MODEL_SERVER_<NAME>`).
 * A configured API key goes only to its own configured base URL: a request that names another URL
 * gets no key, whatever its `model.server` says.
 */
export class ModelResolver {
  constructor(
    private readonly servers: Readonly<Record<string, ModelServerConfig>>,
    private readonly policy: ModelUrlPolicy = new ModelUrlPolicy(),
  ) {}

  configured(): string[] {
    return Object.keys(this.servers).sort();
  }

  /** The API key for a resolved model, at run time: only when its URL is the configured server's. */
  apiKeyFor(model: ResolvedModel): string | undefined {
    const server = this.servers[model.server];
    if (!server?.apiKey || !sameBaseUrl(server.url, model.url)) return undefined;
    return server.apiKey;
  }

  resolve(spec: ModelSpec): ModelResolution {
    const configuration = { ...(spec.configuration ?? {}) };
    if (spec.url) {
      const problem = modelUrlProblem(spec.url, this.policy, spec.server);
      if (problem) throw new ValidationError(`model.url cannot be used: ${problem.message}`, [problem]);
      const model = {
        server: spec.server,
        name: spec.name,
        url: spec.url.replace(/\/+$/, ''),
        configuration,
      };
      const apiKey = this.apiKeyFor(model);
      return { model, ...(apiKey ? { apiKey } : {}) };
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
            }). Pass 'model.url' with the server's OpenAI-compatible base URL, or configure it with EVALHUB_MODEL_SERVER_${envName(spec.server)}=http://host:port/v1.`,
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
