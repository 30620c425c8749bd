#!/usr/bin/env bash
# Makes sure the PostgreSQL server programs (initdb, pg_ctl, postgres, psql) are installed, for the
# integration tests and benchmarks that start a real server (tools/src/postgres/launcher.ts).
# Does nothing when they are already there (on PATH, in EVALHUB_PG_BIN or /usr/lib/postgresql/*/bin);
# otherwise installs Debian's `postgresql` package with apt-get (needs root), without the default
# cluster the package would create and start: the tests make their own in a temp folder.
#
#   tools/postgres/install.sh
set -euo pipefail

found() {
  local d
  for d in "${EVALHUB_PG_BIN:-}" $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -rV) ${PATH//:/ }; do
    [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && { echo "$d"; return 0; }
  done
  return 1
}

if dir="$(found)"; then
  echo "postgresql: $("$dir/postgres" --version) in $dir"
  exit 0
fi

command -v apt-get > /dev/null || {
  echo "postgresql: initdb/pg_ctl not found and no apt-get here: install the PostgreSQL server (15 or newer) and set EVALHUB_PG_BIN to its bin folder" >&2
  exit 1
}
[ "$(id -u)" -eq 0 ] || {
  echo "postgresql: initdb/pg_ctl not found; run this as root to install Debian's postgresql package" >&2
  exit 1
}
start=$SECONDS
# No main cluster (it would be started on port 5432 by the package's scripts).
mkdir -p /etc/postgresql-common
if [ ! -f /etc/postgresql-common/createcluster.conf ]; then
  echo 'create_main_cluster = false' > /etc/postgresql-common/createcluster.conf
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends postgresql > /dev/null
dir="$(found)" || {
  echo "postgresql: installed, but initdb/pg_ctl are still not found" >&2
  exit 1
}
echo "postgresql: installed $("$dir/postgres" --version) in $dir ($((SECONDS - start)) s)"
