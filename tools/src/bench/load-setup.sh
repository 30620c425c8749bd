#!/usr/bin/env bash
# Installs what tools/src/bench/load-compare.ts needs: the wrk load generator (Debian apt) and the
# Go eval-hub server (PyPI eval-hub-server, into its own git-ignored venv .bench/go-evalhub).
#
#   tools/src/bench/load-setup.sh
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
GO_VERSION="${EVAL_HUB_SERVER_VERSION:-1.0.2}"
VENV="$ROOT/.bench/go-evalhub"

if ! command -v wrk >/dev/null; then
  echo "Installing wrk (apt)" >&2
  SUDO=""
  [[ "$(id -u)" == 0 ]] || SUDO="sudo"
  $SUDO apt-get install -y -q wrk >/dev/null || { $SUDO apt-get update -q >/dev/null && $SUDO apt-get install -y -q wrk >/dev/null; }
fi

if [[ ! -x "$VENV/bin/eval-hub" ]] || [[ "$("$VENV/bin/pip" show eval-hub-server 2>/dev/null | sed -n "s/^Version: //p")" != "$GO_VERSION" ]]; then
  echo "Installing eval-hub-server $GO_VERSION into $VENV" >&2
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "eval-hub-server==$GO_VERSION"
fi
echo "wrk: $(command -v wrk); Go eval-hub: $VENV/bin/eval-hub" >&2
