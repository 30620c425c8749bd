#!/usr/bin/env bash
# Creates (or reuses) a separate virtualenv with eval-hub's own Python SDK and CLI
# (PyPI eval-hub-sdk[client], pinned in requirements-compat.txt). The compatibility tests drive
# the unmodified SDK against our server with it.
#
#   tools/python/setup-compat-env.sh            # create/update .venv-compat, print its python path
#   EVALHUB_COMPAT_VENV=/opt/compat tools/python/setup-compat-env.sh
#
# Idempotent: the venv is rebuilt only when requirements-compat.txt changes (hash stamp).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="${EVALHUB_COMPAT_VENV:-$root/.venv-compat}"
req="$here/requirements-compat.txt"
python="${PYTHON:-python3}"

want="$(sha256sum "$req" | cut -d' ' -f1)"
stamp="$venv/.evalhub-compat-requirements.sha256"

if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "$venv/bin/python"
  exit 0
fi

echo "Setting up eval-hub's Python SDK in $venv..." >&2
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv" >&2
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req" >&2
"$venv/bin/python" -c "from evalhub import SyncEvalHubClient; import evalhub.cli.main" >&2
echo "$want" > "$stamp"
echo "$venv/bin/python"
