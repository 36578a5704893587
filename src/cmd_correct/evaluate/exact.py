"""Exact match and speed of one GGUF on the evaluation cases, through the one inference helper."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..cli import Progress, noop_progress
from ..infer import Correction, load
from .cases import Case


@dataclass(frozen=True)
class ModelRun:
    name: str
    corrections: list[Correction]


def run_model(
    name: str,
    gguf: Path,
    cases: list[Case],
    *,
    threads: int,
    n_ctx: int,
    max_tokens: int,
    seed: int,
    progress: Progress = noop_progress,
) -> ModelRun:
    """Correct every case with `gguf` (greedy, contract prompt)."""
    task = f"exact match {name}"
    out = []
    with load(gguf, threads=threads, n_ctx=n_ctx, max_tokens=max_tokens, seed=seed) as model:
        for i, case in enumerate(cases):
            if i % 10 == 0:
                progress(task, i, len(cases))
            out.append(model.correct(case.shell, case.command))
    progress(task, len(cases), len(cases))
    return ModelRun(name, out)


def is_exact(prediction: str, expected: str) -> bool:
    """Exact match after stripping surrounding whitespace (the prediction is already cut at a stop)."""
    return prediction.strip() == expected.strip()


def score(cases: list[Case], predictions: list[str | None]) -> dict:
    """Exact match overall, per shell and per family (rounded to 4 places); None predictions count as wrong."""
    hits = [p is not None and is_exact(p, c.expected) for c, p in zip(cases, predictions, strict=True)]
    by: dict[str, dict[str, list[bool]]] = {"shell": defaultdict(list), "family": defaultdict(list)}
    for c, h in zip(cases, hits, strict=True):
        by["shell"][c.shell].append(h)
        by["family"][c.family].append(h)
    mean = lambda xs: round(sum(xs) / len(xs), 4) if xs else None  # noqa: E731
    return {
        "exact_match": mean(hits),
        "exact_match_by_shell": {k: mean(v) for k, v in sorted(by["shell"].items())},
        "exact_match_by_family": {k: mean(v) for k, v in sorted(by["family"].items())},
        "n_cases": len(cases),
    }


def speed(run: ModelRun) -> dict:
    """Latency per correction (p50/p95 ms) and generation tokens/s (tokens after the first / decode time)."""
    lat = np.array([c.latency_ms for c in run.corrections])
    decode_tokens = sum(max(c.completion_tokens - 1, 0) for c in run.corrections)
    decode_s = sum(c.decode_s for c in run.corrections)
    return {
        "latency_ms_p50": round(float(np.percentile(lat, 50)), 1),
        "latency_ms_p95": round(float(np.percentile(lat, 95)), 1),
        "first_token_ms_p50": round(float(np.percentile([c.first_token_ms for c in run.corrections], 50)), 1),
        "tokens_per_s": round(decode_tokens / decode_s, 1) if decode_s > 0 else None,
        "completion_tokens_mean": round(float(np.mean([c.completion_tokens for c in run.corrections])), 2),
    }
