/**
 * What an evaluation looks like in MLflow: experiment name, tags and description, run name, tags,
 * description and status. Pure functions of the evaluation, so the layout is documented and tested
 * in one place (README "What lands where").
 */
import { isSecretKey, type Evaluation, type EvaluationStatus } from '@evalhub/core';
import { MLFLOW_LIMITS, fitValue, sanitizeKey } from '../client/keys.js';
import type { KeyValue, RunStatus } from '../client/types.js';

/** MLflow's description tag (experiments and runs), rendered as markdown by the UI. */
export const NOTE_TAG = 'mlflow.note.content';
/** MLflow 3's experiment-kind tag: this value opens the experiment on the runs view, not GenAI. */
export const EXPERIMENT_KIND_TAG = 'mlflow.experimentKind';
export const EXPERIMENT_KIND = 'custom_model_development';

const MAX_LISTED = 50;

/** `acme/llama-3.1-8b:v1` → `acme-llama-3.1-8b-v1` (letters, digits, `_ . -` only). */
export function slug(value: string): string {
  const s = value
    .replace(/[^A-Za-z0-9_.-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '');
  return s || 'unnamed';
}

/**
 * The experiment's name: `{prefix}_{experiment.name}`; without `experiment`, `{prefix}_{model}`
 * where model is the model name with every run of characters other than letters, digits, `_ . -`
 * replaced by `-` (`meta-llama/llama-3.1-8b` → `eval-hub_meta-llama-llama-3.1-8b`), so all
 * untitled evaluations of one model land together. An empty prefix drops the `_`.
 */
export function experimentName(prefix: string, e: Evaluation): string {
  const name = e.experiment?.name ?? slug(e.model.name);
  const full = prefix ? `${prefix}_${name}` : name;
  return full.slice(0, MLFLOW_LIMITS.maxExperimentNameLength);
}

function listBenchmarks(e: Evaluation, withProvider: boolean): string {
  const items = e.benchmarks
    .slice(0, MAX_LISTED)
    .map((b) => (withProvider ? `\`${b.benchmark_id}\` (${b.provider_id})` : `\`${b.benchmark_id}\``));
  const more = e.benchmarks.length > MAX_LISTED ? ` and ${e.benchmarks.length - MAX_LISTED} more` : '';
  return items.join(', ') + more;
}

function benchmarkCount(n: number): string {
  return `${n} benchmark${n === 1 ? '' : 's'}`;
}

/** Auto-generated experiment description (markdown): purpose, the latest evaluation's model and benchmarks. */
export function experimentDescription(e: Evaluation): string {
  const title = e.experiment
    ? `Eval Hub experiment **${e.experiment.name}**`
    : `Eval Hub evaluations of model \`${e.model.name}\``;
  const lines = [
    `${title}: one run per evaluation request.`,
    '',
    `Latest evaluation: model \`${e.model.name}\` (server \`${e.model.server}\`) on ${benchmarkCount(e.benchmarks.length)}` +
      `${e.collection_id ? ` of collection \`${e.collection_id}\`` : ''}: ${listBenchmarks(e, true)}.`,
    '',
    'Metrics are named `{benchmark_id}.{metric}`, params `model.*` and `{benchmark_id}.{setting}`; ' +
      "each run's description says what it evaluated and how it ended.",
  ];
  return lines.join('\n');
}

/** Experiment tags: exactly `experiment.tags`, plus MLflow's description and experiment-kind tags. */
export function experimentTags(e: Evaluation): KeyValue[] {
  const tags: KeyValue[] = Object.entries(e.experiment?.tags ?? {}).map(([key, value]) => ({ key, value }));
  tags.push({ key: NOTE_TAG, value: experimentDescription(e) });
  tags.push({ key: EXPERIMENT_KIND_TAG, value: EXPERIMENT_KIND });
  return tags.map((t) => ({
    key: t.key,
    value: fitValue(t.value, MLFLOW_LIMITS.maxExperimentTagValueLength).value,
  }));
}

/** A readable run name: the model's last path segment and the evaluation id's first 8 characters. */
export function runName(e: Evaluation): string {
  const model = e.model.name.split('/').filter(Boolean).pop() ?? e.model.name;
  return `${slug(model)}-${e.id.replace(/-/g, '').slice(0, 8)}`;
}

function urlHost(url: string): string | undefined {
  try {
    return new URL(url).host || undefined;
  } catch {
    return undefined;
  }
}

function flat(prefix: string, value: unknown, out: Record<string, string>): void {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) if (!isSecretKey(k)) flat(`${prefix}.${k}`, v, out);
  } else if (value !== undefined) out[prefix] = typeof value === 'string' ? value : JSON.stringify(value);
}

/** Run tags set at creation (sanitised keys, values cut to MLflow's limit). */
export function runTags(e: Evaluation, hubVersion: string): KeyValue[] {
  const t: Record<string, string> = { ...(e.experiment?.tags ?? {}) };
  t[NOTE_TAG] = runDescription(e);
  t['mlflow.source.name'] = 'eval-hub';
  t['mlflow.source.type'] = 'JOB';
  t['evalhub.source'] = 'eval-hub';
  t['evalhub.evaluation_id'] = e.id;
  t['evalhub.hub_version'] = hubVersion;
  t['evalhub.status'] = e.status;
  if (e.experiment) t['evalhub.experiment'] = e.experiment.name;
  t['evalhub.model.server'] = e.model.server;
  t['evalhub.model.name'] = e.model.name;
  const host = urlHost(e.model.url);
  if (host) t['evalhub.model.url_host'] = host;
  flat('evalhub.model.config', e.model.configuration ?? {}, t);
  t['evalhub.benchmarks'] = e.benchmarks.map((b) => b.benchmark_id).join(',');
  t['evalhub.providers'] = [...new Set(e.benchmarks.map((b) => b.provider_id))].sort().join(',');
  t['evalhub.benchmark_count'] = String(e.benchmarks.length);
  if (e.collection_id) t['evalhub.collection_id'] = e.collection_id;
  return toTags(t);
}

/**
 * Tags set when the run finishes: final status, outcome counts, partial-failure marker, description.
 * `unstoredArtifacts` (names the artifact store refused) are named in the description too.
 */
export function finishTags(e: Evaluation, unstoredArtifacts: string[] = []): Record<string, string> {
  const count = (s: string) => e.benchmarks.filter((b) => b.status === s).length;
  const failed = e.benchmarks.filter((b) => b.status === 'failed');
  const note = unstoredArtifacts.length
    ? `${runDescription(e)}\n\n**Artifacts not stored** — MLflow's artifact store could not take them ` +
      `(see the hub's health check): ${unstoredArtifacts.map((a) => `\`${a}\``).join(', ')}. ` +
      'The hub keeps its own copy in its data folder.'
    : runDescription(e);
  const t: Record<string, string> = {
    [NOTE_TAG]: note,
    'evalhub.status': e.status,
    'evalhub.benchmarks_completed': String(count('completed')),
    'evalhub.benchmarks_failed': String(failed.length),
    'evalhub.benchmarks_cancelled': String(count('cancelled')),
    'evalhub.partial_failure': String(e.status === 'partially_failed'),
  };
  if (failed.length) t['evalhub.failed_benchmarks'] = failed.map((b) => b.benchmark_id).join(',');
  Object.assign(t, verdictTags(e));
  if (e.error) t['evalhub.error'] = `${e.error.code}: ${e.error.message}`;
  if (e.finished_at) t['evalhub.finished_at'] = e.finished_at;
  return t;
}

/** The verdict (when the evaluation has pass criteria): `evalhub.passed`, `evalhub.benchmark.<id>.passed`. */
export function verdictTags(e: Evaluation): Record<string, string> {
  const t: Record<string, string> = {};
  if (e.passed === undefined) return t;
  t['evalhub.passed'] = String(e.passed);
  for (const b of e.benchmarks)
    if (b.passed !== undefined) t[`evalhub.benchmark.${b.benchmark_id}.passed`] = String(b.passed);
  return t;
}

export function toTags(t: Record<string, string>): KeyValue[] {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(t))
    out.set(sanitizeKey(k), fitValue(v, MLFLOW_LIMITS.maxRunTagValueLength).value);
  return [...out].map(([key, value]) => ({ key, value }));
}

/** The MLflow run status an evaluation maps to (undefined while it is still going). */
export function runStatusFor(status: EvaluationStatus): RunStatus | undefined {
  switch (status) {
    case 'completed':
      return 'FINISHED';
    case 'partially_failed':
    case 'failed':
      return 'FAILED';
    case 'cancelled':
      return 'KILLED';
    default:
      return undefined;
  }
}

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\s+/g, ' ').trim();
}

function fmt(v: number | string): string {
  return typeof v === 'number' ? String(v) : v;
}

/**
 * The run description (markdown): the verdict first (when the evaluation has pass criteria), what was evaluated (model, configuration, benchmarks), how it
 * ended, and — on failure — which benchmarks failed and why.
 */
export function runDescription(e: Evaluation): string {
  const lines: string[] = [];
  if (e.verdict_reason) lines.push(`**${e.verdict_reason}**`, '');
  const headline: Record<EvaluationStatus, string> = {
    pending: 'is queued',
    running: 'is running',
    completed: 'completed: every benchmark produced results',
    partially_failed: 'PARTIALLY FAILED: some benchmarks failed, the results of the others are complete',
    failed: 'FAILED: no benchmark produced results',
    cancelled: 'was CANCELLED on request',
  };
  lines.push(`Eval Hub evaluation \`${e.id}\` ${headline[e.status]}.`);
  lines.push('');
  const cfg: Record<string, string> = {};
  flat('', e.model.configuration ?? {}, cfg);
  const cfgText = Object.entries(cfg)
    .map(([k, v]) => `${k.slice(1)}=${v}`)
    .join(', ');
  const host = urlHost(e.model.url);
  lines.push(
    `Model \`${e.model.name}\` on server \`${e.model.server}\`${host ? ` (${host})` : ''}` +
      `${cfgText ? `, configuration: ${cfgText}` : ''}.`,
  );
  lines.push(
    `${e.collection_id ? `Collection \`${e.collection_id}\`, ` : ''}${benchmarkCount(e.benchmarks.length)}: ${listBenchmarks(e, false)}.`,
  );
  lines.push('');
  lines.push('| benchmark | provider | status | result |');
  lines.push('|---|---|---|---|');
  for (const b of e.benchmarks.slice(0, MAX_LISTED)) {
    let result = '';
    if (b.results) {
      const primary = b.results.primary_metric;
      const v = primary !== undefined ? b.results.metrics[primary] : undefined;
      result =
        primary !== undefined && v !== undefined
          ? `${primary} = ${fmt(v)}`
          : `${Object.keys(b.results.metrics).length} metrics`;
    } else if (b.error) result = b.error.message.slice(0, 200);
    lines.push(`| ${cell(b.benchmark_id)} | ${cell(b.provider_id)} | ${b.status} | ${cell(result)} |`);
  }
  if (e.benchmarks.length > MAX_LISTED) lines.push(`| … ${e.benchmarks.length - MAX_LISTED} more | | | |`);
  const failed = e.benchmarks.filter((b) => b.status === 'failed');
  if (failed.length) {
    lines.push('');
    lines.push(`**What failed (${failed.length} of ${e.benchmarks.length}):**`);
    for (const b of failed.slice(0, MAX_LISTED)) {
      lines.push(
        `- \`${b.benchmark_id}\` (${b.provider_id}): ${b.error?.message ?? 'failed'}${b.error?.code ? ` [${b.error.code}]` : ''}`,
      );
    }
    lines.push('');
    lines.push(
      'Per-benchmark execution logs are in the artifacts (`{benchmark_id}/execution.log`), the whole outcome in `summary.json`.',
    );
  } else if (e.status === 'cancelled') {
    lines.push('');
    lines.push(
      `Cancelled on request; ${e.benchmarks.filter((b) => b.status === 'completed').length} benchmark(s) had completed and keep their results.`,
    );
  }
  const nan = nanRows(e);
  if (nan.length) {
    lines.push('');
    lines.push('**Rows that scored NaN** (left out of the means):');
    for (const n of nan) lines.push(`- \`${n.benchmark}\`: ${n.count} row(s) for \`${n.metric}\``);
  }
  return lines.join('\n');
}

/** Non-zero `*_nan_count` metrics (RAGAS and other providers report rows that could not be scored). */
function nanRows(e: Evaluation): { benchmark: string; metric: string; count: number }[] {
  const out: { benchmark: string; metric: string; count: number }[] = [];
  for (const b of e.benchmarks) {
    for (const [k, v] of Object.entries(b.results?.metrics ?? {})) {
      const count = typeof v === 'number' ? v : Number(v);
      if (k.endsWith('_nan_count') && count > 0)
        out.push({ benchmark: b.benchmark_id, metric: k.slice(0, -'_nan_count'.length), count });
    }
  }
  return out;
}
