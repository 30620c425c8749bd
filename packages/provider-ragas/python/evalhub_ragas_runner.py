#!/usr/bin/env python3
"""Eval Hub RAGAS runner.

Usage: python evalhub_ragas_runner.py SPEC_JSON_PATH

Reads an input spec (JSON), scores every row of the dataset with the requested RAGAS metrics
(ragas 0.4.x, `ragas.metrics.collections` API, one `ascore` call per row and metric under a
semaphore) and writes a results JSON file. Progress and errors are reported on stdout as single
JSON lines; everything else (library output, warnings) goes to stderr. The contract is documented
in the package README ("Runner contract") and mirrored by src/contract.ts.

Exit codes: 0 success, 2 invalid spec or dataset, 3 a metric failed on every row (judge error),
4 ragas could not be imported, 1 anything else.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import math
import os
import sys
import time
import types
import typing as t

CONTRACT_VERSION = 1

# stdout is reserved for contract events: keep a private handle on it and send anything else
# that writes to fd 1 (libraries, print) to stderr.
_EVENTS = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
os.dup2(2, 1)
sys.stdout = sys.stderr


def emit(event: str, **fields: t.Any) -> None:
    _EVENTS.write(json.dumps({"event": event, **fields}, allow_nan=False) + "\n")
    _EVENTS.flush()


class SpecError(Exception):
    """The spec or the dataset is unusable (exit code 2)."""


class MetricFailed(Exception):
    """A metric failed on every row, e.g. the judge is unreachable (exit code 3)."""


# --------------------------------------------------------------------------------------------
# Metric catalog (mirrors src/catalog.ts): id -> (factory, needs llm, needs embeddings)
# --------------------------------------------------------------------------------------------

LEGACY_COLUMNS = {
    "question": "user_input",
    "answer": "response",
    "contexts": "retrieved_contexts",
    "ground_truth": "reference",
}
LIST_COLUMNS = {"retrieved_contexts", "reference_contexts"}


def _ensure_ragas_importable() -> None:
    """ragas 0.4.3 imports `langchain_community.chat_models.vertexai`, which langchain-community
    0.4 removed (tools/python/requirements.txt pins 0.3.31, which still has it). ragas only uses
    that class in an isinstance list, so in an environment with a newer langchain-community a
    placeholder module lets ragas import. A no-op when the module exists."""
    try:
        import langchain_community.chat_models.vertexai  # noqa: F401
    except ImportError:
        placeholder = types.ModuleType("langchain_community.chat_models.vertexai")

        class ChatVertexAI:  # never instantiated: only used in isinstance checks
            pass

        placeholder.ChatVertexAI = ChatVertexAI  # type: ignore[attr-defined]
        sys.modules["langchain_community.chat_models.vertexai"] = placeholder


def build_metric(metric_id: str, llm: t.Any, embeddings: t.Any) -> t.Any:
    from ragas.metrics import collections as c

    factories: dict[str, t.Callable[[], t.Any]] = {
        # LLM-judged
        "faithfulness": lambda: c.Faithfulness(llm=llm),
        "answer_relevancy": lambda: c.AnswerRelevancy(llm=llm, embeddings=embeddings),
        "context_precision": lambda: c.ContextPrecision(llm=llm),
        "context_utilization": lambda: c.ContextUtilization(llm=llm),
        "context_recall": lambda: c.ContextRecall(llm=llm),
        "context_entity_recall": lambda: c.ContextEntityRecall(llm=llm),
        "factual_correctness": lambda: c.FactualCorrectness(llm=llm),
        "answer_correctness": lambda: c.AnswerCorrectness(llm=llm, embeddings=embeddings),
        "noise_sensitivity": lambda: c.NoiseSensitivity(llm=llm),
        "answer_accuracy": lambda: c.AnswerAccuracy(llm=llm),
        "context_relevance": lambda: c.ContextRelevance(llm=llm),
        "response_groundedness": lambda: c.ResponseGroundedness(llm=llm),
        # embeddings only
        "semantic_similarity": lambda: c.SemanticSimilarity(embeddings=embeddings),
        # no model at all
        "exact_match": lambda: c.ExactMatch(),
        "string_presence": lambda: c.StringPresence(),
        "non_llm_string_similarity": lambda: c.NonLLMStringSimilarity(),
        "bleu_score": lambda: c.BleuScore(),
        "rouge_score": lambda: c.RougeScore(),
        "chrf_score": lambda: c.CHRFScore(),
        "non_llm_context_recall": _legacy_non_llm_context_recall,
    }
    factory = factories.get(metric_id)
    if factory is None:
        raise SpecError(f"unknown metric '{metric_id}'; known: {', '.join(sorted(factories))}")
    return factory()


LLM_METRICS = {
    "faithfulness", "answer_relevancy", "context_precision", "context_utilization", "context_recall",
    "context_entity_recall", "factual_correctness", "answer_correctness", "noise_sensitivity",
    "answer_accuracy", "context_relevance", "response_groundedness",
}
EMBEDDING_METRICS = {"answer_relevancy", "answer_correctness", "semantic_similarity"}


class _LegacyAdapter:
    """Gives a legacy single-turn metric the `ascore(**columns)` shape of collections metrics."""

    def __init__(self, metric: t.Any, columns: list[str]):
        self.metric = metric
        self.columns = columns

    async def ascore(self, **columns: t.Any) -> float:
        from ragas.dataset_schema import SingleTurnSample

        return await self.metric.single_turn_ascore(SingleTurnSample(**columns))


def _legacy_non_llm_context_recall() -> t.Any:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from ragas.metrics import NonLLMContextRecall

    return _LegacyAdapter(NonLLMContextRecall(), ["retrieved_contexts", "reference_contexts"])


def metric_columns(metric: t.Any) -> list[str]:
    if isinstance(metric, _LegacyAdapter):
        return metric.columns
    params = inspect.signature(metric.ascore).parameters
    return [name for name, p in params.items() if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]


# --------------------------------------------------------------------------------------------
# Spec and dataset
# --------------------------------------------------------------------------------------------


def load_rows(spec: dict[str, t.Any]) -> list[dict[str, t.Any]]:
    dataset = spec.get("dataset")
    if not isinstance(dataset, dict):
        raise SpecError("'dataset' must be an object with 'rows' or 'path'")
    if isinstance(dataset.get("rows"), list):
        rows = dataset["rows"]
    elif isinstance(dataset.get("path"), str):
        path = dataset["path"]
        try:
            with open(path, encoding="utf-8") as fh:
                text = fh.read()
        except OSError as err:
            raise SpecError(f"cannot read dataset {path}: {err.strerror}") from err
        if text.lstrip().startswith("["):
            rows = json.loads(text)
        else:
            rows = []
            for number, line in enumerate(text.splitlines(), start=1):
                if not line.strip():
                    continue
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as err:
                    raise SpecError(f"dataset line {number} is not valid JSON: {err.msg}") from err
    else:
        raise SpecError("'dataset' must have 'rows' (a list) or 'path' (a string)")
    column_map = spec.get("column_map") or {}
    out = []
    for index, raw in enumerate(rows):
        if not isinstance(raw, dict):
            raise SpecError(f"dataset row {index + 1} is not an object")
        row: dict[str, t.Any] = {}
        for key, value in raw.items():
            row[key] = value
        # explicit column_map (canonical name -> dataset name) wins over legacy names
        for canonical, source in column_map.items():
            if source in raw:
                row[canonical] = raw[source]
        for legacy, canonical in LEGACY_COLUMNS.items():
            if canonical not in row and legacy in raw:
                row[canonical] = raw[legacy]
        for name in LIST_COLUMNS:
            if isinstance(row.get(name), str):
                row[name] = [row[name]]
        out.append(row)
    limit = spec.get("limit")
    if isinstance(limit, int) and limit > 0:
        out = out[:limit]
    if not out:
        raise SpecError("the dataset has no rows")
    return out


def make_llm(judge: dict[str, t.Any]) -> t.Any:
    import instructor
    from openai import AsyncOpenAI
    from ragas.llms.base import InstructorLLM, InstructorModelArgs

    client = AsyncOpenAI(
        base_url=judge["base_url"],
        api_key=_api_key(judge),
        timeout=float(judge.get("timeout_seconds") or 180),
        max_retries=int(judge.get("max_retries", 2)),
    )
    mode = instructor.Mode.MD_JSON if judge.get("json_mode") == "md_json" else instructor.Mode.JSON
    args = InstructorModelArgs(
        temperature=float(judge.get("temperature", 0.01)),
        top_p=float(judge.get("top_p", 0.1)),
        max_tokens=int(judge.get("max_tokens", 4096)),
    )
    return InstructorLLM(
        client=instructor.from_openai(client, mode=mode), model=judge["model"], provider="openai", model_args=args
    )


def make_embeddings(spec: dict[str, t.Any]) -> t.Any:
    from openai import AsyncOpenAI
    from ragas.embeddings.base import embedding_factory

    client = AsyncOpenAI(base_url=spec["base_url"], api_key=_api_key(spec), max_retries=int(spec.get("max_retries", 2)))
    return embedding_factory("openai", model=spec["model"], client=client)


def _api_key(section: dict[str, t.Any]) -> str:
    name = section.get("api_key_env")
    if isinstance(name, str) and name and os.environ.get(name):
        return os.environ[name]
    return "EMPTY"


def _json_number(value: t.Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) or math.isinf(number) else number


def _short(err: BaseException) -> str:
    text = f"{type(err).__name__}: {err}".strip()
    return text if len(text) <= 500 else text[:497] + "..."


# --------------------------------------------------------------------------------------------
# Scoring
# --------------------------------------------------------------------------------------------


async def score_all(spec: dict[str, t.Any], rows: list[dict[str, t.Any]]) -> dict[str, t.Any]:
    metric_ids: list[str] = spec["metrics"]
    needs_llm = any(m in LLM_METRICS for m in metric_ids)
    needs_embeddings = any(m in EMBEDDING_METRICS for m in metric_ids)
    llm = None
    embeddings = None
    if needs_llm:
        if not isinstance(spec.get("judge"), dict) or not spec["judge"].get("base_url"):
            raise SpecError("the chosen metrics need a judge: set 'judge' {base_url, model}")
        llm = make_llm(spec["judge"])
    if needs_embeddings:
        if not isinstance(spec.get("embeddings"), dict) or not spec["embeddings"].get("base_url"):
            raise SpecError("the chosen metrics need embeddings: set 'embeddings' {base_url, model}")
        embeddings = make_embeddings(spec["embeddings"])

    metrics = {m: build_metric(m, llm, embeddings) for m in metric_ids}
    columns = {m: metric_columns(metrics[m]) for m in metric_ids}
    for m in metric_ids:
        for index, row in enumerate(rows):
            missing = [c for c in columns[m] if row.get(c) in (None, "", [])]
            if missing:
                raise SpecError(f"row {index + 1} lacks {', '.join(missing)} needed by {m}")

    total = len(rows) * len(metric_ids)
    completed = 0
    emit("progress", completed=0, total=total)
    semaphore = asyncio.Semaphore(max(1, int(spec.get("concurrency") or 4)))
    row_timeout = spec.get("timeout_seconds")
    scores: list[dict[str, float | None]] = [{} for _ in rows]
    errors: list[dict[str, str]] = [{} for _ in rows]

    async def one(m: str, index: int) -> None:
        nonlocal completed
        kwargs = {c: rows[index][c] for c in columns[m]}
        async with semaphore:
            try:
                call = metrics[m].ascore(**kwargs)
                result = await (asyncio.wait_for(call, float(row_timeout)) if row_timeout else call)
                value = getattr(result, "value", result)
                scores[index][m] = _json_number(value)
            except asyncio.TimeoutError:
                scores[index][m] = None
                errors[index][m] = f"timed out after {row_timeout}s"
            except Exception as err:  # one row failing must not fail the batch: NaN + note
                scores[index][m] = None
                errors[index][m] = _short(err)
        completed += 1
        emit("progress", completed=completed, total=total)

    await asyncio.gather(*(one(m, i) for m in metric_ids for i in range(len(rows))))

    summary: dict[str, t.Any] = {}
    for m in metric_ids:
        values = [s[m] for s in scores if s.get(m) is not None]
        failed = [e[m] for e in errors if m in e]
        if failed and len(failed) == len(rows):
            raise MetricFailed(f"{m} failed on every row; first error: {failed[0]}")
        summary[m] = {
            "mean": sum(values) / len(values) if values else None,
            "count": len(values),
            "nan_count": len(rows) - len(values),
            "error_count": len(failed),
            "min": min(values) if values else None,
            "max": max(values) if values else None,
        }
    return {
        "metrics": summary,
        "rows": [
            {"index": i, "scores": scores[i], **({"errors": errors[i]} if errors[i] else {})}
            for i in range(len(rows))
        ],
    }


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        emit("error", kind="spec", message="usage: evalhub_ragas_runner.py SPEC_JSON_PATH")
        return 2
    started = time.monotonic()
    try:
        with open(argv[1], encoding="utf-8") as fh:
            spec = json.load(fh)
        if spec.get("version") != CONTRACT_VERSION:
            raise SpecError(f"unsupported spec version {spec.get('version')!r}; this runner speaks {CONTRACT_VERSION}")
        if not isinstance(spec.get("metrics"), list) or not spec["metrics"]:
            raise SpecError("'metrics' must be a non-empty list")
        if not isinstance(spec.get("output"), str):
            raise SpecError("'output' must be the results file path")
        rows = load_rows(spec)
    except (OSError, json.JSONDecodeError, SpecError) as err:
        emit("error", kind="spec", message=str(err))
        return 2

    try:
        _ensure_ragas_importable()
        import ragas
    except Exception as err:
        emit("error", kind="import", message=f"cannot import ragas: {_short(err)}")
        return 4

    emit("start", total_rows=len(rows), metrics=spec["metrics"], ragas_version=ragas.__version__)
    try:
        scored = asyncio.run(score_all(spec, rows))
    except SpecError as err:
        emit("error", kind="spec", message=str(err))
        return 2
    except MetricFailed as err:
        emit("error", kind="metric", message=str(err))
        return 3

    result = {
        "version": CONTRACT_VERSION,
        "ragas_version": ragas.__version__,
        "samples": len(rows),
        "duration_seconds": round(time.monotonic() - started, 3),
        **scored,
    }
    tmp = spec["output"] + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(result, fh, allow_nan=False)
    os.replace(tmp, spec["output"])
    emit("done", output=spec["output"])
    return 0


if __name__ == "__main__":
    try:
        code = main(sys.argv)
    except Exception as err:  # report, never a bare traceback on the event stream
        emit("error", kind="internal", message=_short(err))
        import traceback

        traceback.print_exc()
        code = 1
    sys.exit(code)
