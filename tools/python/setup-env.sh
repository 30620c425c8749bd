#!/usr/bin/env bash
# Creates (or reuses) the project's Python virtualenv with the pinned tools Eval Hub drives:
# mlflow (tracking server + reference client), lm-evaluation-harness, ragas.
#
#   tools/python/setup-env.sh            # create/update .venv, print its python path
#   EVALHUB_VENV=/opt/evalhub-venv tools/python/setup-env.sh
#
# Idempotent: the venv is rebuilt only when requirements.txt changes (hash stamp).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="${EVALHUB_VENV:-$root/.venv}"
req="$here/requirements.txt"
python="${PYTHON:-python3}"

want="$(sha256sum "$req" | cut -d' ' -f1)"
stamp="$venv/.evalhub-requirements.sha256"

if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "$venv/bin/python"
  exit 0
fi

"$python" - <<'PY' >&2
import sys
if sys.version_info < (3, 10):
    sys.exit(f"Eval Hub needs Python >= 3.10 for its tools, found {sys.version.split()[0]}")
PY

echo "Setting up Python tools in $venv (first run takes a few minutes)..." >&2
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv" >&2
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip >&2
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req" >&2
# Fail here, not in the middle of an evaluation, when the pinned set does not import.
"$venv/bin/python" -c "import mlflow, lm_eval, ragas" >&2
echo "$want" > "$stamp"
echo "$venv/bin/python"
