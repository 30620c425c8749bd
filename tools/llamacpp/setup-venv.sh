#!/usr/bin/env bash
# Creates (or reuses) a separate virtualenv with llama-cpp-python's OpenAI-compatible server and the
# `gguf` writer, for the integration tests against a model server nobody in this project wrote.
#
#   tools/llamacpp/setup-venv.sh          # prints the venv's python path on its last line
#
# llama-cpp-python is built from its source distribution (needs cmake and g++; CPU only). The wheel is
# built once and cached in ${EVALHUB_WHEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/evalhub/wheels}, so
# a new venv (or a fresh clone) reuses it. The venv itself lives in .venv-llamacpp/ (git-ignored), or
# $EVALHUB_LLAMACPP_VENV. Idempotent: nothing is done when the venv matches the requirements file.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
req="$root/tools/python/llamacpp-requirements.txt"
venv="${EVALHUB_LLAMACPP_VENV:-$root/.venv-llamacpp}"
wheels="${EVALHUB_WHEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/evalhub/wheels}"
python="${PYTHON:-python3}"

want="$(sha256sum "$req" | cut -d' ' -f1)"
stamp="$venv/.evalhub-requirements.sha256"
if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "$venv/bin/python"
  exit 0
fi

spec="$(grep -E '^llama-cpp-python' "$req" | head -n1)"
version="${spec##*==}"
mkdir -p "$wheels"
start=$(date +%s)
if ! ls "$wheels"/llama_cpp_python-"$version"-*.whl >/dev/null 2>&1; then
  for tool in cmake g++; do
    command -v "$tool" >/dev/null || { echo "setup-venv.sh: $tool is needed to build llama-cpp-python (apt-get install cmake g++)" >&2; exit 1; }
  done
  echo "Building llama-cpp-python $version from source into $wheels (once; takes several minutes)..." >&2
  # CPU build for any x86-64/arm64 machine: no native-CPU tuning, so the cached wheel runs elsewhere
  # too; no llava/mtmd (multimodal) library: ~50 fewer objects, the server does not need it
  CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAVA_BUILD=OFF}" \
    CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}" \
    nice -n 10 "$python" -m pip wheel --quiet --disable-pip-version-check --no-deps --no-binary llama-cpp-python \
      --wheel-dir "$wheels" "llama-cpp-python==$version" >&2
  echo "Built $(ls "$wheels"/llama_cpp_python-"$version"-*.whl) in $(($(date +%s) - start)) s" >&2
else
  echo "Reusing cached wheel $(ls "$wheels"/llama_cpp_python-"$version"-*.whl)" >&2
fi

[ -x "$venv/bin/python" ] || "$python" -m venv "$venv" >&2
# --only-binary: llama-cpp-python comes from the cached wheel, never a second source build
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --find-links "$wheels" \
  --only-binary llama-cpp-python -r "$req" >&2
"$venv/bin/python" -c "import llama_cpp, llama_cpp.server, gguf" >&2
echo "$want" > "$stamp"
echo "llama.cpp venv ready in $(($(date +%s) - start)) s" >&2
echo "$venv/bin/python"
