import type { ValidationIssue } from '@evalhub/core';
import { ALL_COLUMNS, benchmarkMetrics, metricInfo, METRICS } from './catalog.js';
import type { Column } from './catalog.js';

export type JsonMode = 'json_object' | 'md_json';

/** A benchmark's `config`, checked. */
export interface RagasBenchmarkConfig {
  datasetPath: string;
  /** Canonical column → dataset column. */
  columnMap: Partial<Record<Column, string>>;
  limit?: number;
  metrics: readonly string[];
  judge?: { url?: string; model?: string };
  embeddings?: { url?: string; model?: string };
  jsonMode?: JsonMode;
  concurrency?: number;
  timeoutSeconds?: number;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isHttpUrl = (v: string): boolean => /^https?:\/\/[^\s]+$/.test(v);

function endpoint(
  value: unknown,
  pointer: string,
  issues: ValidationIssue[],
): { url?: string; model?: string } | undefined {
  if (value === undefined) return undefined;
  if (!isObject(value)) {
    issues.push({ pointer, message: 'must be an object {url, model}' });
    return undefined;
  }
  const out: { url?: string; model?: string } = {};
  if (value.url !== undefined) {
    if (typeof value.url !== 'string' || !isHttpUrl(value.url))
      issues.push({ pointer: `${pointer}/url`, message: 'must be an http(s) URL' });
    else out.url = value.url;
  }
  if (value.model !== undefined) {
    if (typeof value.model !== 'string' || value.model.length === 0)
      issues.push({ pointer: `${pointer}/model`, message: 'must be a non-empty string' });
    else out.model = value.model;
  }
  return out;
}

/** Checks a benchmark's config; returns it with the issues found (config is usable only when none). */
export function parseBenchmarkConfig(
  benchmarkId: string,
  config: Record<string, unknown>,
): { config?: RagasBenchmarkConfig; issues: ValidationIssue[] } {
  const issues: ValidationIssue[] = [];
  let metrics = benchmarkMetrics(benchmarkId);
  if (metrics === undefined) {
    issues.push({
      pointer: '/',
      message: `Unknown RAGAS benchmark '${benchmarkId}'. Known metrics: ${METRICS.map((m) => m.id).join(', ')}; suites: rag_default, rag_no_llm.`,
    });
  }
  if (config.metrics !== undefined) {
    if (
      !Array.isArray(config.metrics) ||
      config.metrics.length === 0 ||
      !config.metrics.every((m) => typeof m === 'string')
    ) {
      issues.push({ pointer: '/metrics', message: 'must be a non-empty list of metric names' });
    } else {
      config.metrics.forEach((m: string, i) => {
        if (!metricInfo(m))
          issues.push({
            pointer: `/metrics/${i}`,
            message: `unknown metric '${m}'; known: ${METRICS.map((x) => x.id).join(', ')}`,
          });
      });
      metrics = [...new Set(config.metrics as string[])];
    }
  }

  const datasetPath = config.dataset_path;
  if (typeof datasetPath !== 'string' || datasetPath.trim() === '') {
    issues.push({
      pointer: '/dataset_path',
      message: 'is required: a JSONL file (or JSON list) under the data root',
    });
  }

  const columnMap: Partial<Record<Column, string>> = {};
  if (config.column_map !== undefined) {
    if (!isObject(config.column_map))
      issues.push({
        pointer: '/column_map',
        message: 'must be an object {canonical column: dataset column}',
      });
    else {
      for (const [key, value] of Object.entries(config.column_map)) {
        if (!(ALL_COLUMNS as readonly string[]).includes(key)) {
          issues.push({
            pointer: `/column_map/${key}`,
            message: `'${key}' is not a RAGAS column (${ALL_COLUMNS.join(', ')})`,
          });
        } else if (typeof value !== 'string' || value === '') {
          issues.push({ pointer: `/column_map/${key}`, message: 'must name a dataset column' });
        } else columnMap[key as Column] = value;
      }
    }
  }

  const positiveInt = (key: string): number | undefined => {
    const v = config[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
      issues.push({ pointer: `/${key}`, message: 'must be a positive integer' });
      return undefined;
    }
    return v;
  };
  const limit = positiveInt('limit');
  const concurrency = positiveInt('concurrency');

  let timeoutSeconds: number | undefined;
  if (config.timeout_seconds !== undefined) {
    if (typeof config.timeout_seconds !== 'number' || !(config.timeout_seconds > 0))
      issues.push({ pointer: '/timeout_seconds', message: 'must be a positive number' });
    else timeoutSeconds = config.timeout_seconds;
  }
  let jsonMode: JsonMode | undefined;
  if (config.json_mode !== undefined) {
    if (config.json_mode !== 'json_object' && config.json_mode !== 'md_json')
      issues.push({ pointer: '/json_mode', message: "must be 'json_object' or 'md_json'" });
    else jsonMode = config.json_mode;
  }
  const judge = endpoint(config.judge, '/judge', issues);
  const embeddings = endpoint(config.embeddings, '/embeddings', issues);

  if (issues.length > 0 || metrics === undefined || typeof datasetPath !== 'string') return { issues };
  return {
    issues,
    config: {
      datasetPath,
      columnMap,
      metrics,
      ...(limit !== undefined ? { limit } : {}),
      ...(judge ? { judge } : {}),
      ...(embeddings ? { embeddings } : {}),
      ...(jsonMode ? { jsonMode } : {}),
      ...(concurrency !== undefined ? { concurrency } : {}),
      ...(timeoutSeconds !== undefined ? { timeoutSeconds } : {}),
    },
  };
}

/** An OpenAI-compatible base URL ending in `/v1` (or another `/vN`), without a trailing slash. */
export function openAiBaseUrl(url: string): string {
  const trimmed = url.replace(/\/+$/, '');
  return /\/v\d+$/.test(trimmed) ? trimmed : `${trimmed}/v1`;
}
