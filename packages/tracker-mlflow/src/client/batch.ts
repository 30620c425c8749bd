import { encodeDouble, type WireDouble } from './codec.js';
import { MLFLOW_LIMITS, fitValue, isValidMlflowKey, sanitizeKey } from './keys.js';
import type { KeyValue, LogBatchInput, LogBatchResult } from './types.js';

export interface WireMetric {
  key: string;
  value: WireDouble;
  timestamp: number;
  step: number;
}

export interface WireBatch {
  metrics: WireMetric[];
  params: KeyValue[];
  tags: KeyValue[];
}

export type KeyPolicy = 'sanitize' | 'reject';

export interface PreparedBatch {
  metrics: WireMetric[];
  params: KeyValue[];
  tags: KeyValue[];
  truncated: string[];
  renamed: Record<string, string>;
}

export class BatchValidationError extends Error {
  override readonly name = 'BatchValidationError';
  constructor(
    message: string,
    readonly key: string,
  ) {
    super(message);
  }
}

/**
 * Normalises a log-batch input: keys checked or sanitised, NaN/±Infinity encoded, timestamps and
 * steps defaulted, long param/tag values truncated with a marker, duplicate params with the same
 * value folded (a duplicate key with a different value is an error, as MLflow would answer 400),
 * duplicate tags resolved last-wins.
 */
export function prepareBatch(
  input: LogBatchInput,
  opts: { keyPolicy?: KeyPolicy; now?: number } = {},
): PreparedBatch {
  const policy = opts.keyPolicy ?? 'sanitize';
  const now = opts.now ?? Date.now();
  const renamed: Record<string, string> = {};
  const truncated: string[] = [];
  const fixKey = (key: string, kind: string): string => {
    if (isValidMlflowKey(key) && !key.includes(':')) return key;
    if (policy === 'reject') {
      throw new BatchValidationError(
        `invalid MLflow ${kind} key ${JSON.stringify(key)}: use letters, digits, '_', '-', '.', ' ', '/' (no empty, './', '../' or '//' segments, at most ${MLFLOW_LIMITS.maxKeyLength} chars)`,
        key,
      );
    }
    const k = sanitizeKey(key);
    renamed[key] = k;
    return k;
  };

  const metrics: WireMetric[] = (input.metrics ?? []).map((m) => {
    if (typeof m.value !== 'number') {
      throw new BatchValidationError(`metric ${JSON.stringify(m.key)} has a non-numeric value`, m.key);
    }
    return {
      key: fixKey(m.key, 'metric'),
      value: encodeDouble(m.value),
      timestamp: Math.trunc(m.timestamp ?? now),
      step: Math.trunc(m.step ?? 0),
    };
  });

  const params = new Map<string, string>();
  for (const p of input.params ?? []) {
    const key = fixKey(p.key, 'param');
    const fitted = fitValue(String(p.value), MLFLOW_LIMITS.maxParamValueLength);
    if (fitted.truncated) truncated.push(key);
    const prev = params.get(key);
    if (prev !== undefined && prev !== fitted.value) {
      throw new BatchValidationError(
        `param ${JSON.stringify(key)} given twice with different values (MLflow params are immutable)`,
        key,
      );
    }
    params.set(key, fitted.value);
  }

  const tags = new Map<string, string>();
  for (const t of input.tags ?? []) {
    const key = fixKey(t.key, 'tag');
    const fitted = fitValue(String(t.value), MLFLOW_LIMITS.maxRunTagValueLength);
    if (fitted.truncated && !truncated.includes(key)) truncated.push(key);
    tags.set(key, fitted.value);
  }

  return {
    metrics,
    params: [...params].map(([key, value]) => ({ key, value })),
    tags: [...tags].map(([key, value]) => ({ key, value })),
    truncated,
    renamed,
  };
}

function bytes(entity: unknown): number {
  return Buffer.byteLength(JSON.stringify(entity), 'utf8') + 1;
}

/**
 * Splits a prepared batch into as few log-batch request bodies as MLflow's limits allow: ≤ 1000
 * metrics, ≤ 100 params, ≤ 100 tags, ≤ 1000 entities and < ~900 kB per request. Each request is
 * filled with params first, then tags, then metrics, so params land in the earliest requests; the
 * order inside each kind is kept. An empty input yields no request.
 */
export function chunkBatch(batch: WireBatch, limits = MLFLOW_LIMITS): WireBatch[] {
  const chunks: WireBatch[] = [];
  const next = { params: 0, tags: 0, metrics: 0 };
  const remaining = () =>
    next.params < batch.params.length || next.tags < batch.tags.length || next.metrics < batch.metrics.length;
  while (remaining()) {
    const cur: WireBatch = { metrics: [], params: [], tags: [] };
    let size = 0;
    let count = 0;
    const fill = <K extends keyof WireBatch>(kind: K, kindLimit: number) => {
      const src = batch[kind] as WireBatch[K][number][];
      const dst = cur[kind] as WireBatch[K][number][];
      while (next[kind] < src.length && dst.length < kindLimit && count < limits.maxEntitiesPerBatch) {
        const entity = src[next[kind]]!;
        const b = bytes(entity);
        if (count > 0 && size + b > limits.maxBatchBytes) return;
        dst.push(entity);
        size += b;
        count++;
        next[kind]++;
      }
    };
    fill('params', limits.maxParamsPerBatch);
    fill('tags', limits.maxTagsPerBatch);
    fill('metrics', limits.maxMetricsPerBatch);
    chunks.push(cur);
  }
  return chunks;
}

export function emptyResult(): LogBatchResult {
  return { requests: 0, truncated: [], renamed: {} };
}
