// Container health check: exit 0 when GET /api/v1/health answers 200 (status ok or degraded, e.g.
// MLflow briefly down while tracking waits in the outbox), 1 otherwise (503 = store down, or no answer).
const port = process.env.EVALHUB_PORT || '8000';
const controller = new AbortController();
const timer = setTimeout(() => controller.abort(), 4000);
try {
  const res = await fetch(`http://127.0.0.1:${port}/api/v1/health`, { signal: controller.signal });
  const body = await res.json().catch(() => ({}));
  process.stdout.write(`${res.status} ${body.status ?? ''}\n`);
  process.exitCode = res.status === 200 ? 0 : 1;
} catch (err) {
  process.stdout.write(`unreachable: ${err.message}\n`);
  process.exitCode = 1;
} finally {
  clearTimeout(timer);
}
