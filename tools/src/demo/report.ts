import type { Evaluation } from '@evalhub/core';

export interface MlflowReadBack {
  runId?: string;
  experimentName?: string;
  status?: string;
  /** Metric key → value as MLflow stores it. */
  metrics: Record<string, number>;
  /** Scores of the evaluation whose MLflow value differs or is missing. */
  mismatches: string[];
  matches: boolean;
}

export interface DemoResult {
  title: string;
  evaluation: Evaluation;
  mlflow: MlflowReadBack;
}

function toNumber(v: number | string): number {
  return typeof v === 'number' ? v : Number(v);
}

/** Reads the evaluation's run back from MLflow's REST API and compares every score. */
export async function readBackRun(trackingUri: string, e: Evaluation): Promise<MlflowReadBack> {
  const runId = e.tracking.run_id;
  if (!runId) return { metrics: {}, mismatches: ['no MLflow run recorded'], matches: false };
  const res = await fetch(`${trackingUri}/api/2.0/mlflow/runs/get?run_id=${encodeURIComponent(runId)}`);
  if (!res.ok) return { runId, metrics: {}, mismatches: [`MLflow answered ${res.status}`], matches: false };
  const body = (await res.json()) as {
    run: { info: { status: string }; data: { metrics?: { key: string; value: number | string }[] } };
  };
  const metrics: Record<string, number> = {};
  for (const m of body.run.data.metrics ?? []) metrics[m.key] = toNumber(m.value);
  const mismatches: string[] = [];
  for (const b of e.benchmarks) {
    for (const [name, value] of Object.entries(b.results?.metrics ?? {})) {
      const key = `${b.benchmark_id}.${name}`;
      const expected = toNumber(value);
      const actual = metrics[key];
      const same =
        actual !== undefined && (actual === expected || (Number.isNaN(actual) && Number.isNaN(expected)));
      if (!same) mismatches.push(`${key}: hub ${expected}, MLflow ${actual ?? 'missing'}`);
    }
  }
  return {
    runId,
    ...(e.tracking.experiment_name ? { experimentName: e.tracking.experiment_name } : {}),
    status: body.run.info.status,
    metrics,
    mismatches,
    matches: mismatches.length === 0,
  };
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

function fmt(v: number | string | undefined): string {
  if (v === undefined) return '—';
  const n = toNumber(v);
  return Number.isInteger(n) ? String(n) : n.toFixed(4);
}

/** A results table for one evaluation, with its MLflow links. */
export function renderEvaluation(title: string, e: Evaluation, mlflow: MlflowReadBack): string[] {
  const rows = e.benchmarks.map((b) => {
    const primary = b.results?.primary_metric ?? Object.keys(b.results?.metrics ?? {})[0];
    const metric = primary ? `${b.benchmark_id}.${primary}` : '—';
    const score = primary ? fmt(b.results?.metrics[primary]) : '—';
    const inMlflow = primary ? fmt(mlflow.metrics[`${b.benchmark_id}.${primary}`]) : '—';
    return [
      b.benchmark_id,
      b.provider_id,
      b.status,
      metric,
      score,
      inMlflow,
      String(b.results?.samples ?? '—'),
      b.results?.duration_seconds !== undefined ? `${b.results.duration_seconds.toFixed(1)} s` : '—',
    ];
  });
  const header = ['benchmark', 'provider', 'status', 'metric', 'score', 'in MLflow', 'samples', 'time'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `  ${cells.map((c, i) => pad(c, widths[i]!)).join('  ')}`;
  const out = [
    '',
    `  ${title} — ${e.status} (evaluation ${e.id})`,
    line(header),
    line(widths.map((w) => '─'.repeat(w))),
    ...rows.map(line),
  ];
  for (const b of e.benchmarks) if (b.error) out.push(`  ${b.benchmark_id} failed: ${b.error.message}`);
  out.push(
    `  MLflow experiment: ${e.tracking.experiment_name ?? '—'}  ${e.tracking.links?.experiment ?? ''}`,
  );
  out.push(`  MLflow run (${mlflow.status ?? e.tracking.state}): ${e.tracking.links?.run ?? '—'}`);
  if (!mlflow.matches) out.push(`  MISMATCH with MLflow: ${mlflow.mismatches.join('; ')}`);
  return out;
}
