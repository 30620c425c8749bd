/**
 * The Hugging Face side of an lm-eval run: which of the hub's own environment variables reach the
 * child, whether it runs offline, where its dataset cache is, and the token (environment only).
 * Offline is the operator's choice, not a constant: `offline: true | false | 'auto'` (auto = whatever
 * `HF_HUB_OFFLINE`/`HF_DATASETS_OFFLINE` say in the hub's environment, else online).
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export type OfflineSetting = boolean | 'auto';

/** Variables of the hub's environment passed to lm-eval as they are (the runtime passes none of them). */
export const HF_PASS_THROUGH = [
  'HF_HOME',
  'HF_DATASETS_CACHE',
  'HF_HUB_CACHE',
  'HF_ENDPOINT',
  'HF_HUB_OFFLINE',
  'HF_DATASETS_OFFLINE',
  'TRANSFORMERS_OFFLINE',
  'HF_HUB_ETAG_TIMEOUT',
  'HF_HUB_DOWNLOAD_TIMEOUT',
  'XDG_CACHE_HOME',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'http_proxy',
  'https_proxy',
  'no_proxy',
  'REQUESTS_CA_BUNDLE',
  'SSL_CERT_FILE',
] as const;

export interface HfOptions {
  /** true: never reach the hub; false: always may; 'auto' (default): the hub's environment decides. */
  offline?: OfflineSetting;
  /** `HF_HOME` for lm-eval (its `datasets/` and `hub/` caches live there); default: the environment's. */
  hfHome?: string;
  /** File holding a Hugging Face token (a mounted secret); default: `HF_TOKEN` of the environment. */
  tokenFile?: string;
}

export interface HfEnvironment {
  /** Variables for the child (the token included: environment only, never argv or logs). */
  env: Record<string, string>;
  /** The child will not contact the hub. */
  offline: boolean;
  /** Where `datasets` keeps prepared datasets (for messages). */
  datasetsCache: string;
  /** The hub it would download from. */
  endpoint: string;
  /** Where the token came from, if any (never the token itself). */
  token?: 'environment' | 'file';
}

const truthy = (value: string | undefined): boolean =>
  value !== undefined && ['1', 'true', 'yes', 'on'].includes(value.trim().toLowerCase());

/** Reads a token file; throws a message naming the file (not its content) when it cannot. */
function readToken(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(
      `Cannot read the Hugging Face token file ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'}).`,
    );
  }
  const token = text.trim();
  if (token.length === 0) throw new Error(`The Hugging Face token file ${path} is empty.`);
  return token;
}

export function huggingFaceEnv(options: HfOptions, hubEnv: NodeJS.ProcessEnv = process.env): HfEnvironment {
  const env: Record<string, string> = {};
  for (const key of HF_PASS_THROUGH) {
    const value = hubEnv[key];
    if (value !== undefined && value !== '') env[key] = value;
  }
  if (options.hfHome !== undefined) env.HF_HOME = options.hfHome;
  const setting = options.offline ?? 'auto';
  if (setting !== 'auto') {
    const flag = setting ? '1' : '0';
    env.HF_HUB_OFFLINE = flag;
    env.HF_DATASETS_OFFLINE = flag;
    env.TRANSFORMERS_OFFLINE = flag;
  }
  const offline = truthy(env.HF_HUB_OFFLINE) || truthy(env.HF_DATASETS_OFFLINE);

  let token: HfEnvironment['token'];
  if (options.tokenFile !== undefined) {
    env.HF_TOKEN = readToken(options.tokenFile);
    token = 'file';
  } else {
    const fromEnv = hubEnv.HF_TOKEN || hubEnv.HUGGING_FACE_HUB_TOKEN;
    if (fromEnv) {
      env.HF_TOKEN = fromEnv;
      token = 'environment';
    }
  }

  const cacheRoot = env.XDG_CACHE_HOME ?? join(hubEnv.HOME ?? homedir(), '.cache');
  const hfHome = env.HF_HOME ?? join(cacheRoot, 'huggingface');
  return {
    env,
    offline,
    datasetsCache: env.HF_DATASETS_CACHE ?? join(hfHome, 'datasets'),
    endpoint: env.HF_ENDPOINT ?? 'https://huggingface.co',
    ...(token ? { token } : {}),
  };
}
