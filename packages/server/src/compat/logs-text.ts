import type { EvaluationLogs } from '@evalhub/core';

/** Our per-benchmark log tails as eval-hub's plain text: one `=== … ===` header per benchmark. */
export function logsAsText(logs: EvaluationLogs, indexOf: (benchmarkId: string) => number): string {
  return logs.benchmarks
    .map((b) => {
      const header = `=== benchmark_index=${indexOf(b.benchmark_id)} benchmark_id=${b.benchmark_id} provider_id=${b.provider_id} ===`;
      return [header, ...b.lines].join('\n');
    })
    .join('\n')
    .concat(logs.benchmarks.length ? '\n' : '');
}
