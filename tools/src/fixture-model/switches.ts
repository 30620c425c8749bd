/**
 * Behaviour switches of the fixture server, selected per request by a URL prefix
 * (`/_/<switch>[,<switch>…]/v1/…`) or for every request by the server's options / CLI flags.
 */

export interface Switches {
  /** Echo returns logprobs for generated tokens only (prompt logprobs missing). */
  noPromptLogprobs: boolean;
  /** `/v1/completions` answers 404, like a chat-only endpoint. */
  chatOnly: boolean;
  /** Every request answers 500. */
  fail500: boolean;
  /** The first N requests per counter key answer 503 (0 = off). */
  fail503: number;
  /** Distinguishes fail-503 counters; defaults to the whole switch segment. */
  key: string | undefined;
  /** Delay in milliseconds before answering. */
  latencyMs: number;
  /** Never answer; the request stays open until the client gives up. */
  hang: boolean;
  /** Reject requests whose `model` is not the served model name (404, as vLLM). */
  strictModel: boolean;
  /**
   * Continuous-batching capacity: at most this many inference requests in service at once, each for
   * `latencyMs`; the rest wait (0 = off: every request is answered after `latencyMs`).
   */
  capacity: number;
  /** With `capacity`: most requests allowed to wait (`null` = unbounded); beyond it → `overloadStatus`. */
  queueLimit: number | null;
  /** Status of a request refused by a full queue: 429 (default) or 503, with `Retry-After: 0`. */
  overloadStatus: 429 | 503;
}

export const NO_SWITCHES: Readonly<Switches> = Object.freeze({
  noPromptLogprobs: false,
  chatOnly: false,
  fail500: false,
  fail503: 0,
  key: undefined,
  latencyMs: 0,
  hang: false,
  strictModel: false,
  capacity: 0,
  queueLimit: null,
  overloadStatus: 429,
});

export const SWITCH_NAMES = [
  'no-prompt-logprobs',
  'chat-only',
  'fail-500',
  'fail-503',
  'key',
  'latency',
  'hang',
  'strict-model',
  'capacity',
  'queue',
  'overload',
] as const;

export class SwitchError extends Error {}

const nonNegativeInt = (name: string, value: string | undefined, fallback?: number): number => {
  if (value === undefined || value === '') {
    if (fallback !== undefined) return fallback;
    throw new SwitchError(`switch ${name} needs a value, e.g. ${name}=1`);
  }
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new SwitchError(`switch ${name}: not a non-negative integer: ${value}`);
  return n;
};

/**
 * Apply a switch spec such as `latency=50,fail-503=2` on top of `base`. Switches are separated by
 * `,` or `+` (`+` survives comma-separated settings such as lm-eval's `--model_args`).
 */
export function parseSwitches(spec: string, base: Readonly<Switches> = NO_SWITCHES): Switches {
  const out: Switches = { ...base };
  for (const raw of spec.split(/[,+]/)) {
    const item = raw.trim();
    if (item === '') continue;
    const eq = item.indexOf('=');
    const name = eq < 0 ? item : item.slice(0, eq);
    const value = eq < 0 ? undefined : item.slice(eq + 1);
    switch (name) {
      case 'no-prompt-logprobs':
        out.noPromptLogprobs = true;
        break;
      case 'chat-only':
        out.chatOnly = true;
        break;
      case 'fail-500':
        out.fail500 = true;
        break;
      case 'fail-503':
        out.fail503 = nonNegativeInt(name, value, 1);
        break;
      case 'key':
        if (!value) throw new SwitchError('switch key needs a value, e.g. key=my-test');
        out.key = value;
        break;
      case 'latency':
        out.latencyMs = nonNegativeInt(name, value);
        break;
      case 'hang':
        out.hang = true;
        break;
      case 'strict-model':
        out.strictModel = true;
        break;
      case 'capacity':
        out.capacity = nonNegativeInt(name, value);
        break;
      case 'queue':
        out.queueLimit = nonNegativeInt(name, value);
        break;
      case 'overload': {
        const status = nonNegativeInt(name, value);
        if (status !== 429 && status !== 503) throw new SwitchError('switch overload must be 429 or 503');
        out.overloadStatus = status;
        break;
      }
      default:
        throw new SwitchError(`unknown switch: ${name} (known: ${SWITCH_NAMES.join(', ')})`);
    }
  }
  return out;
}

/** Split a request path into its switch segment (if any) and the API path. */
export function splitSwitchPrefix(pathname: string): { segment: string | undefined; path: string } {
  if (!pathname.startsWith('/_/')) return { segment: undefined, path: pathname };
  const rest = pathname.slice(3);
  const slash = rest.indexOf('/');
  const segment = decodeURIComponent(slash < 0 ? rest : rest.slice(0, slash));
  return { segment, path: slash < 0 ? '/' : rest.slice(slash) };
}
