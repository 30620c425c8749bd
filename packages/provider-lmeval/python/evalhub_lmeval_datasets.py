"""Fill the Hugging Face datasets cache with the data of lm-eval tasks (`evalhub datasets pull`).

Run it with the Python that runs lm-eval, where the Hugging Face hub can be reached (or an
HF_ENDPOINT mirror); an air-gapped hub then runs the same tasks offline from that cache:

    python evalhub_lmeval_datasets.py pull arc_easy gsm8k [--revision REV] [--include-path DIR]

The cache is the one `datasets` uses: HF_DATASETS_CACHE, else $HF_HOME/datasets, else
~/.cache/huggingface/datasets. A token comes from HF_TOKEN in the environment only. Prints one JSON
object per line on stdout: {"event": "pulled"|"failed", "task", "dataset", "splits"|"error"}, then
{"event": "done", "cache", "pulled", "failed"}; exits 1 when any task failed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys


def emit(event: dict) -> None:
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


def cache_dir() -> str:
    if os.environ.get("HF_DATASETS_CACHE"):
        return os.environ["HF_DATASETS_CACHE"]
    home = os.environ.get("HF_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "huggingface"
    )
    return os.path.join(home, "datasets")


def leaf_tasks(loaded) -> list:
    """The Task objects of a load_task_or_group result (groups are nested dicts)."""
    out = []
    for value in loaded.values():
        if isinstance(value, dict):
            out.extend(leaf_tasks(value))
        else:
            out.append(value)
    return out


def pull(task_names: list[str], revision: str | None, include_path: str | None) -> int:
    # imported here so --help works without lm-eval
    from lm_eval.tasks import TaskManager

    manager = TaskManager(include_path=include_path) if include_path else TaskManager()
    failed = 0
    pulled = 0
    for name in task_names:
        spec: str | dict = name
        if revision:
            spec = {"task": name, "dataset_kwargs": {"revision": revision}}
        try:
            # building a task downloads and prepares its dataset into the cache (datasets.load_dataset)
            loaded = manager.load_task_or_group([spec])
            for task in leaf_tasks(loaded):
                config = task.config
                dataset = getattr(task, "dataset", None)
                emit(
                    {
                        "event": "pulled",
                        "task": getattr(config, "task", name),
                        "dataset": {"path": config.dataset_path, "name": config.dataset_name},
                        "splits": {k: len(v) for k, v in dataset.items()} if dataset is not None else {},
                    }
                )
                pulled += 1
        except Exception as err:  # noqa: BLE001 - every failure is reported per task
            failed += 1
            emit({"event": "failed", "task": name, "error": f"{type(err).__name__}: {err}"[:2000]})
    emit({"event": "done", "cache": cache_dir(), "pulled": pulled, "failed": failed})
    return 1 if failed else 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("pull", help="download the datasets of lm-eval tasks into the cache")
    p.add_argument("tasks", nargs="+", help="lm-eval task or group names, e.g. arc_easy")
    p.add_argument("--revision", help="dataset revision (commit, tag or branch) to pin")
    p.add_argument("--include-path", help="folder of custom task YAMLs")
    args = parser.parse_args(argv)
    return pull(args.tasks, args.revision, args.include_path)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
