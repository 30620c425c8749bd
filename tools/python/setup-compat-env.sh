#!/usr/bin/env bash
# Creates (or reuses) a separate virtualenv with eval-hub's own Python SDK and CLI
# (PyPI eval-hub-sdk[client], pinned in requirements-compat.txt). The compatibility tests drive
# the unmodified SDK against our server with it.
#
#   tools/python/setup-compat-env.sh            # create/update .venv-compat, print its python path
#   EVALHUB_COMPAT_VENV=/opt/compat tools/python/setup-compat-env.sh
#
# Idempotent: the venv is rebuilt only when requirements-compat.txt changes (hash stamp; see make-venv.sh).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
exec "$here/make-venv.sh" \
  "${EVALHUB_COMPAT_VENV:-$root/.venv-compat}" "$here/requirements-compat.txt" \
  "from evalhub import SyncEvalHubClient; import evalhub.cli.main"
