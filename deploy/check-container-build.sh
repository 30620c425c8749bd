#!/usr/bin/env bash
# Proves the image's build steps on the host (no container engine can pull base images here):
# runs deploy/container/build-steps.sh into a temp prefix laid out like /opt/evalhub in the image,
# starts the installed `evalhub serve` from there the way the image's ENTRYPOINT does, and checks the
# container HEALTHCHECK, the providers and the tracker.
#
#   deploy/check-container-build.sh
#   EVALHUB_REUSE_VENV=.venv deploy/check-container-build.sh   # reuse an existing venv (CI: fast)
#   KEEP=1 deploy/check-container-build.sh                       # keep the prefix for a look
#
# Needs the repository's node_modules (npm ci) for the TypeScript build.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/evalhub-image-XXXXXX")"
prefix="$work/opt/evalhub"
pid=""
start=$SECONDS

cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2> /dev/null; then
    kill -TERM "$pid" 2> /dev/null || true
    wait "$pid" 2> /dev/null || true
  fi
  if [ "${KEEP:-}" = 1 ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

fail() {
  echo "check-container-build: FAILED: $*" >&2
  if [ -f "$work/serve.log" ]; then
    echo "--- evalhub serve log ---" >&2
    tail -n 50 "$work/serve.log" >&2
  fi
  exit 1
}

echo "== build steps into $prefix"
if [ -n "${EVALHUB_REUSE_VENV:-}" ]; then
  EVALHUB_REUSE_VENV="$(cd "$root" && cd "$EVALHUB_REUSE_VENV" && pwd)"
  export EVALHUB_REUSE_VENV
fi
"$root/deploy/container/build-steps.sh" all "$prefix"
echo "   build steps took $((SECONDS - start)) s"

# Nothing of the repository may leak into the installed server: run it from the prefix only.
for p in core server tracker-mlflow provider-lmeval provider-ragas; do
  [ -f "$prefix/node_modules/@evalhub/$p/dist/index.js" ] || fail "@evalhub/$p is not installed in $prefix"
  [ -L "$prefix/node_modules/@evalhub/$p" ] && fail "@evalhub/$p is a link, not an installed tarball"
done

echo "== evalhub serve from the prefix (as the image's ENTRYPOINT)"
mkdir -p "$work/var/lib/evalhub" "$work/data" "$work/home"
# The image's ENV, with the image paths moved into the temp root. MLflow is not running here: the
# tracker must load and report itself down while the hub stays up (tracking waits in the outbox).
env -i \
  PATH="$prefix/node_modules/.bin:$(dirname "$(command -v node)"):/usr/bin:/bin" \
  HOME="$work/home" \
  NODE_ENV=production \
  EVALHUB_CONFIG="$prefix/config/evalhub.config.yaml" \
  EVALHUB_DATA_DIR="$work/var/lib/evalhub" \
  EVALHUB_DATA_ROOT="$work/data" \
  MLFLOW_TRACKING_URI="http://127.0.0.1:9" \
  MLFLOW_EXPERIMENT_PREFIX=image-check \
  bash -c 'cd "$1" && exec evalhub serve --port 0 --host 127.0.0.1 --json' _ "$prefix" > "$work/serve.log" 2>&1 &
pid=$!

# Wait for the `--json` line {url, port} the server prints once it listens (or for it to die).
port=""
for _ in $(seq 1 600); do
  kill -0 "$pid" 2> /dev/null || fail "evalhub serve exited before listening"
  port="$(node -e '
    const lines = require("fs").readFileSync(process.argv[1], "utf8").split("\n");
    for (const l of lines) { try { const m = JSON.parse(l); if (m.level === undefined && m.port) { console.log(m.port); break; } } catch {} }
  ' "$work/serve.log")"
  [ -n "$port" ] && break
  sleep 0.2
done
[ -n "$port" ] || fail "evalhub serve did not start listening within 120 s"
echo "   listening on port $port"

echo "== HEALTHCHECK (deploy/container/healthcheck.mjs)"
EVALHUB_PORT="$port" node "$prefix/bin/healthcheck.mjs" || fail "the container health check failed"

echo "== health components and providers"
node - "$port" << 'JS' || fail "health or providers are not as the image needs them"
const port = process.argv[2];
const get = async (path) => {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, body: await res.json() };
};
const health = await get('/api/v1/health?details=true');
const c = health.body.components;
const problems = [];
if (health.status !== 200) problems.push(`health answered ${health.status}`);
if (c.store?.status !== 'ok' || c.store?.name !== 'sqlite') problems.push(`store: ${JSON.stringify(c.store)}`);
if (c.tracker?.name !== 'mlflow') problems.push(`tracker: ${JSON.stringify(c.tracker)}`);
for (const id of ['lm_evaluation_harness', 'ragas']) {
  if (c[`provider:${id}`]?.status !== 'ok') problems.push(`provider ${id}: ${JSON.stringify(c[`provider:${id}`])}`);
}
const providers = await get('/api/v1/providers');
const ids = providers.body.items.map((p) => p.id).sort();
if (JSON.stringify(ids) !== JSON.stringify(['lm_evaluation_harness', 'ragas'])) problems.push(`providers: ${ids.join(', ')}`);
console.log(`   health ${health.body.status}; store ${c.store?.status}; tracker ${c.tracker?.name} ${c.tracker?.status}; providers ${ids.join(', ')}`);
if (problems.length) {
  console.error(problems.join('\n'));
  process.exit(1);
}
JS

echo "== graceful stop (SIGTERM)"
kill -TERM "$pid"
wait "$pid" && code=0 || code=$?
pid=""
[ "$code" -eq 0 ] || fail "evalhub serve exited with $code on SIGTERM"
[ -f "$work/var/lib/evalhub/evalhub.db" ] || fail "no SQLite file in the data dir"

echo "container build check: ok ($((SECONDS - start)) s)"
