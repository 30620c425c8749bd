#!/usr/bin/env bash
# podman with Eval Hub's containers.conf and storage (tools/container/env.sh), e.g.
#   tools/container/podman.sh images
#   tools/container/podman.sh run --rm eval-hub:latest --help
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=tools/container/env.sh
. "$here/env.sh"
exec podman "$@"
