import { compileSchema, toErrorDetails } from '@evalhub/core';
import type { ValidationIssue } from '@evalhub/core';
import { benchmarkMetrics, CONFIG_SCHEMA, METRICS } from './catalog.js';
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

let validator: ReturnType<typeof compileSchema> | undefined;

/**
 * Checks a benchmark's config against the published schema (`CONFIG_SCHEMA`, the only statement of
 * its fields and bounds) and resolves the metrics; the config is usable only when there is no issue.
 */
export function parseBenchmarkConfig(
  benchmarkId: string,
  config: Record<string, unknown>,
): { config?: RagasBenchmarkConfig; issues: ValidationIssue[] } {
  const issues: ValidationIssue[] = [];
  const suiteMetrics = benchmarkMetrics(benchmarkId);
  if (suiteMetrics === undefined) {
    issues.push({
      pointer: '/',
      message: `Unknown RAGAS benchmark '${benchmarkId}'. Known metrics: ${METRICS.map((m) => m.id).join(', ')}; suites: rag_default, rag_no_llm.`,
    });
  }
  validator ??= compileSchema(CONFIG_SCHEMA);
  const given: unknown = config.metrics;
  if (!validator(config)) {
    const listed: unknown[] = Array.isArray(given) ? given : [];
    for (const d of toErrorDetails(validator.errors)) {
      // the schema's enum says which names are allowed; say it in RAGAS's words
      const index = /^\/metrics\/(\d+)$/.exec(d.pointer)?.[1];
      const name = index !== undefined ? listed[Number(index)] : undefined;
      issues.push({
        pointer: d.pointer,
        message:
          typeof name === 'string'
            ? `unknown metric '${name}'; known: ${METRICS.map((m) => m.id).join(', ')}`
            : d.message,
      });
    }
  }
  if (issues.length > 0 || suiteMetrics === undefined) return { issues };

  const c = config as unknown as RawConfig;
  return {
    issues,
    config: {
      datasetPath: c.dataset_path,
      columnMap: { ...(c.column_map ?? {}) },
      metrics: c.metrics ? [...new Set(c.metrics)] : suiteMetrics,
      ...(c.limit !== undefined ? { limit: c.limit } : {}),
      ...(c.judge ? { judge: { ...c.judge } } : {}),
      ...(c.embeddings ? { embeddings: { ...c.embeddings } } : {}),
      ...(c.json_mode ? { jsonMode: c.json_mode } : {}),
      ...(c.concurrency !== undefined ? { concurrency: c.concurrency } : {}),
      ...(c.timeout_seconds !== undefined ? { timeoutSeconds: c.timeout_seconds } : {}),
    },
  };
}

/** A config that passed `CONFIG_SCHEMA`. */
interface RawConfig {
  dataset_path: string;
  column_map?: Partial<Record<Column, string>>;
  limit?: number;
  metrics?: string[];
  judge?: { url?: string; model?: string };
  embeddings?: { url?: string; model?: string };
  json_mode?: JsonMode;
  concurrency?: number;
  timeout_seconds?: number;
}

/** An OpenAI-compatible base URL ending in `/v1` (or another `/vN`), without a trailing slash. */
export function openAiBaseUrl(url: string): string {
  const trimmed = url.replace(/\/+$/, '');
  return /\/v\d+$/.test(trimmed) ? trimmed : `${trimmed}/v1`;
}
