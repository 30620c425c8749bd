# Sourced by the tools/container scripts: where podman keeps its config and storage for Eval Hub's
# image builds, outside the repository, so the base image and the layer cache survive between runs.
#
#   EVALHUB_CONTAINER_HOME   default ${XDG_CACHE_HOME:-$HOME/.cache}/evalhub/container
#     containers.conf        runc, cgroupfs, explicit ulimits, file events logger (see below)
#     storage.conf           graphroot/runroot under this folder
#     storage/ run/          podman's images, layers and run state
#     base/                  the Debian root filesystem tarballs and their stamps
#     tmp/                   TMPDIR for mmdebstrap and podman
#
# Why this containers.conf: crun refuses hybrid cgroup layouts, so the OCI runtime is runc; a root
# without CAP_SYS_RESOURCE cannot raise limits, so the ulimits are given explicitly (nofile at the
# current hard limit, nproc at podman's own 32768); there is no systemd/journald to log events to.
# shellcheck shell=bash

EVALHUB_CONTAINER_HOME="${EVALHUB_CONTAINER_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/evalhub/container}"
mkdir -p "$EVALHUB_CONTAINER_HOME"/{storage,run,base,tmp}
EVALHUB_CONTAINER_HOME="$(cd "$EVALHUB_CONTAINER_HOME" && pwd)"
export EVALHUB_CONTAINER_HOME

evalhub_nofile="$(ulimit -Hn)"
[ "$evalhub_nofile" = unlimited ] && evalhub_nofile=1048576
cat > "$EVALHUB_CONTAINER_HOME/containers.conf.$$" << EOF
# Written by tools/container/env.sh (Eval Hub); regenerated on every use.
[containers]
default_ulimits = ["nofile=$evalhub_nofile:$evalhub_nofile", "nproc=32768:32768"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF
mv "$EVALHUB_CONTAINER_HOME/containers.conf.$$" "$EVALHUB_CONTAINER_HOME/containers.conf"
cat > "$EVALHUB_CONTAINER_HOME/storage.conf.$$" << EOF
# Written by tools/container/env.sh (Eval Hub); regenerated on every use.
[storage]
driver = "overlay"
graphroot = "$EVALHUB_CONTAINER_HOME/storage"
runroot = "$EVALHUB_CONTAINER_HOME/run"
EOF
mv "$EVALHUB_CONTAINER_HOME/storage.conf.$$" "$EVALHUB_CONTAINER_HOME/storage.conf"
unset evalhub_nofile

export CONTAINERS_CONF="$EVALHUB_CONTAINER_HOME/containers.conf"
export CONTAINERS_STORAGE_CONF="$EVALHUB_CONTAINER_HOME/storage.conf"
export TMPDIR="$EVALHUB_CONTAINER_HOME/tmp"
