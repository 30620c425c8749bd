#!/usr/bin/env bash
# Build steps of the eval-hub server image, kept in a script so they can also run on a host into any
# prefix (a local install laid out like the image). deploy/Containerfile runs pack, app and config;
# its own `python` stage runs tools/python/setup-env.sh directly (what `python` below does), so the
# venv layer stays cached while this script changes.
#
#   build-steps.sh pack TARBALL_DIR     build and `npm pack` the publishable packages
#   build-steps.sh app TARBALL_DIR PREFIX
#                                       install the tarballs into PREFIX (production deps only)
#   build-steps.sh python PREFIX        the Python tools the default providers drive, in PREFIX/venv
#   build-steps.sh config PREFIX        default config + health check into PREFIX/{config,bin}
#   build-steps.sh all PREFIX           all of the above
#
# Layout of PREFIX (/opt/evalhub in the image):
#   node_modules/.bin/evalhub           the CLI (`evalhub serve --port 8000`)
#   venv/bin/python                     lm-evaluation-harness, RAGAS (tools/python/requirements.txt)
#   config/evalhub.config.yaml          default config (EVALHUB_CONFIG points here). The hub finds
#                                       its plugins in node_modules from the config file's folder
#                                       upwards, so a replacement config goes in PREFIX/config too.
#   bin/healthcheck.mjs                 HEALTHCHECK probe
#
# Environment:
#   EVALHUB_REUSE_VENV=DIR   `python` links PREFIX/venv to this existing venv instead of installing
#                            (a host install can share an existing venv; it must hold the same requirements)
#   PYTHON=python3.11        interpreter the venv is made from (default python3)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

# The packages the server image ships: the server, its core, the MLflow tracker, the default providers
# and the PostgreSQL store (`store: postgres`, deploy/kubernetes/overlays/ha).
PACKAGES=(core server tracker-mlflow provider-lmeval provider-ragas store-postgres runtime-kubernetes)

log() { echo "[build-steps] $*" >&2; }
die() {
  echo "[build-steps] error: $*" >&2
  exit 1
}

step_pack() {
  local out="${1:?pack needs TARBALL_DIR}"
  mkdir -p "$out"
  out="$(cd "$out" && pwd)"
  log "building ${PACKAGES[*]}"
  local projects=()
  for p in "${PACKAGES[@]}"; do projects+=("packages/$p"); done
  (cd "$root" && node node_modules/typescript/bin/tsc -b "${projects[@]}")
  log "packing into $out"
  local ws=()
  for p in "${PACKAGES[@]}"; do ws+=(-w "@evalhub/$p"); done
  rm -f "$out"/evalhub-*.tgz
  (cd "$root" && npm pack --silent --pack-destination "$out" "${ws[@]}" > /dev/null)
  local count
  count="$(find "$out" -maxdepth 1 -name 'evalhub-*.tgz' | wc -l)"
  [ "$count" -eq "${#PACKAGES[@]}" ] || die "expected ${#PACKAGES[@]} tarballs in $out, found $count"
}

step_app() {
  local tarballs="${1:?app needs TARBALL_DIR}" prefix="${2:?app needs PREFIX}"
  tarballs="$(cd "$tarballs" && pwd)"
  mkdir -p "$prefix"
  # better-sqlite3 builds (or fetches) its native addon in an install script: allow exactly that one.
  cat > "$prefix/package.json" <<'JSON'
{
  "name": "evalhub-server-image",
  "private": true,
  "type": "module",
  "allowScripts": { "better-sqlite3": true }
}
JSON
  # Compiling that addon takes minutes when no prebuilt binary is reachable. The workspace install
  # (npm ci, which `pack` needs) has just built it for this Node and libc: reuse it when the versions
  # match, and compile only otherwise.
  local built="$root/node_modules/better-sqlite3" scripts=()
  [ -f "$built/build/Release/better_sqlite3.node" ] && scripts=(--ignore-scripts)
  log "installing the tarballs into $prefix"
  (cd "$prefix" && npm install --omit=dev --prefer-offline --no-audit --no-fund --loglevel=error \
    "${scripts[@]}" "$tarballs"/evalhub-*.tgz)
  if [ "${#scripts[@]}" -gt 0 ]; then
    local installed version
    installed="$(cd "$prefix" && node -p "require('path').dirname(require.resolve('better-sqlite3/package.json'))")"
    version() { node -p "require(process.argv[1]).version" "$1/package.json"; }
    if [ "$(version "$built")" = "$(version "$installed")" ]; then
      log "reusing the workspace's better-sqlite3 addon ($(version "$built"))"
      mkdir -p "$installed/build/Release"
      cp "$built/build/Release/better_sqlite3.node" "$installed/build/Release/"
    else
      (cd "$prefix" && npm rebuild --no-audit --no-fund --loglevel=error better-sqlite3)
    fi
  fi
  [ -x "$prefix/node_modules/.bin/evalhub" ] || die "the evalhub bin is missing after the install"
  # The command of every Job the Kubernetes runtime creates from this image (overlays/jobs).
  [ -x "$prefix/node_modules/.bin/evalhub-k8s-worker" ] || die "the evalhub-k8s-worker bin is missing after the install"
  (cd "$prefix" && node -e "const D = require('better-sqlite3'); new D(':memory:').close()") ||
    die "better-sqlite3's native addon does not load"
}

step_python() {
  local prefix="${1:?python needs PREFIX}"
  mkdir -p "$prefix"
  if [ -n "${EVALHUB_REUSE_VENV:-}" ]; then
    [ -x "$EVALHUB_REUSE_VENV/bin/python" ] || die "EVALHUB_REUSE_VENV=$EVALHUB_REUSE_VENV has no bin/python"
    log "reusing the venv $EVALHUB_REUSE_VENV"
    rm -rf "$prefix/venv"
    ln -s "$(cd "$EVALHUB_REUSE_VENV" && pwd)" "$prefix/venv"
  else
    log "installing the Python tools into $prefix/venv (a few minutes)"
    EVALHUB_VENV="$prefix/venv" "$root/tools/python/setup-env.sh" > /dev/null
  fi
  "$prefix/venv/bin/python" -c "import lm_eval, ragas" || die "lm_eval / ragas do not import from $prefix/venv"
}

step_config() {
  local prefix="${1:?config needs PREFIX}"
  mkdir -p "$prefix/config" "$prefix/bin"
  cp "$here/evalhub.config.yaml" "$prefix/config/evalhub.config.yaml"
  cp "$here/healthcheck.mjs" "$prefix/bin/healthcheck.mjs"
}

cmd="${1:-}"
shift || true
case "$cmd" in
  pack) step_pack "$@" ;;
  app) step_app "$@" ;;
  python) step_python "$@" ;;
  config) step_config "$@" ;;
  all)
    prefix="${1:?all needs PREFIX}"
    mkdir -p "$prefix"
    prefix="$(cd "$prefix" && pwd)"
    tarballs="$(mktemp -d)"
    trap 'rm -rf "$tarballs"' EXIT
    step_pack "$tarballs"
    step_app "$tarballs" "$prefix"
    step_python "$prefix"
    step_config "$prefix"
    log "done: $prefix"
    ;;
  *)
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | grep '^#' >&2
    exit 2
    ;;
esac
