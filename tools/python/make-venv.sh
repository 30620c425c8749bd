#!/usr/bin/env bash
# Creates (or reuses) a virtualenv from a pinned requirements file: the one body behind
# tools/python/setup-env.sh, tools/python/setup-compat-env.sh and tools/llamacpp/setup-venv.sh.
#
#   tools/python/make-venv.sh [options] VENV REQUIREMENTS IMPORTS [PIP_ARGS...]
#
#   VENV           the virtualenv's folder (made when missing)
#   REQUIREMENTS   the pinned requirements file
#   IMPORTS        Python run in the venv once installed (e.g. "import mlflow"): a set that does not
#                  import fails here, not in the middle of an evaluation
#   PIP_ARGS       more arguments for `pip install -r REQUIREMENTS`
#   --min-python X.Y   refuse an interpreter older than X.Y
#   --upgrade-pip      upgrade pip in the venv before installing
#   --before SCRIPT    run `bash SCRIPT REQUIREMENTS` first, only when the venv is (re)installed
#
# PYTHON (default python3) is the interpreter the venv is made with. Idempotent: nothing is done when
# the venv was installed from the same requirements (a hash stamp, written last). Prints the venv's
# python on stdout (its only line); everything else goes to stderr.
set -euo pipefail

min_python='' upgrade_pip='' before=''
while [ $# -gt 0 ]; do
  case "$1" in
    --min-python) min_python="$2"; shift 2 ;;
    --upgrade-pip) upgrade_pip=1; shift ;;
    --before) before="$2"; shift 2 ;;
    *) break ;;
  esac
done
if [ $# -lt 3 ]; then
  echo "Usage: make-venv.sh [--min-python X.Y] [--upgrade-pip] [--before SCRIPT] VENV REQUIREMENTS IMPORTS [PIP_ARGS...]" >&2
  exit 2
fi
venv="$1" req="$2" imports="$3"
shift 3
python="${PYTHON:-python3}"

want="$(sha256sum "$req" | cut -d' ' -f1)"
stamp="$venv/.evalhub-requirements.sha256"
if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "$venv/bin/python"
  exit 0
fi

if [ -n "$min_python" ]; then
  "$python" - "$min_python" <<'PY' >&2
import sys
need = tuple(int(p) for p in sys.argv[1].split("."))
if sys.version_info < need:
    sys.exit(f"Eval Hub needs Python >= {sys.argv[1]} for its tools, found {sys.version.split()[0]}")
PY
fi
start=$(date +%s)
[ -z "$before" ] || bash "$before" "$req" >&2
echo "Setting up $venv from $(basename "$req") (the first run takes a few minutes)..." >&2
[ -x "$venv/bin/python" ] || "$python" -m venv "$venv" >&2
pip=("$venv/bin/python" -m pip install --quiet --disable-pip-version-check)
[ -z "$upgrade_pip" ] || "${pip[@]}" --upgrade pip >&2
"${pip[@]}" "$@" -r "$req" >&2
"$venv/bin/python" -c "$imports" >&2
echo "$want" > "$stamp"
echo "$venv ready in $(($(date +%s) - start)) s" >&2
echo "$venv/bin/python"
