#!/usr/bin/env bash
# Stretch experiment, not run by CI: a REAL node for the test control plane. The kubelet (built like
# the control plane by build.sh, `build.sh kubelet`), Debian's containerd and runc (apt: containerd,
# runc, containernetworking-plugins), the project's image imported into containerd, pods that really
# run. See "A real kubelet (stretch)" in tools/kubernetes/README.md for what was found.
#
#   tools/kubernetes/kubelet-stretch.sh all [STATE]    down, up, smoke, bench, down (the default)
#   tools/kubernetes/kubelet-stretch.sh up [STATE]     cluster + containerd + kubelet + images, left running
#   tools/kubernetes/kubelet-stretch.sh smoke [STATE]  a pod of the image running `node --version`
#   tools/kubernetes/kubelet-stretch.sh bench [STATE]  one arc_easy benchmark as a Job on the real node
#   tools/kubernetes/kubelet-stretch.sh down [STATE]   stop everything it started, remove STATE
#
# STATE (default /tmp/evalhub-kubelet-stretch) holds every file it makes: the cluster, containerd's
# root/state (and the pods' network namespaces), the kubelet's root dir and pod logs, CNI config and
# IP leases, the hub's files. Outside it, while running (`down` removes them): cgroups
# /sys/fs/cgroup/*/{kubepods,k8s.io}, the bridge evhub0 (10.244.77.1/24, the node's IP), and what the
# kubelet puts at fixed paths whatever its --root-dir: iptables chains KUBE-FIREWALL,
# KUBE-KUBELET-CANARY, KUBE-IPTABLES-HINT, /var/lib/kubelet/device-plugins, /var/log/containers links.
# Needs root. The image comes from podman's storage (tools/container/build-image.sh; EVALHUB_IMAGE,
# default eval-hub:latest). EVALHUB_SNAPSHOTTER=native instead of overlayfs works too (slower).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cmd="${1:-all}"
state="${2:-${EVALHUB_KUBELET_STATE:-/tmp/evalhub-kubelet-stretch}}"
image="${EVALHUB_IMAGE:-eval-hub:latest}"
node_name=evalhub-kubelet-0
bridge=evhub0
subnet_prefix=10.244.77
gateway="$subnet_prefix.1"
ns=evalhub-stretch

log() { echo "[kubelet-stretch $(date -u +%H:%M:%S)] $*" >&2; }
trap 'log "failed at line $LINENO: $BASH_COMMAND"' ERR
ctr_() { ctr --address "$state/containerd/containerd.sock" -n k8s.io "$@"; }

# --- down -------------------------------------------------------------------------------------------
down() {
  [[ -d "$state" ]] || return 0
  log "stopping (state $state)"
  # the hub container, then every pod container and sandbox (their shims outlive containerd)
  if [[ -S "$state/containerd/containerd.sock" ]]; then
    local t
    for t in $(ctr_ tasks ls -q 2>/dev/null); do ctr_ tasks kill -s SIGKILL "$t" >/dev/null 2>&1 || true; done
    sleep 1
    for t in $(ctr_ tasks ls -q 2>/dev/null); do ctr_ tasks delete -f "$t" >/dev/null 2>&1 || true; done
  fi
  # our own processes, newest first: hub helper, fixture model, kubelet, containerd
  if [[ -f "$state/pids" ]]; then
    local pid pids
    pids="$(tac "$state/pids")"
    for pid in $pids; do kill "$pid" 2>/dev/null || true; done
    for pid in $pids; do
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    done
  fi
  # leftover shims (their command line names our containerd socket's folder)
  local shim
  for shim in $(pgrep -f "containerd-shim.*-address $state/containerd/" || true); do kill -9 "$shim" 2>/dev/null || true; done
  [[ -f "$state/cluster/pids" ]] && "$here/cluster.sh" stop "$state/cluster"
  # mounts under the state folder (rootfs overlays, pod tmpfs, netns), deepest first
  local m
  for m in $(awk -v s="$state/" 'index($2, s) == 1 {print $2}' /proc/self/mounts | sort -r); do
    umount -l "$m" 2>/dev/null || true
  done
  local d
  for d in /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/*/k8s.io; do
    [[ -d "$d" ]] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || true
  done
  ip link del "$bridge" 2>/dev/null || true
  # what the kubelet puts at fixed host paths: iptables chains (KUBE-FIREWALL drops non-local
  # traffic to 127.0.0.0/8), /var/log/containers links, /var/lib/kubelet/device-plugins, CNI results
  local ipt
  for ipt in iptables ip6tables; do
    command -v "$ipt" >/dev/null || continue
    while "$ipt" -D INPUT -j KUBE-FIREWALL 2>/dev/null; do :; done
    while "$ipt" -D OUTPUT -j KUBE-FIREWALL 2>/dev/null; do :; done
    local table chain
    for table in filter nat mangle; do
      for chain in KUBE-FIREWALL KUBE-KUBELET-CANARY KUBE-IPTABLES-HINT; do
        "$ipt" -t "$table" -F "$chain" 2>/dev/null && "$ipt" -t "$table" -X "$chain" 2>/dev/null || true
      done
    done
  done
  find /var/log/containers -maxdepth 1 -lname "$state/*" -delete 2>/dev/null || true
  rm -f /var/lib/kubelet/device-plugins/kubelet.sock /var/lib/cni/results/evalhub-stretch-*
  if [[ -f "$state/created-dirs" ]]; then
    while IFS= read -r d; do rmdir "$d"/* "$d" 2>/dev/null || true; done < <(tac "$state/created-dirs")
  fi
  rm -rf "$state"
}

# --- up ---------------------------------------------------------------------------------------------
# shellcheck source=tools/kubernetes/lib.sh
. "$here/lib.sh"

load_env() {
  # shellcheck disable=SC1091
  . "$state/cluster/env"
  if [[ -f "$state/ports" ]]; then
    # shellcheck disable=SC1091
    . "$state/ports"
  fi
}
api() { # method path [json body]
  local method="$1" path="$2"
  shift 2
  curl -fsS --cacert "$KUBE_CA_FILE" -H "Authorization: Bearer $KUBE_ADMIN_TOKEN" -X "$method" \
    -H 'Content-Type: application/json' "$KUBE_API_URL$path" "$@"
}
json() { node -e "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>{const o=JSON.parse(s);console.log(($1)(o) ?? '')})"; }

up() {
  local t0=$SECONDS
  [[ $EUID -eq 0 ]] || { echo "needs root (containerd, runc, cgroups, bridge)" >&2; exit 1; }
  for c in containerd ctr runc /usr/lib/cni/bridge /usr/lib/cni/host-local /usr/lib/cni/loopback gcc podman; do
    command -v "$c" >/dev/null || [[ -x "$c" ]] || {
      echo "missing $c: apt-get install containerd runc containernetworking-plugins gcc (podman: tools/container/install-podman.sh)" >&2
      exit 1
    }
  done
  log "kubelet binary (tools/kubernetes/build.sh kubelet)"
  local bin
  bin="$(nice -n 10 "$here/build.sh" kubelet)"
  mkdir -p "$state"
  state="$(cd "$state" && pwd)"
  : >"$state/pids"
  log "control plane (tools/kubernetes/cluster.sh; its kwok node stays, our pods select $node_name)"
  "$here/cluster.sh" start "$state/cluster" >&2
  load_env
  local kubelet_port healthz_port hub_port hub_local_port model_port
  read -r kubelet_port healthz_port hub_port hub_local_port model_port <<<"$(free_ports 5)"
  printf 'KUBELET_PORT=%s\nHUB_PORT=%s\nHUB_LOCAL_PORT=%s\nMODEL_PORT=%s\n' \
    "$kubelet_port" "$hub_port" "$hub_local_port" "$model_port" >"$state/ports"

  # --- pause image: k8s.io/kubernetes' own build/pause/linux/pause.c, static, as a one-layer image
  local kdir
  kdir="$(cd "$state" && go mod download -json "k8s.io/kubernetes@${K8S_VERSION:-v1.36.3}" 2>/dev/null | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  mkdir -p "$state/pause"
  gcc -Os -Wall -static -DVERSION=v3.10.2-evalhub -o "$state/pause/pause" "$kdir/build/pause/linux/pause.c"
  python3 - "$state/pause/pause.tar" evalhub.local/pause:3.10 "$state/pause/pause" <<'PY'
import hashlib, io, json, sys, tarfile
out, ref, binary = sys.argv[1:]
layer = io.BytesIO()
with tarfile.open(fileobj=layer, mode="w", format=tarfile.PAX_FORMAT) as t:
    info = t.gettarinfo(binary, arcname="pause")
    info.uid = info.gid = 0; info.uname = info.gname = ""; info.mtime = 0
    with open(binary, "rb") as f:
        t.addfile(info, f)
data = layer.getvalue()
config = json.dumps({"architecture": "amd64", "os": "linux", "created": "1970-01-01T00:00:00Z",
    "config": {"Entrypoint": ["/pause"], "User": "65535:65535"},
    "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(data).hexdigest()]}}).encode()
name = hashlib.sha256(config).hexdigest() + ".json"
manifest = json.dumps([{"Config": name, "RepoTags": [ref], "Layers": ["layer.tar"]}]).encode()
with tarfile.open(out, "w") as t:
    for n, b in ((name, config), ("layer.tar", data), ("manifest.json", manifest)):
        i = tarfile.TarInfo(n); i.size = len(b); t.addfile(i, io.BytesIO(b))
PY

  # --- containerd: CRI on, runc with cgroupfs, every path under the state folder
  mkdir -p "$state/containerd" "$state/cni/net.d" "$state/cni/ipam"
  local snapshotter="${EVALHUB_SNAPSHOTTER:-overlayfs}"
  cat >"$state/containerd/config.toml" <<TOML
version = 2
root = "$state/containerd/root"
state = "$state/containerd/state"
[grpc]
  address = "$state/containerd/containerd.sock"
[ttrpc]
  address = "$state/containerd/containerd.sock.ttrpc"
[debug]
  address = "$state/containerd/debug.sock"
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$state/containerd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "evalhub.local/pause:3.10"
  # root here lacks CAP_SYS_RESOURCE: no oom_score_adj below containerd's own
  restrict_oom_score_adj = true
  disable_apparmor = true
  disable_hugetlb_controller = true
  netns_mounts_under_state_dir = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "$snapshotter"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        BinaryName = "$(command -v runc)"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$state/cni/net.d"
TOML
  cat >"$state/cni/net.d/10-evalhub.conflist" <<JSON
{
  "cniVersion": "1.0.0",
  "name": "evalhub-stretch",
  "plugins": [
    {
      "type": "bridge", "bridge": "$bridge", "isGateway": true, "ipMasq": false, "hairpinMode": true,
      "ipam": {
        "type": "host-local", "dataDir": "$state/cni/ipam",
        "ranges": [[{ "subnet": "$subnet_prefix.0/24", "gateway": "$gateway" }]],
        "routes": [{ "dst": "0.0.0.0/0" }]
      }
    }
  ]
}
JSON
  # The bridge first, with the gateway address: the node's IP (the kubelet refuses a loopback one,
  # and the API server reaches the kubelet at it for logs), where pods reach the hub and the model.
  # No dummy interface here (no such kernel module); the CNI bridge plugin reuses this one.
  ip link show "$bridge" >/dev/null 2>&1 || ip link add "$bridge" type bridge
  ip addr replace "$gateway/24" dev "$bridge"
  ip link set "$bridge" up
  log "containerd ($snapshotter snapshotter)"
  run containerd containerd --config "$state/containerd/config.toml"
  wait_for "containerd" 30 ctr_ version
  ctr_ images import --snapshotter "$snapshotter" "$state/pause/pause.tar" >&2

  # --- kubelet: serving certificate from the cluster's CA, admin token (system:masters) to register
  local pki="$state/cluster/pki" k="$state/kubelet"
  mkdir -p "$k/root" "$k/pod-logs"
  (
    cd "$k"
    openssl req -newkey rsa:2048 -nodes -subj "/CN=$node_name" -keyout serving.key -out serving.csr 2>/dev/null
    printf 'subjectAltName=IP:%s,DNS:%s\nextendedKeyUsage=serverAuth\n' "$gateway" "$node_name" >serving.ext
    openssl x509 -req -in serving.csr -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial -days 2 \
      -extfile serving.ext -out serving.crt 2>/dev/null
  )
  cat >"$k/config.yaml" <<YAML
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $gateway
port: $kubelet_port
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $healthz_port
tlsCertFile: $k/serving.crt
tlsPrivateKeyFile: $k/serving.key
# host-local only: the API server (no client certificate for kubelets) reads logs anonymously
authentication: { anonymous: { enabled: true }, webhook: { enabled: false }, x509: { clientCAFile: $pki/ca.crt } }
authorization: { mode: AlwaysAllow }
containerRuntimeEndpoint: unix://$state/containerd/containerd.sock
cgroupDriver: cgroupfs
# this host has the cgroup v1 (hybrid) layout; Kubernetes >= 1.35 refuses it unless told
failCgroupV1: false
failSwapOn: false
podLogsDir: $k/pod-logs
maxPods: 20
serializeImagePulls: false
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: { memory.available: 100Mi, nodefs.available: 1%, imagefs.available: 1%, nodefs.inodesFree: 1% }
YAML
  # fixed paths the kubelet creates whatever its --root-dir: removed by `down` if it made them
  for d in /var/lib/kubelet /var/log/containers; do [[ -e "$d" ]] || echo "$d" >>"$state/created-dirs"; done
  log "kubelet $(cut -d' ' -f1 "$bin/VERSIONS") on $gateway:$kubelet_port as node $node_name"
  run kubelet "$bin/kubelet" --config "$k/config.yaml" --kubeconfig "$KUBECONFIG" --root-dir "$k/root" \
    --hostname-override "$node_name" --node-ip "$gateway" --v 2
  node_ready() {
    api GET "/api/v1/nodes/$node_name" | json 'o => (o.status.conditions.find(c => c.type === "Ready") ?? {}).status === "True" ? "ok" : process.exit(1)'
  }
  wait_for "node $node_name Ready" 120 node_ready
  log "node $node_name Ready ($((SECONDS - t0)) s since up)"

  # --- the project's image, from podman's storage into containerd's k8s.io namespace
  local t1=$SECONDS
  # shellcheck source=tools/container/env.sh
  (. "$root/tools/container/env.sh" && podman save --format docker-archive -o "$state/image.tar" "$image")
  ctr_ images import --snapshotter "$snapshotter" "$state/image.tar" >&2
  rm -f "$state/image.tar"
  log "image $image imported in $((SECONDS - t1)) s: $(ctr_ images ls -q | grep -v '^sha256:' | tr '\n' ' ')"
}

image_ref() { ctr_ images ls -q | grep -v '^sha256:' | grep -E "(^|/)${image%%:*}:${image#*:}$" | head -1; }

# --- smoke: a pod of the image running `node --version` -------------------------------------------
smoke() {
  load_env
  local ref pod=node-version t0=$SECONDS
  ref="$(image_ref)"
  api POST /api/v1/namespaces/default/pods -d "{
    \"apiVersion\": \"v1\", \"kind\": \"Pod\", \"metadata\": {\"name\": \"$pod\"},
    \"spec\": {\"restartPolicy\": \"Never\", \"automountServiceAccountToken\": false,
      \"nodeSelector\": {\"kubernetes.io/hostname\": \"$node_name\"},
      \"containers\": [{\"name\": \"c\", \"image\": \"$ref\", \"imagePullPolicy\": \"Never\",
        \"command\": [\"node\", \"--version\"]}]}}" >/dev/null
  phase() { api GET "/api/v1/namespaces/default/pods/$pod" | json 'o => o.status.phase'; }
  local p=""
  for _ in $(seq 1 240); do
    p="$(phase)"
    [[ "$p" == Succeeded || "$p" == Failed ]] && break
    sleep 0.5
  done
  log "pod $pod: $p after $((SECONDS - t0)) s"
  api GET "/api/v1/namespaces/default/pods/$pod" | json 'o => JSON.stringify(o.status.containerStatuses?.[0]?.state)' >&2
  local out
  out="$(api GET "/api/v1/namespaces/default/pods/$pod/log" || true)"
  log "its log through the API server: $out"
  api DELETE "/api/v1/namespaces/default/pods/$pod" >/dev/null || true
  [[ "$p" == Succeeded && "$out" == v* ]]
}

# --- bench: the hub (in a container of the same image, host network) runs arc_easy as a Job ----------
bench_stop() { # the hub containers, the fixture model server and the namespace of a bench
  local c
  for c in evalhub-stretch-hub evalhub-stretch-hub-local; do
    ctr_ tasks kill -s SIGKILL "$c" >/dev/null 2>&1 || true
    ctr_ tasks delete -f "$c" >/dev/null 2>&1 || true
    ctr_ containers rm "$c" >/dev/null 2>&1 || true
  done
  [[ -f "$state/fixture-model.pid" ]] && kill "$(cat "$state/fixture-model.pid")" 2>/dev/null || true
  rm -f "$state/fixture-model.pid"
  if api GET "/api/v1/namespaces/$ns" >/dev/null 2>&1; then
    api DELETE "/api/v1/namespaces/$ns" >/dev/null || true
    wait_for "namespace $ns gone" 120 bash -c "! curl -fsS --cacert '$KUBE_CA_FILE' -H 'Authorization: Bearer $KUBE_ADMIN_TOKEN' '$KUBE_API_URL/api/v1/namespaces/$ns'"
  fi
}

bench() {
  load_env
  bench_stop
  local ref t0=$SECONDS h="$state/hub"
  ref="$(image_ref)"
  rm -rf "$h"
  mkdir -p "$h/data"
  cp "$root/packages/provider-lmeval/test/data/arc-sample.jsonl" "$h/data/"
  # namespace and the project's RBAC (deploy/kubernetes/overlays/jobs/rbac.yaml), a token for the hub
  api POST /api/v1/namespaces -d "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"$ns\"}}" >/dev/null
  local doc
  while IFS= read -r doc; do
    local kind plural group
    kind="$(echo "$doc" | json 'o => o.kind')"
    case "$kind" in
      ServiceAccount) group=/api/v1 plural=serviceaccounts ;;
      Role) group=/apis/rbac.authorization.k8s.io/v1 plural=roles ;;
      RoleBinding) group=/apis/rbac.authorization.k8s.io/v1 plural=rolebindings ;;
      *) continue ;;
    esac
    api POST "$group/namespaces/$ns/$plural" -d "$doc" >/dev/null
  done < <(cd "$root" && node -e '
    const yaml = require("js-yaml");
    const ns = process.argv[1];
    for (const d of yaml.loadAll(require("fs").readFileSync("deploy/kubernetes/overlays/jobs/rbac.yaml", "utf8"))) {
      if (!d) continue;
      d.metadata.namespace = ns;
      for (const s of d.subjects ?? []) if (s.kind === "ServiceAccount") s.namespace = ns;
      console.log(JSON.stringify(d));
    }' "$ns")
  api POST "/api/v1/namespaces/$ns/serviceaccounts/eval-hub/token" \
    -d '{"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest","spec":{"expirationSeconds":3600}}' |
    json 'o => o.status.token' | tr -d '\n' >"$h/token" # the runtime sends the file as is
  cp "$KUBE_CA_FILE" "$h/ca.crt"
  cat >"$h/evalhub.config.yaml" <<YAML
python: /opt/evalhub/venv/bin/python
data_root: /data
tracker: jsonl
runtime: kubernetes
kubernetes:
  namespace: $ns
  image: $ref
  image_pull_policy: Never
  callback_url: http://$gateway:$HUB_PORT
  kube: { server: "$KUBE_API_URL", token_file: /stretch/token, ca_file: /stretch/ca.crt }
  pod:
    service_account: eval-hub-benchmark
    node_selector: { kubernetes.io/hostname: $node_name }
YAML
  chmod -R a+rX "$h"

  # the fixture model server (a stand-in for model weights) on the bridge's address, as the hub
  log "fixture model server on $gateway:$MODEL_PORT"
  (cd "$root" && run fixture-model node --import "$root/node_modules/tsx/dist/esm/index.mjs" \
    tools/src/fixture-model/main.ts --host "$gateway" --port "$MODEL_PORT")
  wait_for "fixture model" 60 curl -fsS "http://$gateway:$MODEL_PORT/v1/models"

  local k8s loc=""
  k8s="$(hub_eval evalhub-stretch-hub "$HUB_PORT" kubernetes "$ref")"
  api GET "/apis/batch/v1/namespaces/$ns/jobs" | json 'o => o.items.map(j => `job ${j.metadata.name}: succeeded=${j.status.succeeded ?? 0} failed=${j.status.failed ?? 0}`).join("\n")' >&2
  api GET "/api/v1/namespaces/$ns/pods" | json 'o => o.items.map(p => `pod ${p.metadata.name} on ${p.spec.nodeName}: ${p.status.phase}`).join("\n")' >&2
  # the same benchmark with the local runtime, in the same image: the scores must be equal
  if [[ -n "$k8s" ]]; then loc="$(hub_eval evalhub-stretch-hub-local "$HUB_LOCAL_PORT" local "$ref")"; fi
  log "bench: $((SECONDS - t0)) s in all; metrics kubernetes=$k8s local=$loc"
  bench_stop
  [[ -n "$k8s" && "$k8s" == "$loc" ]]
}

# One hub in a container of the image (ctr run, host network, on the bridge address), one arc_easy
# evaluation; prints the benchmark's metrics (JSON) if it completed. Args: name, port, runtime, image.
hub_eval() {
  local name="$1" port="$2" runtime="$3" ref="$4" h="$state/hub" t0=$SECONDS
  log "hub $name: ctr run --net-host $ref (evalhub serve on $gateway:$port, runtime $runtime)"
  ctr_ run -d --net-host --log-uri "file://$state/$name.log" \
    --mount "type=bind,src=$h,dst=/stretch,options=rbind:ro" \
    --mount "type=bind,src=$h/data,dst=/data,options=rbind:ro" \
    --env EVALHUB_CONFIG=/stretch/evalhub.config.yaml \
    --env "EVALHUB_RUNTIME=$runtime" \
    --env EVALHUB_DATA_DIR=/tmp/evalhub-data \
    --env "EVALHUB_MODEL_SERVERS=fixture=http://$gateway:$MODEL_PORT/v1" \
    "$ref" "$name" tini -- evalhub serve --host "$gateway" --port "$port" >&2
  local url="http://$gateway:$port"
  wait_for "hub $name health (log: $state/$name.log)" 120 curl -fsS "$url/api/v1/health"
  local id st=""
  id="$(curl -fsS -X POST -H 'content-type: application/json' "$url/api/v1/evaluations" -d '{
    "model": {"server": "fixture", "name": "fixture", "configuration": {}},
    "benchmarks": [{"benchmark_id": "arc_easy", "provider_id": "lm_evaluation_harness",
      "config": {"num_fewshot": 0, "dataset_path": "arc-sample.jsonl"}}],
    "experiment": {"name": "kubelet-stretch"}}' | json 'o => o.id')"
  log "evaluation $id submitted to $name"
  for _ in $(seq 1 600); do
    st="$(curl -fsS "$url/api/v1/evaluations/$id" | json 'o => o.status')"
    [[ "$st" == completed || "$st" == failed || "$st" == cancelled ]] && break
    sleep 1
  done
  curl -fsS "$url/api/v1/evaluations/$id" >"$state/$name.evaluation.json"
  log "evaluation $id ($runtime): $st after $((SECONDS - t0)) s; benchmark: $(json 'o => JSON.stringify({status: o.benchmarks[0].status, error: o.benchmarks[0].error})' <"$state/$name.evaluation.json")"
  if [[ "$runtime" == kubernetes ]]; then
    # the benchmark's log, read by the hub from the pod log API (kubelet → containerd's CRI log)
    local pid
    pid="$(ctr_ tasks ls | awk -v n="$name" '$1 == n {print $2}')"
    cp "/proc/$pid/root/tmp/evalhub-data/evaluations/$id/logs/0-arc_easy.log" "$state/bench-kubernetes.log" 2>/dev/null || true
    log "benchmark log lines: $(grep -c . "$state/bench-kubernetes.log" 2>/dev/null || echo 0), e.g.: $(grep -m1 '\[evalhub kubernetes\] pod .* running' "$state/bench-kubernetes.log" 2>/dev/null || true)"
  fi
  ctr_ tasks kill -s SIGKILL "$name" >/dev/null 2>&1 || true
  ctr_ tasks delete -f "$name" >/dev/null 2>&1 || true
  ctr_ containers rm "$name" >/dev/null 2>&1 || true
  [[ "$st" == completed ]] && json 'o => JSON.stringify(o.benchmarks[0].results.metrics)' <"$state/$name.evaluation.json"
  return 0
}

case "$cmd" in
  up) down; up ;;
  smoke) smoke ;;
  bench) bench ;;
  down) down ;;
  all)
    down
    trap 'down' EXIT
    up
    smoke
    bench
    ;;
  *) echo "usage: $0 all|up|smoke|bench|down [STATE_DIR]" >&2; exit 2 ;;
esac
