#!/usr/bin/env bash
# Builds a Kubernetes control plane for tests from the Go module proxy, at pinned versions:
# kube-apiserver, kube-controller-manager and kube-scheduler from k8s.io/kubernetes, etcd from
# go.etcd.io/etcd/server/v3 (through a tiny main calling etcdmain.Main), kwok as the node agent.
# Nothing is vendored: the sources come by module version; the binaries are cached outside the repo.
#
#   tools/kubernetes/build.sh            build (or reuse) and print the bin directory
#   tools/kubernetes/build.sh kubelet    the same, plus the kubelet (opt-in; tools/kubernetes/kubelet-stretch.sh)
#   EVALHUB_K8S_BIN=...                  use binaries from elsewhere (nothing built)
#
# Fresh build: about 12 min on 2 cores and 2.1 GB of memory; cached: instant.
set -euo pipefail

K8S_VERSION="${K8S_VERSION:-v1.36.3}"
STAGING_VERSION="v0${K8S_VERSION#v1}" # k8s.io/api etc. are published as v0.<minor>.<patch>
ETCD_VERSION="${ETCD_VERSION:-v3.6.16}"
KWOK_VERSION="${KWOK_VERSION:-v0.8.0}"

cache_root="${XDG_CACHE_HOME:-$HOME/.cache}/evalhub/kubernetes/${K8S_VERSION}"
bin="${EVALHUB_K8S_BIN:-$cache_root/bin}"
binaries=(kube-apiserver kube-controller-manager kube-scheduler etcd kwok)
# Built from k8s.io/kubernetes: the control plane always, the kubelet only when asked for.
k8s_cmds=(kube-apiserver kube-controller-manager kube-scheduler)
case "${1:-}" in
  "") ;;
  kubelet) binaries+=(kubelet) k8s_cmds+=(kubelet) ;;
  *) echo "usage: $0 [kubelet]" >&2; exit 2 ;;
esac

have_all() {
  local b
  for b in "${binaries[@]}"; do [[ -x "$bin/$b" ]] || return 1; done
  # The stamp names the versions the binaries were built from.
  [[ -f "$bin/VERSIONS" ]] && grep -qx "kubernetes=$K8S_VERSION etcd=$ETCD_VERSION kwok=$KWOK_VERSION" "$bin/VERSIONS"
}

if have_all; then
  echo "$bin"
  exit 0
fi
if [[ -n "${EVALHUB_K8S_BIN:-}" ]]; then
  echo "EVALHUB_K8S_BIN=$EVALHUB_K8S_BIN lacks one of: ${binaries[*]} (or its VERSIONS stamp)" >&2
  exit 1
fi

command -v go >/dev/null || { echo "go is required (https://go.dev/dl/ or apt-get install golang)" >&2; exit 1; }
export GOFLAGS="-mod=mod -buildvcs=false"
export GOTOOLCHAIN="${GOTOOLCHAIN:-auto}"
work="$cache_root/src"
mkdir -p "$bin" "$work"
# One build at a time per cache (two CI runs on one machine): the second waits, then finds the binaries.
exec 9>"$cache_root/.build.lock"
flock 9
if have_all; then
  echo "$bin"
  exit 0
fi
log() { echo "[k8s-build $(date -u +%H:%M:%S)] $*" >&2; }

# --- kube-apiserver, kube-controller-manager, kube-scheduler (and the kubelet if asked for) ----------
missing=()
for c in "${k8s_cmds[@]}"; do [[ -x "$bin/$c" ]] || missing+=("$c"); done
if ((${#missing[@]})); then
  log "downloading k8s.io/kubernetes@$K8S_VERSION"
  dir="$(cd "$work" && GOFLAGS=-mod=mod go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  [[ -d "$dir" ]] || { echo "go mod download gave no folder for k8s.io/kubernetes@$K8S_VERSION" >&2; exit 1; }
  src="$work/kubernetes"
  rm -rf "$src"
  cp -r "$dir" "$src"
  chmod -R u+w "$src"
  rm -f "$src/go.work" "$src/go.work.sum"
  # The module zip lacks staging/: point every `k8s.io/X => ./staging/src/k8s.io/X` replace at the
  # published k8s.io/X module of the matching version; sample-cli-plugin is not published (nor needed).
  sed -i -E \
    -e '/k8s\.io\/sample-cli-plugin/d' \
    -e "s#(k8s\.io/[A-Za-z0-9._-]+) => \./staging/src/k8s\.io/[A-Za-z0-9._-]+#\1 => \1 ${STAGING_VERSION}#" \
    "$src/go.mod"
  log "building ${missing[*]}"
  (cd "$src" && go build -trimpath -ldflags "-s -w -X k8s.io/component-base/version.gitVersion=$K8S_VERSION -X k8s.io/client-go/pkg/version.gitVersion=$K8S_VERSION" \
    -o "$bin/" "${missing[@]/#/./cmd/}")
  rm -rf "$src"
fi

# --- etcd -----------------------------------------------------------------------------------------
if [[ ! -x "$bin/etcd" ]]; then
  log "building etcd $ETCD_VERSION"
  e="$work/etcd"
  rm -rf "$e" && mkdir -p "$e"
  cat >"$e/main.go" <<'GO'
// etcd server built from the published go.etcd.io/etcd/server/v3 module.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GO
  (cd "$e" && go mod init evalhub.local/etcd >/dev/null 2>&1 &&
    go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" >/dev/null &&
    go mod tidy >/dev/null &&
    go build -trimpath -ldflags "-s -w" -o "$bin/etcd" .)
  rm -rf "$e"
fi

# --- kwok -----------------------------------------------------------------------------------------
if [[ ! -x "$bin/kwok" ]]; then
  log "building kwok $KWOK_VERSION"
  GOBIN="$bin" go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
fi

echo "kubernetes=$K8S_VERSION etcd=$ETCD_VERSION kwok=$KWOK_VERSION" >"$bin/VERSIONS"
log "done: $(du -sh "$bin" | cut -f1) in $bin"
echo "$bin"
