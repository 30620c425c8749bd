#!/usr/bin/env bash
# Validates the Kubernetes manifests client-side and offline:
#   1. renders deploy/kubernetes/base and every overlay with kustomize;
#   2. validates every rendered object against the Kubernetes OpenAPI schemas (strict: unknown
#      fields are errors) for the oldest and newest Kubernetes versions we support, with
#      kubernetes-validate, whose schemas ship inside its PyPI package;
#   3. checks what the deployment must keep: the spec's MLflow env, probes on the health endpoint,
#      the restricted security context, writable mounts, optional secret references, one replica
#      (the ha overlay: two replicas on PostgreSQL, a PodDisruptionBudget, the database URL from a Secret);
#   4. loads the ConfigMap's evalhub.config.yaml with the hub's own config loader (when built).
#
#   deploy/validate-manifests.sh
#
# Tools are installed once into deploy/.tools (git-ignored; EVALHUB_DEPLOY_TOOLS moves it):
# kustomize with `go install` from the Go module proxy, kubernetes-validate with pip from PyPI.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="${EVALHUB_DEPLOY_TOOLS:-$root/deploy/.tools}"
KUSTOMIZE_VERSION=v5.8.1
KUBERNETES_VALIDATE_VERSION=1.37.0
KUBERNETES_VERSIONS=(1.29.0 1.37.0)
start=$SECONDS

mkdir -p "$tools"
tools="$(cd "$tools" && pwd)"
kustomize="$tools/kustomize-$KUSTOMIZE_VERSION"
kv_venv="$tools/kubernetes-validate-$KUBERNETES_VALIDATE_VERSION"

if [ ! -x "$kustomize" ]; then
  command -v go > /dev/null || {
    echo "validate-manifests: Go is needed once to install kustomize ($KUSTOMIZE_VERSION)" >&2
    exit 1
  }
  echo "== installing kustomize $KUSTOMIZE_VERSION (go install, once)"
  gobin="$(mktemp -d)"
  GOBIN="$gobin" GOFLAGS=-modcacherw go install "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION"
  mv "$gobin/kustomize" "$kustomize"
  rm -rf "$gobin"
fi
if [ ! -x "$kv_venv/bin/kubernetes-validate" ]; then
  echo "== installing kubernetes-validate $KUBERNETES_VALIDATE_VERSION (pip, once)"
  rm -rf "$kv_venv"
  python3 -m venv "$kv_venv"
  "$kv_venv/bin/python" -m pip install --quiet --disable-pip-version-check "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION"
fi
echo "   tools ready ($((SECONDS - start)) s): $("$kustomize" version), kubernetes-validate $KUBERNETES_VALIDATE_VERSION"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "== the spec's Kubernetes/OpenShift env snippet, verbatim, in base/deployment.yaml"
python3 - "$root/deploy/kubernetes/base/deployment.yaml" << 'PY'
import sys

SPEC = '''env:
  - name: MLFLOW_TRACKING_URI
    value: "http://mlflow-service:5000"
  - name: MLFLOW_EXPERIMENT_PREFIX
    value: "production-eval"'''.split("\n")
lines = open(sys.argv[1]).read().split("\n")
for i, line in enumerate(lines):
    if line.strip() == "env:":
        indent = len(line) - len(line.lstrip())
        block = [l[indent:] for l in lines[i : i + len(SPEC)]]
        if block == SPEC:
            print("   found")
            sys.exit(0)
sys.exit("the Deployment does not carry the spec's env snippet verbatim:\n" + "\n".join(SPEC))
PY

targets=("deploy/kubernetes/base")
for o in "$root"/deploy/kubernetes/overlays/*/; do targets+=("deploy/kubernetes/overlays/$(basename "$o")"); done

for t in "${targets[@]}"; do
  out="$work/$(echo "$t" | tr '/' '_').yaml"
  echo "== kustomize build $t"
  "$kustomize" build "$root/$t" > "$out"
  for v in "${KUBERNETES_VERSIONS[@]}"; do
    echo "   schemas of Kubernetes $v (strict)"
    "$kv_venv/bin/kubernetes-validate" --strict --quiet -k "$v" "$out"
  done
  echo "   deployment rules"
  "$kv_venv/bin/python" - "$out" "$t" << 'PY'
import sys
import yaml

path, target = sys.argv[1], sys.argv[2]
# The ha overlay: several replicas on PostgreSQL instead of one on a SQLite file.
ha = target.endswith("/ha")
docs = [d for d in yaml.safe_load_all(open(path)) if d]
by_kind = {}
for d in docs:
    by_kind.setdefault(d["kind"], []).append(d)
problems = []

def check(ok, message):
    if not ok:
        problems.append(message)

deployments = by_kind.get("Deployment", [])
check(len(deployments) == 1, f"expected one Deployment, found {len(deployments)}")
dep = deployments[0]
spec = dep["spec"]
pod = spec["template"]["spec"]
containers = pod["containers"]
check(len(containers) == 1, "expected one container")
c = containers[0]
env = {e["name"]: e for e in c.get("env", [])}

# The spec's Kubernetes/OpenShift snippet, exactly.
check(env.get("MLFLOW_TRACKING_URI") == {"name": "MLFLOW_TRACKING_URI", "value": "http://mlflow-service:5000"},
      f"MLFLOW_TRACKING_URI must be \"http://mlflow-service:5000\", got {env.get('MLFLOW_TRACKING_URI')}")
check(env.get("MLFLOW_EXPERIMENT_PREFIX") == {"name": "MLFLOW_EXPERIMENT_PREFIX", "value": "production-eval"},
      f"MLFLOW_EXPERIMENT_PREFIX must be \"production-eval\", got {env.get('MLFLOW_EXPERIMENT_PREFIX')}")

# Secrets only by reference, and optional so the hub starts without them.
for name, e in env.items():
    ref = e.get("valueFrom", {}).get("secretKeyRef")
    if ref is not None:
        check(ref.get("optional") is True or (ha and name == "EVALHUB_DATABASE_URL"), f"env {name}: secretKeyRef must be optional")
    if any(s in name for s in ("KEY", "TOKEN", "PASSWORD")) and "value" in e:
        problems.append(f"env {name} carries a literal value; use a secretKeyRef")
check(not by_kind.get("Secret"), "manifests must not contain Secrets (reference them)")

# Port and probes on the health endpoint.
check(any(p.get("containerPort") == 8000 for p in c.get("ports", [])), "container port 8000")
for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
    check(c.get(probe, {}).get("httpGet", {}).get("path") == "/api/v1/health", f"{probe} must GET /api/v1/health")
services = by_kind.get("Service", [])
check(any(p.get("port") == 8000 for s in services for p in s["spec"]["ports"]), "a Service on port 8000")

# Resources.
res = c.get("resources", {})
check({"cpu", "memory"} <= set(res.get("requests", {})), "cpu and memory requests")
check("memory" in res.get("limits", {}), "a memory limit")

# Restricted security context (Pod Security Standard "restricted", OpenShift restricted-v2).
psc, csc = pod.get("securityContext", {}), c.get("securityContext", {})
check(psc.get("runAsNonRoot") is True or csc.get("runAsNonRoot") is True, "runAsNonRoot")
check(csc.get("allowPrivilegeEscalation") is False, "allowPrivilegeEscalation: false")
check(csc.get("capabilities", {}).get("drop") == ["ALL"], "capabilities.drop: [ALL]")
check((csc.get("seccompProfile") or psc.get("seccompProfile") or {}).get("type") == "RuntimeDefault", "seccompProfile RuntimeDefault")
check(csc.get("readOnlyRootFilesystem") is True, "readOnlyRootFilesystem")
check(csc.get("privileged") is not True, "not privileged")
check(psc.get("runAsUser", 1) != 0 and csc.get("runAsUser", 1) != 0, "never runAsUser 0")
check(pod.get("automountServiceAccountToken") is False, "automountServiceAccountToken: false")

# With a read-only root, every place the hub writes must be a volume.
mounts = {m["mountPath"]: m for m in c.get("volumeMounts", [])}
volumes = {v["name"]: v for v in pod.get("volumes", [])}
data_dir = env.get("EVALHUB_DATA_DIR", {}).get("value")
check(data_dir in mounts and ("emptyDir" if ha else "persistentVolumeClaim") in volumes[mounts[data_dir]["name"]],
      "EVALHUB_DATA_DIR on " + ("an emptyDir (state in PostgreSQL)" if ha else "the PVC"))
home = env.get("HOME", {}).get("value", "")
check(any(home == p or home.startswith(p.rstrip("/") + "/") for p, m in mounts.items()
          if "emptyDir" in volumes[m["name"]]), "HOME inside an emptyDir")
cfg = env.get("EVALHUB_CONFIG", {}).get("value", "")
cfg_mount = mounts.get(cfg.rsplit("/", 1)[0])
check(cfg_mount is not None and "configMap" in volumes[cfg_mount["name"]], "EVALHUB_CONFIG in the ConfigMap mount")
check(cfg.startswith("/opt/evalhub/"), "the config must sit under /opt/evalhub, where the hub finds its plugins")
claims = {p["metadata"]["name"] for p in by_kind.get("PersistentVolumeClaim", [])}
check(all(v["persistentVolumeClaim"]["claimName"] in claims for v in volumes.values() if "persistentVolumeClaim" in v), "PVC defined")
maps = {m["metadata"]["name"] for m in by_kind.get("ConfigMap", [])}
check(all(v["configMap"]["name"] in maps for v in volumes.values() if "configMap" in v), "ConfigMap defined")

if ha:
    # PostgreSQL: several replicas, rolling updates, at most one evicted at a time, the URL from a Secret.
    check(spec.get("replicas", 1) >= 2, "ha overlay: at least 2 replicas")
    check(spec.get("strategy", {}).get("type") == "RollingUpdate", "ha overlay: strategy RollingUpdate")
    check(env.get("EVALHUB_STORE", {}).get("value") == "postgres", "ha overlay: EVALHUB_STORE=postgres")
    check(env.get("EVALHUB_DATABASE_URL", {}).get("valueFrom", {}).get("secretKeyRef") is not None,
          "ha overlay: EVALHUB_DATABASE_URL from a Secret")
    pdbs = by_kind.get("PodDisruptionBudget", [])
    labels = spec["template"]["metadata"]["labels"]
    check(len(pdbs) == 1 and all(labels.get(k) == v for k, v in pdbs[0]["spec"]["selector"]["matchLabels"].items()),
          "ha overlay: one PodDisruptionBudget selecting the hub's pods")
    check(not by_kind.get("PersistentVolumeClaim"), "ha overlay: no ReadWriteOnce data volume")
else:
    # SQLite: one writer.
    check(spec.get("replicas") == 1, "replicas must be 1 (SQLite store)")
    check(spec.get("strategy", {}).get("type") == "Recreate", "strategy Recreate (one pod on the SQLite file at a time)")

if target.endswith("/example"):
    check(dep["metadata"].get("namespace") == "eval-hub", "example overlay: namespace eval-hub")
    check(c["image"].endswith(":0.1.0"), f"example overlay: pinned image tag, got {c['image']}")

if problems:
    print(f"{target}: {len(problems)} problem(s):\n  " + "\n  ".join(problems), file=sys.stderr)
    sys.exit(1)
print(f"   {target}: {len(docs)} objects ok")
PY
done

"$kv_venv/bin/python" "$root/deploy/kubernetes/overlays/jobs/check-rbac.py" "$work/deploy_kubernetes_overlays_jobs.yaml" # Kubernetes Jobs runtime: namespaced RBAC

config="$root/deploy/kubernetes/base/evalhub.config.yaml"
if [ -f "$root/node_modules/typescript/bin/tsc" ]; then
  (cd "$root" && node node_modules/typescript/bin/tsc -b packages/core)
fi
if [ -f "$root/packages/core/dist/index.js" ]; then
  echo "== hub config loader on the ConfigMap's evalhub.config.yaml"
  (cd "$root" && node --input-type=module -e '
    const { loadConfig } = await import("@evalhub/core");
    const c = loadConfig({ file: process.argv[1], env: {} });
    console.log(`   ok: plugins ${c.plugins.map((p) => p.name).join(", ")}; collections ${c.collections.map((x) => x.id).join(", ")}; model servers ${Object.keys(c.modelServers).join(", ")}`);
  ' "$config")
else
  echo "== (skipped the config loader check: no node_modules, run npm ci first)"
fi

echo "manifests: ok ($((SECONDS - start)) s)"
