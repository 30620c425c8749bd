#!/usr/bin/env bash
# Creates (or reuses) a separate virtualenv with llama-cpp-python's OpenAI-compatible server and the
# `gguf` writer, for the integration tests against a model server nobody in this project wrote.
#
#   tools/llamacpp/setup-venv.sh          # prints the venv's python path on its last line
#
# llama-cpp-python is built from its source distribution (needs cmake and g++; CPU only; see
# build-wheel.sh). The wheel is built once and cached in
# ${EVALHUB_WHEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/evalhub/wheels}, so a new venv (or a fresh
# clone) reuses it. The venv itself lives in .venv-llamacpp/ (git-ignored), or $EVALHUB_LLAMACPP_VENV.
# Idempotent: nothing is done when the venv matches the requirements file (see make-venv.sh).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
export EVALHUB_WHEEL_CACHE="${EVALHUB_WHEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/evalhub/wheels}"
# --only-binary: llama-cpp-python comes from the cached wheel, never a second source build
exec "$root/tools/python/make-venv.sh" --before "$here/build-wheel.sh" \
  "${EVALHUB_LLAMACPP_VENV:-$root/.venv-llamacpp}" "$root/tools/python/llamacpp-requirements.txt" \
  "import llama_cpp, llama_cpp.server, gguf" \
  --find-links "$EVALHUB_WHEEL_CACHE" --only-binary llama-cpp-python
