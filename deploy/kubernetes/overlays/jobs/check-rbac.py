"""Checks the rendered jobs overlay (deploy/validate-manifests.sh runs it): namespaced RBAC only,
the Role grants exactly what @evalhub/runtime-kubernetes uses, the hub pod has its API token."""
import sys

import yaml

docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
kinds = {}
for d in docs:
    kinds.setdefault(d["kind"], []).append(d)
problems = []
for k in ("ClusterRole", "ClusterRoleBinding"):
    if kinds.get(k):
        problems.append(f"{k} found: the jobs overlay must grant nothing cluster-wide")
want = {
    ("batch", "jobs"): {"create", "get", "list", "watch", "delete"},
    ("", "pods"): {"get", "list", "watch"},
    ("", "pods/log"): {"get"},
    ("", "secrets"): {"create", "get", "delete"},
}
roles = kinds.get("Role", [])
got = {}
for rule in (roles[0]["rules"] if roles else []):
    for g in rule["apiGroups"]:
        for r in rule["resources"]:
            got.setdefault((g, r), set()).update(rule["verbs"])
if got != want:
    problems.append(f"Role rules {got} differ from what the runtime needs {want}")
bindings = kinds.get("RoleBinding", [])
if not bindings or bindings[0]["subjects"][0].get("name") != "eval-hub":
    problems.append("a RoleBinding of the Role to ServiceAccount eval-hub")
pod = kinds["Deployment"][0]["spec"]["template"]["spec"]
if pod.get("serviceAccountName") != "eval-hub":
    problems.append("the hub pod must run as ServiceAccount eval-hub")
if not any("projected" in v for v in pod.get("volumes", [])):
    problems.append("the hub pod needs the projected API token volume")
if problems:
    sys.exit("jobs overlay: " + "; ".join(problems))
print(f"   jobs overlay RBAC: namespaced only, {len(want)} rules as the runtime needs")
