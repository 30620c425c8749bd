#!/usr/bin/env bash
# Builds deploy/Containerfile into `eval-hub:latest` with podman, without an image registry: the base
# images are the local Debian bookworm + Node image from tools/container/build-base.sh (built once,
# kept in podman's storage under EVALHUB_CONTAINER_HOME), passed as BUILD_IMAGE and RUNTIME_IMAGE.
# Layers, the pip and npm caches stay in that storage too, so a re-run rebuilds only what changed.
#
#   tools/container/build-image.sh             # prints the image id on stdout, progress on stderr
#   EVALHUB_IMAGE=eval-hub:dev tools/container/build-image.sh
#
# Needs tools/container/install-podman.sh first. Outbound TLS from RUN steps may go through an
# intercepting proxy whose CA is in the host's bundle: it is mounted for the build only (never copied
# into the image).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
# shellcheck source=tools/container/env.sh
. "$here/env.sh"
image="${EVALHUB_IMAGE:-eval-hub:latest}"
ca=/etc/ssl/certs/ca-certificates.crt
start=$SECONDS

base="$("$here/build-base.sh")"

mounts=()
[ -f "$ca" ] && mounts+=(-v "$ca:$ca:ro")
echo "== podman build $image (base $base)" >&2
(cd "$root" && podman build --pull=never --layers --format docker \
  -f deploy/Containerfile --ignorefile deploy/Containerfile.dockerignore \
  --build-arg "BUILD_IMAGE=$base" --build-arg "RUNTIME_IMAGE=$base" \
  "${mounts[@]}" -t "$image" . >&2)

size="$(podman image inspect --format '{{.Size}}' "$image")"
echo "   $image built in $((SECONDS - start)) s, $(numfmt --to=si "$size")B" >&2
podman image inspect --format '{{.Id}}' "$image"
