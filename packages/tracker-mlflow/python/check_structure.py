"""Reads one Eval Hub evaluation back with MLflow's own Python client and checks the spec's structure.

Usage: python check_structure.py < expectation.json

The expectation (JSON on stdin):
  {"tracking_uri", "experiment_name", "experiment_tags": {..}, "evaluation_id", "run_id",
   "run_status", "model_name", "benchmarks": [..], "params": {..}, "metrics": {..}, "artifacts": [..]}

Prints one JSON object: {"ok": bool, "checks": [{"name", "ok", "detail"}], "experiment": {..}, "run": {..},
"artifacts": [..]}. Exit code 0 even when checks fail (the caller asserts on the JSON).
"""

import json
import sys

from mlflow.tracking import MlflowClient


def list_all(client, run_id, path=None):
    out = []
    for f in client.list_artifacts(run_id, path):
        if f.is_dir:
            out.extend(list_all(client, run_id, f.path))
        else:
            out.append(f.path)
    return out


def main():
    want = json.load(sys.stdin)
    client = MlflowClient(tracking_uri=want["tracking_uri"])
    checks = []

    def check(name, ok, detail=""):
        checks.append({"name": name, "ok": bool(ok), "detail": str(detail)[:500]})

    exp = client.get_experiment_by_name(want["experiment_name"])
    check("experiment exists", exp is not None, want["experiment_name"])
    if exp is None:
        print(json.dumps({"ok": False, "checks": checks}))
        return
    etags = dict(exp.tags)
    user_tags = {k: v for k, v in etags.items() if not k.startswith("mlflow.")}
    check("experiment name is {prefix}_{experiment.name}", exp.name == want["experiment_name"], exp.name)
    check("experiment tags map experiment.tags", user_tags == want["experiment_tags"], user_tags)
    note = etags.get("mlflow.note.content", "")
    check(
        "experiment description names model and benchmarks",
        want["model_name"] in note and all(b in note for b in want["benchmarks"]),
        note,
    )
    check("experiment opens on the runs view", etags.get("mlflow.experimentKind") == "custom_model_development",
          etags.get("mlflow.experimentKind"))

    runs = client.search_runs(
        [exp.experiment_id], filter_string=f"tags.`evalhub.evaluation_id` = '{want['evaluation_id']}'"
    )
    check("one run per evaluation", len(runs) == 1, len(runs))
    run = client.get_run(want["run_id"])
    rtags = run.data.tags
    check("run status follows the evaluation", run.info.status == want["run_status"], run.info.status)
    check("run has an end time", run.info.end_time is not None and run.info.end_time >= run.info.start_time,
          run.info.end_time)
    check("run tags include experiment tags",
          all(rtags.get(k) == v for k, v in want["experiment_tags"].items()), rtags)
    check("run tags include model configuration",
          rtags.get("evalhub.model.name") == want["model_name"] and "evalhub.model.server" in rtags, rtags)
    check("run tags include benchmark details",
          rtags.get("evalhub.benchmarks") == ",".join(want["benchmarks"])
          and rtags.get("evalhub.benchmark_count") == str(len(want["benchmarks"])), rtags)
    check("run tags include generated metadata",
          rtags.get("evalhub.evaluation_id") == want["evaluation_id"] and "evalhub.hub_version" in rtags, rtags)
    check("run description says what was evaluated",
          want["model_name"] in rtags.get("mlflow.note.content", ""), rtags.get("mlflow.note.content"))
    params = run.data.params
    check("params as expected", all(params.get(k) == v for k, v in want["params"].items()),
          {k: params.get(k) for k in want["params"]})
    metrics = run.data.metrics
    mismatched = {k: [metrics.get(k), v] for k, v in want["metrics"].items() if metrics.get(k) != v}
    check("metric values equal the engine's numbers", not mismatched, mismatched)
    artifacts = list_all(client, run.info.run_id)
    check("artifacts present", all(a in artifacts for a in want["artifacts"]), artifacts)

    print(json.dumps({
        "ok": all(c["ok"] for c in checks),
        "checks": checks,
        "experiment": {"id": exp.experiment_id, "name": exp.name, "lifecycle_stage": exp.lifecycle_stage,
                       "tags": etags},
        "run": {"id": run.info.run_id, "name": run.info.run_name, "status": run.info.status, "tags": rtags,
                "params": params, "metrics": metrics},
        "artifacts": artifacts,
    }))


if __name__ == "__main__":
    main()
