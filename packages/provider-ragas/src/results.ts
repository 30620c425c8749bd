import type { RunnerResult } from './contract.js';
import type { RagasRow } from './dataset.js';

/** One JSON object per row: its index, question, scores (null = NaN) and errors. */
export function rowsToJsonl(
  rows: readonly RagasRow[],
  result: RunnerResult,
  metrics: readonly string[],
): string {
  return result.rows
    .map((r) =>
      JSON.stringify({
        index: r.index,
        user_input: rows[r.index]?.user_input ?? null,
        ...Object.fromEntries(metrics.map((m) => [m, r.scores[m] ?? null])),
        ...(r.errors && Object.keys(r.errors).length > 0 ? { errors: r.errors } : {}),
      }),
    )
    .join('\n')
    .concat('\n');
}

function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** CSV with a header: index, user_input, one column per metric (empty = NaN), errors. */
export function rowsToCsv(
  rows: readonly RagasRow[],
  result: RunnerResult,
  metrics: readonly string[],
): string {
  const header = ['index', 'user_input', ...metrics, 'errors'];
  const lines = result.rows.map((r) =>
    [
      r.index,
      rows[r.index]?.user_input ?? '',
      ...metrics.map((m) => r.scores[m] ?? null),
      r.errors
        ? Object.entries(r.errors)
            .map(([m, e]) => `${m}: ${e}`)
            .join(' | ')
        : '',
    ]
      .map(csvField)
      .join(','),
  );
  return [header.join(','), ...lines].join('\n') + '\n';
}
