# Shell helpers shared by cluster.sh and kubelet-stretch.sh (sourced, not run). They write under
# "$state", the caller's state folder.

free_ports() { # count — prints that many free loopback ports
  node -e '
    const net = require("node:net");
    const n = Number(process.argv[1]);
    const servers = [];
    const next = () => {
      if (servers.length === n) {
        console.log(servers.map((s) => s.address().port).join(" "));
        servers.forEach((s) => s.close());
        return;
      }
      const s = net.createServer();
      s.listen(0, "127.0.0.1", () => { servers.push(s); next(); });
    };
    next();' "$1"
}

run() { # name, command… — in the background, output in $state/<name>.log, pid in $state/pids and $state/<name>.pid
  local name="$1"
  shift
  "$@" >"$state/$name.log" 2>&1 &
  echo $! >>"$state/pids"
  echo $! >"$state/$name.pid"
}

wait_for() { # description, seconds, command… — until the command succeeds, or fail after the seconds
  local what="$1" secs="$2"
  shift 2
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS > deadline)); then
      echo "timed out after ${secs}s waiting for $what" >&2
      return 1
    fi
    sleep 0.2
  done
}
