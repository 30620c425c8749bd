import type { BenchmarkRun, Evaluation } from '@evalhub/core';
import { exitCodeFor, formatMetric } from './cli-format.js';

/**
 * `evalhub run --wait` as a CI gate (docs/gating.md): its exit code and the JUnit XML report.
 * Exit 0 when the evaluation passed (or, without pass criteria, completed), 1 otherwise; 2 (usage,
 * transport) is decided by the caller.
 */
export function gateExitCode(e: Evaluation): 0 | 1 {
  if (e.passed === undefined) return exitCodeFor(e.status) === 0 ? 0 : 1;
  return e.passed ? 0 : 1;
}

/** The verdict line the CLI prints after the scores (undefined without pass criteria). */
export function verdictLine(e: Evaluation): string | undefined {
  if (e.verdict_reason) return `Verdict: ${e.verdict_reason}`;
  return e.score !== undefined ? `Score: ${formatMetric(e.score)} (no pass criteria)` : undefined;
}

// Characters XML 1.0 cannot carry at all; they are dropped.
const NOT_XML =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

export function xmlEscape(text: string): string {
  return text
    .replace(NOT_XML, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** Why a benchmark is not passed, or undefined when it passed (or completed without criteria). */
function failureOf(b: BenchmarkRun): { type: string; message: string } | undefined {
  if (b.passed === true) return undefined;
  if (b.passed === false)
    return {
      type: b.status === 'completed' ? 'criteria_not_met' : `benchmark_${b.status}`,
      message: b.verdict_reason ?? b.status,
    };
  if (b.status === 'completed') return undefined;
  return { type: `benchmark_${b.status}`, message: b.error?.message ?? b.status };
}

/**
 * A JUnit XML report of a finished evaluation: one test suite, one test case per benchmark
 * (classname = provider, name = benchmark id, time = its duration), a `<failure>` with the reason
 * for each benchmark that did not pass, its metrics in `<system-out>`; the verdict, score and MLflow
 * run link as suite properties.
 */
export function junitReport(e: Evaluation): string {
  const cases = e.benchmarks.map((b) => ({ b, failure: failureOf(b) }));
  const failures = cases.filter((c) => c.failure).length;
  const seconds = (iso?: string): number => (iso ? Date.parse(iso) / 1000 : NaN);
  const total = seconds(e.finished_at) - seconds(e.started_at ?? e.created_at);
  const attr = (name: string, value: string | number): string => ` ${name}="${xmlEscape(String(value))}"`;
  const suiteName = e.experiment ? `${e.experiment.name} (${e.id})` : `evaluation ${e.id}`;
  const properties: [string, string | undefined][] = [
    ['evaluation_id', e.id],
    ['status', e.status],
    ['model', e.model.name],
    ['collection_id', e.collection_id],
    ['score', e.score !== undefined ? String(e.score) : undefined],
    ['pass_threshold', e.pass_threshold !== undefined ? String(e.pass_threshold) : undefined],
    ['passed', e.passed !== undefined ? String(e.passed) : undefined],
    ['verdict', e.verdict_reason],
    ['mlflow_run', e.tracking.links?.run],
  ];
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites${attr('name', 'evalhub')}${attr('tests', cases.length)}${attr('failures', failures)}${attr('errors', 0)}>`,
    `  <testsuite${attr('name', suiteName)}${attr('tests', cases.length)}${attr('failures', failures)}${attr('errors', 0)}${attr('skipped', 0)}${
      Number.isFinite(total) ? attr('time', total.toFixed(3)) : ''
    }${attr('timestamp', e.started_at ?? e.created_at)}>`,
    '    <properties>',
    ...properties
      .filter((p): p is [string, string] => p[1] !== undefined)
      .map(([name, value]) => `      <property${attr('name', name)}${attr('value', value)}/>`),
    '    </properties>',
  ];
  for (const { b, failure } of cases) {
    const time = b.results?.duration_seconds;
    lines.push(
      `    <testcase${attr('classname', b.provider_id)}${attr('name', b.benchmark_id)}${time !== undefined ? attr('time', time.toFixed(3)) : ''}>`,
    );
    if (failure)
      lines.push(
        `      <failure${attr('type', failure.type)}${attr('message', failure.message)}>${xmlEscape(failure.message)}</failure>`,
      );
    const metrics = Object.entries(b.results?.metrics ?? {}).map(([k, v]) => `${k} = ${formatMetric(v)}`);
    const out = [b.verdict_reason ? `verdict: ${b.verdict_reason}` : `status: ${b.status}`, ...metrics].join(
      '\n',
    );
    lines.push(`      <system-out>${xmlEscape(out)}</system-out>`, '    </testcase>');
  }
  lines.push('  </testsuite>', '</testsuites>', '');
  return lines.join('\n');
}
