"""The Python `mlflow` client logging the same evaluation as the Eval Hub tracker (benchmark helper).

Reads {"tracking_uri", "experiment", "iterations", "benchmarks", "metrics_per_benchmark", "params",
"artifacts": [paths], "run_tags": {..}, "finish_tags": {..}} on stdin and prints
{"times_ms": [...]} — wall time of each iteration, measured inside the process (imports excluded).
Uses MlflowClient with batched calls (log_batch), the efficient way to use it.
"""

import json
import os
import sys
import time

from mlflow.entities import Metric, Param, RunTag
from mlflow.tracking import MlflowClient


def main():
    cfg = json.load(sys.stdin)
    client = MlflowClient(tracking_uri=cfg["tracking_uri"])
    times = []
    for i in range(cfg["iterations"]):
        t0 = time.perf_counter()
        exp = client.get_experiment_by_name(cfg["experiment"])
        exp_id = exp.experiment_id if exp else client.create_experiment(cfg["experiment"], tags=cfg["experiment_tags"])
        run = client.create_run(exp_id, run_name=f"python-{i}", tags=cfg["run_tags"])
        run_id = run.info.run_id
        now = int(time.time() * 1000)
        metrics = [
            Metric(f"bench{b}.metric_{m}", (b * 1000 + m) / 7919.0, now, 0)
            for b in range(cfg["benchmarks"])
            for m in range(cfg["metrics_per_benchmark"])
        ]
        params = [Param(f"model.setting_{p}", str(p)) for p in range(cfg["params"])]
        client.log_batch(run_id, metrics=metrics, params=params)
        for path in cfg["artifacts"]:
            client.log_artifact(run_id, path, artifact_path=os.path.basename(os.path.dirname(path)))
        client.log_batch(run_id, tags=[RunTag(k, v) for k, v in cfg["finish_tags"].items()])
        client.set_terminated(run_id, "FINISHED")
        times.append((time.perf_counter() - t0) * 1000)
    print(json.dumps({"times_ms": times}))


if __name__ == "__main__":
    main()
