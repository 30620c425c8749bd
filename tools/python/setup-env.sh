#!/usr/bin/env bash
# Creates (or reuses) the project's Python virtualenv with the pinned tools Eval Hub drives:
# mlflow (tracking server + reference client), lm-evaluation-harness, ragas.
#
#   tools/python/setup-env.sh            # create/update .venv, print its python path
#   EVALHUB_VENV=/opt/evalhub-venv tools/python/setup-env.sh
#
# Idempotent: the venv is rebuilt only when requirements.txt changes (hash stamp; see make-venv.sh).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
exec "$here/make-venv.sh" --min-python 3.10 --upgrade-pip \
  "${EVALHUB_VENV:-$root/.venv}" "$here/requirements.txt" "import mlflow, lm_eval, ragas"
