#!/usr/bin/env bash
# Starts and stops a real Kubernetes control plane on 127.0.0.1 for tests: etcd, kube-apiserver
# (RBAC, static admin token, service-account signing keys), kube-controller-manager,
# kube-scheduler, and kwok as the node agent of one fake node. Every port is free-picked; keys,
# certificates and tokens are generated at start in the state folder.
#
#   tools/kubernetes/cluster.sh start STATE_DIR   start; writes STATE_DIR/env and STATE_DIR/kubeconfig
#   tools/kubernetes/cluster.sh stop STATE_DIR    stop every process it started and remove STATE_DIR
#
# STATE_DIR/env (shell syntax): KUBE_API_URL, KUBE_CA_FILE, KUBE_ADMIN_TOKEN, KUBE_NODE_NAME,
# KUBE_KWOK_LOG_FILE (the CRI-format log kwok serves for every container).
# Binaries come from tools/kubernetes/build.sh (built once, cached outside the repo).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cmd="${1:-}"
state="${2:-}"
[[ -n "$cmd" && -n "$state" ]] || { echo "usage: $0 start|stop STATE_DIR" >&2; exit 2; }

stop() {
  [[ -f "$state/pids" ]] || { rm -rf "$state"; return 0; }
  # Reverse start order: the node agent first, etcd last.
  local pids
  pids="$(tac "$state/pids")"
  for pid in $pids; do kill "$pid" 2>/dev/null || true; done
  for pid in $pids; do
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  rm -rf "$state"
}

if [[ "$cmd" == stop ]]; then stop; exit 0; fi
[[ "$cmd" == start ]] || { echo "unknown command '$cmd' (start|stop)" >&2; exit 2; }

bin="$("$here/build.sh")"
mkdir -p "$state"
state="$(cd "$state" && pwd)"
: >"$state/pids"
trap 'echo "cluster start failed; logs in $state/*.log" >&2; tail -n 20 "$state"/*.log >&2 || true; stop; exit 1' ERR

# shellcheck source=tools/kubernetes/lib.sh
. "$here/lib.sh"
read -r etcd_port etcd_peer api_port kwok_port <<<"$(free_ports 4)"

# --- keys, certificates, tokens --------------------------------------------------------------------
pki="$state/pki"
mkdir -p "$pki"
(
  cd "$pki"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=evalhub-test-ca" \
    -keyout ca.key -out ca.crt -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  for name in apiserver kwok; do
    openssl req -newkey rsa:2048 -nodes -subj "/CN=$name" -keyout "$name.key" -out "$name.csr" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc\nextendedKeyUsage=serverAuth\n' >"$name.ext"
    openssl x509 -req -in "$name.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
      -extfile "$name.ext" -out "$name.crt" 2>/dev/null
  done
  openssl genrsa -out sa.key 2048 2>/dev/null
  openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
)
admin_token="$(openssl rand -hex 24)"
echo "$admin_token,evalhub-test-admin,evalhub-test-admin,system:masters" >"$pki/tokens.csv"
chmod 600 "$pki"/*

api_url="https://127.0.0.1:$api_port"
cat >"$state/kubeconfig" <<KUBECONFIG
apiVersion: v1
kind: Config
clusters:
  - name: test
    cluster: { server: "$api_url", certificate-authority: "$pki/ca.crt" }
users:
  - name: admin
    user: { token: "$admin_token" }
contexts:
  - name: test
    context: { cluster: test, user: admin }
current-context: test
KUBECONFIG
chmod 600 "$state/kubeconfig"

# --- etcd -------------------------------------------------------------------------------------------
run etcd "$bin/etcd" --name test --data-dir "$state/etcd" \
  --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
  --listen-peer-urls "http://127.0.0.1:$etcd_peer" --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer" \
  --initial-cluster "test=http://127.0.0.1:$etcd_peer" --unsafe-no-fsync --log-level warn
wait_for etcd 60 curl -fsS "http://127.0.0.1:$etcd_port/health"

# --- kube-apiserver ---------------------------------------------------------------------------------
run kube-apiserver "$bin/kube-apiserver" \
  --etcd-servers "http://127.0.0.1:$etcd_port" \
  --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$api_port" \
  --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" \
  --client-ca-file "$pki/ca.crt" \
  --token-auth-file "$pki/tokens.csv" --authorization-mode RBAC \
  --service-account-issuer https://kubernetes.default.svc \
  --service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key" \
  --service-cluster-ip-range 10.96.0.0/24 \
  --kubelet-preferred-address-types InternalIP \
  --profiling=false --v 1
curl_api() { curl -fsS --cacert "$pki/ca.crt" -H "Authorization: Bearer $admin_token" "$@"; }
wait_for kube-apiserver 120 curl_api "$api_url/readyz"

# --- controller manager, scheduler ------------------------------------------------------------------
run kube-controller-manager "$bin/kube-controller-manager" \
  --kubeconfig "$state/kubeconfig" --authentication-kubeconfig "$state/kubeconfig" \
  --authorization-kubeconfig "$state/kubeconfig" \
  --bind-address 127.0.0.1 --secure-port 0 --leader-elect=false \
  --service-account-private-key-file "$pki/sa.key" --root-ca-file "$pki/ca.crt" \
  --use-service-account-credentials=false --v 1
run kube-scheduler "$bin/kube-scheduler" \
  --kubeconfig "$state/kubeconfig" --authentication-kubeconfig "$state/kubeconfig" \
  --authorization-kubeconfig "$state/kubeconfig" \
  --bind-address 127.0.0.1 --secure-port 0 --leader-elect=false --v 1

# --- kwok: one fake node ----------------------------------------------------------------------------
node_name=kwok-node-0
log_file="$state/container.log"
printf '%s stdout F %s\n' "$(date -u +%Y-%m-%dT%H:%M:%S.000000000Z)" "kwok: this node runs no container" >"$log_file"
{
  cat <<KWOK
apiVersion: config.kwok.x-k8s.io/v1alpha1
kind: KwokConfiguration
metadata: { name: kwok }
options:
  nodeIP: 127.0.0.1
  nodePort: $kwok_port
  serverAddress: 127.0.0.1:$kwok_port
  tlsCertFile: $pki/kwok.crt
  tlsPrivateKeyFile: $pki/kwok.key
  manageNodesWithAnnotationSelector: kwok.x-k8s.io/node=fake
  nodeLeaseDurationSeconds: 40
  # a config file replaces kwok's defaults: the log endpoints and every parallelism
  enableDebuggingHandlers: true
  podPlayStageParallelism: 4
  nodePlayStageParallelism: 2
  nodeLeaseParallelism: 2
  podsOnNodeSyncParallelism: 2
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: ClusterLogs
metadata: { name: all-containers }
spec:
  logs:
    - logsFile: $log_file
      follow: true
---
KWOK
  cat "$here/kwok-stages.yaml"
} >"$state/kwok.yaml"
run kwok "$bin/kwok" --kubeconfig "$state/kubeconfig" --config "$state/kwok.yaml" \
  --manage-all-nodes=false --manage-nodes-with-annotation-selector kwok.x-k8s.io/node=fake \
  --node-lease-duration-seconds 40 --server-address "127.0.0.1:$kwok_port"

curl_api -X POST -H 'Content-Type: application/json' "$api_url/api/v1/nodes" -d "{
  \"apiVersion\": \"v1\", \"kind\": \"Node\",
  \"metadata\": {\"name\": \"$node_name\", \"annotations\": {\"kwok.x-k8s.io/node\": \"fake\"},
    \"labels\": {\"kubernetes.io/hostname\": \"$node_name\", \"kubernetes.io/os\": \"linux\", \"type\": \"kwok\"}}
}" >/dev/null
node_ready() {
  curl_api "$api_url/api/v1/nodes/$node_name" | node -e '
    let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
      const ready = (JSON.parse(s).status?.conditions ?? []).find((c) => c.type === "Ready");
      process.exit(ready?.status === "True" ? 0 : 1);
    });'
}
wait_for "node $node_name Ready" 60 node_ready
# Pods need the namespace's default ServiceAccount, made by the controller manager.
wait_for "default ServiceAccount" 60 curl_api "$api_url/api/v1/namespaces/default/serviceaccounts/default"

cat >"$state/env" <<ENV
KUBE_API_URL=$api_url
KUBE_CA_FILE=$pki/ca.crt
KUBE_ADMIN_TOKEN=$admin_token
KUBE_NODE_NAME=$node_name
KUBE_KWOK_LOG_FILE=$log_file
KUBECONFIG=$state/kubeconfig
ENV
chmod 600 "$state/env"
trap - ERR
echo "cluster ready at $api_url (state in $state)"
