import { createHash } from 'node:crypto';

/** MLflow's limits (`mlflow/utils/validation.py`). */
export const MLFLOW_LIMITS = Object.freeze({
  maxKeyLength: 250,
  maxParamValueLength: 6000,
  /** Run tags: 8000 on MLflow 3.x; older 2.x servers allowed 5000. */
  maxRunTagValueLength: 8000,
  /** Experiment tags are never truncated by the server: a longer value is a 400. */
  maxExperimentTagValueLength: 5000,
  maxExperimentNameLength: 500,
  maxMetricsPerBatch: 1000,
  maxParamsPerBatch: 100,
  maxTagsPerBatch: 100,
  maxEntitiesPerBatch: 1000,
  /** Keep each request well below the documented 1 MB so proxies never refuse it. */
  maxBatchBytes: 900_000,
  maxSearchResults: 50_000,
});

// The server's rule on Linux is `^[/\w.\- :]*$` with Unicode `\w`. We accept a conservative subset
// (letters, decimal digits, `_ . - /` and space) and also drop `:`, which Windows servers reject.
const DISALLOWED = /[^\p{L}\p{Nd}_./\- ]/gu;
const SERVER_RULE = /^[/\p{L}\p{Nd}_.\- :]*$/u;

/**
 * Whether MLflow accepts `key` as a metric/param/tag key: charset, length, and the path rules
 * (`posixpath.normpath(key) == key`, not `.`, no leading `..` or `/`).
 */
export function isValidMlflowKey(key: string): boolean {
  if (key.length === 0 || key.length > MLFLOW_LIMITS.maxKeyLength) return false;
  if (!SERVER_RULE.test(key)) return false;
  if (key === '.' || key.startsWith('..') || key.startsWith('/')) return false;
  return normpath(key) === key;
}

/** `posixpath.normpath` for relative paths (what MLflow compares keys against). */
function normpath(path: string): string {
  const out: string[] = [];
  for (const seg of path.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..' && out.length > 0 && out[out.length - 1] !== '..') out.pop();
    else out.push(seg);
  }
  return out.join('/') || '.';
}

/**
 * Maps any string to a key MLflow accepts, deterministically (the same input always gives the same
 * key): characters outside letters, digits, `_ . - /` and space become `_` (so lm-eval's
 * `acc,none` becomes `acc_none`), empty and `.`/`..` path segments are dropped or replaced,
 * leading/trailing `/` and `.` are trimmed, and keys over 250 chars are cut and suffixed with a
 * short hash of the original so distinct long keys stay distinct. Valid keys are returned as is.
 */
export function sanitizeKey(key: string): string {
  if (isValidMlflowKey(key) && !key.includes(':')) return key;
  let k = key.replace(DISALLOWED, '_');
  k = k
    .split('/')
    .filter((seg) => seg !== '' && seg !== '.')
    .map((seg) => (seg === '..' ? '__' : seg))
    .join('/');
  k = k.replace(/^[./]+/, '').replace(/[./]+$/, '');
  if (k.length > MLFLOW_LIMITS.maxKeyLength) {
    const hash = createHash('sha256').update(key).digest('hex').slice(0, 8);
    k = `${k.slice(0, MLFLOW_LIMITS.maxKeyLength - 9).replace(/[./]+$/, '')}_${hash}`;
  }
  if (k === '') k = '_';
  return k;
}

/** Result of fitting a value into one of MLflow's length limits. */
export interface FittedValue {
  value: string;
  truncated: boolean;
  originalLength: number;
}

/**
 * Truncates `value` to `max` characters with a visible marker, e.g.
 * `…[truncated 12345 chars]`. The whole result, marker included, is at most `max` chars, so the
 * server never silently cuts it further and readers always see that text is missing.
 */
export function fitValue(value: string, max: number): FittedValue {
  if (value.length <= max) return { value, truncated: false, originalLength: value.length };
  const marker = `…[truncated ${value.length} chars]`;
  let head = value.slice(0, Math.max(0, max - marker.length));
  // Do not leave half of a surrogate pair at the cut.
  const last = head.charCodeAt(head.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) head = head.slice(0, -1);
  return { value: head + marker, truncated: true, originalLength: value.length };
}
