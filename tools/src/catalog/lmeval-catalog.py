#!/usr/bin/env python3
"""Generate the benchmark catalog of @evalhub/provider-lmeval from the installed lm-evaluation-harness.

Reads the task YAMLs of the lm-eval found on this interpreter (through its own TaskManager, so
`include:` chains are resolved exactly as lm-eval resolves them) and writes
packages/provider-lmeval/src/catalog.generated.ts.

Run with the project's venv, then format:
  .venv/bin/python tools/src/catalog/lmeval-catalog.py [--out FILE]
  npx prettier --write packages/provider-lmeval/src/catalog.generated.ts

What comes from lm-eval: output type, metrics (with filters), higher-is-better, version, default
n-shot, dataset, and the prompt template used for local-data runs. What is curated here: the task
list, a display name, a one-line description and a category.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

# (task id, display name, category, description)
TASKS = [
    ("arc_easy", "ARC Easy", "reasoning", "AI2 Reasoning Challenge, easy set: grade-school science multiple-choice questions."),
    ("arc_challenge", "ARC Challenge", "reasoning", "AI2 Reasoning Challenge, challenge set: science questions that retrieval and co-occurrence methods get wrong."),
    ("hellaswag", "HellaSwag", "commonsense", "Commonsense sentence completion: pick the most plausible continuation of an everyday scenario."),
    ("mmlu", "MMLU", "knowledge", "Massive Multitask Language Understanding: 57 subjects from STEM to humanities (group of subtasks)."),
    ("gsm8k", "GSM8K", "math", "Grade-school math word problems answered by generation; the final number is extracted and matched."),
    ("winogrande", "WinoGrande", "commonsense", "Pronoun resolution (Winograd schema) at scale: choose the option that fits the sentence."),
    ("truthfulqa_mc2", "TruthfulQA MC2", "safety", "TruthfulQA multiple-true multiple-choice: probability mass on the true answers to questions people often get wrong."),
    ("piqa", "PIQA", "commonsense", "Physical Interaction QA: choose the better solution to an everyday physical goal."),
    ("boolq", "BoolQ", "reading_comprehension", "Yes/no questions about a Wikipedia passage."),
    ("lambada_openai", "LAMBADA (OpenAI)", "language_modeling", "Predict the last word of a passage that needs broad context (OpenAI preprocessing)."),
    ("openbookqa", "OpenBookQA", "reasoning", "Elementary science questions that need a core fact plus common knowledge."),
    ("sciq", "SciQ", "reasoning", "Crowd-sourced science exam questions with a supporting passage."),
    ("wikitext", "WikiText-2", "language_modeling", "Document-level perplexity on WikiText-2 (rolling loglikelihood)."),
]

# Task keys copied into a local-data task (the prompt template and scoring); dataset keys are not.
TEMPLATE_KEYS = [
    "output_type", "doc_to_text", "doc_to_target", "doc_to_choice", "target_delimiter", "fewshot_delimiter",
    "description", "metric_list", "generation_kwargs", "filter_list", "repeats", "num_fewshot",
]
# Keys that, when set to a Python function, make the task unusable over a plain JSONL file.
FUNCTION_KEYS = ["process_docs", "process_results", "doc_to_text", "doc_to_target", "doc_to_choice"]

LOGLIKELIHOOD_TYPES = {"multiple_choice", "loglikelihood", "loglikelihood_rolling"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    repo = Path(__file__).resolve().parents[3]
    parser.add_argument("--out", default=str(repo / "packages/provider-lmeval/src/catalog.generated.ts"))
    args = parser.parse_args()

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    import lm_eval  # noqa: E402
    from lm_eval.tasks import TaskManager  # noqa: E402

    version = getattr(lm_eval, "__version__", None)
    if version is None:
        from importlib.metadata import version as dist_version
        version = dist_version("lm_eval")
    tasks_root = str(Path(lm_eval.__file__).resolve().parent / "tasks")
    index = TaskManager().task_index

    def is_function(value: object) -> bool:
        # lm-eval resolves `!function mod.fn` to "<task folder>/mod.fn"
        return isinstance(value, str) and value.startswith(tasks_root) or callable(value)

    def config_of(name: str) -> dict:
        entry = index.get(name)
        if entry is None:
            raise SystemExit(f"lm-eval {version} has no task '{name}'")
        return dict(entry.cfg or {}), str(entry.yaml_path), entry.kind.name

    def tagged(tag: str) -> list[str]:
        return sorted(n for n, e in index.items() if e.kind.name == "TASK" and tag in (e.tags or set()))

    benchmarks = []
    for task_id, display, category, description in TASKS:
        cfg, yaml_path, kind = config_of(task_id)
        rel_yaml = os.path.relpath(yaml_path, tasks_root)
        subtasks: list[str] = []
        if kind == "GROUP":
            # walk the group to a leaf task for output type and filters
            leaf = cfg
            pending = list(cfg.get("task", []))
            while pending:
                name = pending.pop(0)
                if isinstance(name, dict):
                    continue
                sub_cfg, _, sub_kind = config_of(name)
                if sub_kind == "GROUP":
                    pending = list(sub_cfg.get("task", [])) + pending
                elif sub_kind == "TAG":
                    pending = tagged(name) + pending
                else:
                    subtasks.append(name)
                    if leaf is cfg:
                        leaf = sub_cfg
            metric_list = cfg.get("aggregate_metric_list", [])
            output_type = leaf.get("output_type")
            filters = ["none"]
            higher = {m["metric"]: bool(m.get("higher_is_better", True)) for m in metric_list}
            template = None
            num_fewshot = cfg.get("num_fewshot", leaf.get("num_fewshot", 0))
            dataset = {"path": leaf.get("dataset_path")}
        else:
            metric_list = cfg.get("metric_list", [])
            output_type = cfg.get("output_type")
            filters = [f["name"] for f in cfg.get("filter_list", [])] or ["none"]
            higher = {m["metric"]: bool(m.get("higher_is_better", True)) for m in metric_list}
            num_fewshot = cfg.get("num_fewshot", 0)
            dataset = {"path": cfg.get("dataset_path"), "name": cfg.get("dataset_name")}
            local_ok = not any(is_function(cfg.get(k)) for k in FUNCTION_KEYS) and not any(
                is_function(v) for v in json.dumps(cfg.get("filter_list", []), default=str).split('"')
            )
            template = {k: cfg[k] for k in TEMPLATE_KEYS if k in cfg and cfg[k] is not None} if local_ok else None

        base_metrics = [m["metric"] for m in metric_list]
        metrics: list[str] = []
        for filt in filters:
            for metric in base_metrics:
                metrics.append(metric if filt == "none" else f"{metric}_{filt}")
        benchmarks.append({
            "id": task_id,
            "name": display,
            "description": description,
            "category": category,
            "output_type": output_type,
            "metrics": metrics,
            "primary_metric": metrics[0] if metrics else None,
            "higher_is_better": higher,
            "version": (cfg.get("metadata") or {}).get("version"),
            "num_fewshot": num_fewshot,
            "needs_loglikelihood": output_type in LOGLIKELIHOOD_TYPES,
            "dataset": {k: v for k, v in dataset.items() if v is not None},
            "yaml": rel_yaml,
            **({"subtasks": len(subtasks)} if subtasks else {}),
            "local_template": template,
        })

    body = json.dumps(benchmarks, indent=2, ensure_ascii=False)
    text = (
        "// GENERATED by tools/src/catalog/lmeval-catalog.py from lm-eval "
        f"{version}. Do not edit by hand: re-run the script.\n"
        "import type { LmEvalCatalogEntry } from './catalog-types.js';\n\n"
        f"export const LMEVAL_VERSION = {json.dumps(version)};\n\n"
        f"export const LMEVAL_CATALOG: readonly LmEvalCatalogEntry[] = {body};\n"
    )
    Path(args.out).write_text(text, encoding="utf-8")
    print(f"wrote {len(benchmarks)} tasks from lm-eval {version} to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
