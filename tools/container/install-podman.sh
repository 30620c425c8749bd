#!/usr/bin/env bash
# Installs what Eval Hub's image build and container test need, from the distribution's packages:
# podman, buildah, runc (crun refuses hybrid cgroup layouts), conmon, the CNI plugins, iptables,
# slirp4netns (the test container reaches the host's loopback through it), fuse-overlayfs and
# mmdebstrap (the local Debian base image). Idempotent: installs only what is missing.
#
#   sudo tools/container/install-podman.sh     # Debian/Ubuntu, as root
#
# Then writes podman's config and storage folder (tools/container/env.sh) and prints the versions.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PACKAGES=(podman buildah runc conmon containernetworking-plugins iptables uidmap slirp4netns fuse-overlayfs mmdebstrap)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2> /dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  [ "$(id -u)" -eq 0 ] || {
    echo "install-podman: run as root to install: ${missing[*]}" >&2
    exit 1
  }
  echo "== apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" > /dev/null
fi

# shellcheck source=tools/container/env.sh
. "$here/env.sh"
echo "== $(podman --version), $(buildah --version | cut -d' ' -f1-3), $(runc --version | head -n 1), $(mmdebstrap --version)"
echo "   config and storage: $EVALHUB_CONTAINER_HOME"
