/**
 * lm-eval reports metrics as `"<metric>,<filter>"` (and their standard error as
 * `"<metric>_stderr,<filter>"`). The hub's metric name is:
 *
 * - `<metric>` when the filter is `none` (`acc,none` → `acc`, `acc_stderr,none` → `acc_stderr`);
 * - `<metric>_<filter>` otherwise (`exact_match,strict-match` → `exact_match_strict-match`,
 *   `exact_match_stderr,flexible-extract` → `exact_match_stderr_flexible-extract`).
 *
 * A key without a comma is kept as it is. Returns undefined for keys that are not metrics.
 */
export function metricName(key: string): string | undefined {
  if (NON_METRIC_KEYS.has(key)) return undefined;
  const comma = key.indexOf(',');
  if (comma < 0) return key;
  const metric = key.slice(0, comma);
  const filter = key.slice(comma + 1);
  if (metric.length === 0) return undefined;
  return filter === 'none' || filter.length === 0 ? metric : `${metric}_${filter}`;
}

const NON_METRIC_KEYS = new Set(['alias', 'name', 'sample_len', 'samples', ' ']);
