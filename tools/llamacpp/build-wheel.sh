#!/usr/bin/env bash
# Builds the llama-cpp-python wheel pinned in REQUIREMENTS from its source distribution into
# $EVALHUB_WHEEL_CACHE, once (CPU only; needs cmake and g++). Run by setup-venv.sh before it installs.
#
#   EVALHUB_WHEEL_CACHE=DIR tools/llamacpp/build-wheel.sh REQUIREMENTS
set -euo pipefail

req="${1:?Usage: build-wheel.sh REQUIREMENTS}"
wheels="${EVALHUB_WHEEL_CACHE:?build-wheel.sh needs EVALHUB_WHEEL_CACHE}"
python="${PYTHON:-python3}"
spec="$(grep -E '^llama-cpp-python' "$req" | head -n1)"
version="${spec##*==}"
mkdir -p "$wheels"
# One build at a time per cache (two CI runs on one machine): the second waits, then finds the wheel.
exec 9>"$wheels/.llama-cpp-python.lock"
flock 9
start=$(date +%s)
if ls "$wheels"/llama_cpp_python-"$version"-*.whl >/dev/null 2>&1; then
  echo "Reusing cached wheel $(ls "$wheels"/llama_cpp_python-"$version"-*.whl)" >&2
  exit 0
fi
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
