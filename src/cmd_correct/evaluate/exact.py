"""Exact match (batched decoding) and speed (single sequence) of one GGUF, through the one inference helper."""

from __future__ import annotations

import time
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
    answers: list[str]  # cleaned answer per case, batched decoding (what exact match scores)
    timed: list[Correction]  # the latency sample, one sequence at a time from an empty cache (as the CLI)
    timed_ids: list[str]  # case ids of `timed`
    agreement: float | None  # share of the latency sample where both paths gave the same answer
    disagreements: list[dict]  # {"id", "batched", "single"} for each case where they differ
    seconds: float  # wall time of the batched pass


def run_model(
    name: str,
    gguf: Path,
    cases: list[Case],
    *,
    timed: list[Case],
    threads: int,
    n_ctx: int,
    max_tokens: int,
    seed: int,
    parallel: int,
    progress: Progress = noop_progress,
) -> ModelRun:
    """Answer every case batched (`parallel` sequences at once), then time `timed` one case at a time.

    The timed cases are also the check that batching does not change answers: each is answered both
    ways and compared (batched float arithmetic may flip a near-tie; it is counted, not assumed away).
    """
    task = f"exact match {name}"
    with load(gguf, threads=threads, n_ctx=n_ctx, max_tokens=max_tokens, seed=seed) as model:
        progress(task, 0, len(cases))
        t0 = time.perf_counter()
        answers = model.correct_many(
            [(c.shell, c.command) for c in cases],
            parallel=parallel,
            progress=lambda done: progress(task, done, len(cases)) if done % 10 == 0 else None,
        )
        seconds = time.perf_counter() - t0
        progress(task, len(cases), len(cases))
        single = [model.correct(c.shell, c.command) for c in timed]
    by_id = {c.id: a.text for c, a in zip(cases, answers, strict=True)}
    differ = [
        {"id": c.id, "batched": by_id[c.id], "single": s.text}
        for c, s in zip(timed, single, strict=True)
        if c.id in by_id and by_id[c.id] != s.text
    ]
    compared = sum(c.id in by_id for c in timed)
    return ModelRun(
        name,
        [a.text for a in answers],
        single,
        [c.id for c in timed],
        round(1 - len(differ) / compared, 4) if compared else None,
        differ,
        seconds,
    )


def is_exact(prediction: str, expected: str) -> bool:
    """Exact match after stripping surrounding whitespace (the prediction is already cut at a stop)."""
    return prediction.strip() == expected.strip()


def score(cases: list[Case], predictions: list[str | None]) -> dict:
    """Exact and equivalent match overall, per shell and per family (rounded to 4 places); None predictions
    count as wrong. Equivalent match (`equivalent.is_equivalent`) also counts an answer that differs from the
    reference only in ways that cannot change what it does; exact match stays the gated metric."""
    from .equivalent import is_equivalent

    pairs = list(zip(cases, predictions, strict=True))
    hits = {
        "exact_match": [p is not None and is_exact(p, c.expected) for c, p in pairs],
        "equivalent_match": [p is not None and is_equivalent(c.shell, p, c.expected) for c, p in pairs],
    }
    mean = lambda xs: round(sum(xs) / len(xs), 4) if xs else None  # noqa: E731
    out: dict = {}
    for metric, got in hits.items():
        by: dict[str, dict[str, list[bool]]] = {"shell": defaultdict(list), "family": defaultdict(list)}
        for c, h in zip(cases, got, strict=True):
            by["shell"][c.shell].append(h)
            by["family"][c.family].append(h)
        out[metric] = mean(got)
        out[f"{metric}_by_shell"] = {k: mean(v) for k, v in sorted(by["shell"].items())}
        out[f"{metric}_by_family"] = {k: mean(v) for k, v in sorted(by["family"].items())}
    out["n_cases"] = len(cases)
    return out


def speed(timed: list[Correction]) -> dict:
    """Latency per correction (p50/p95 ms) and generation tokens/s (tokens after the first / decode time),
    over single-sequence corrections from an empty cache: what one `fix` call costs."""
    lat = np.array([c.latency_ms for c in timed])
    decode_tokens = sum(max(c.completion_tokens - 1, 0) for c in timed)
    decode_s = sum(c.decode_s for c in timed)
    return {
        "latency_ms_p50": round(float(np.percentile(lat, 50)), 1),
        "latency_ms_p95": round(float(np.percentile(lat, 95)), 1),
        "first_token_ms_p50": round(float(np.percentile([c.first_token_ms for c in timed], 50)), 1),
        "tokens_per_s": round(decode_tokens / decode_s, 1) if decode_s > 0 else None,
        "completion_tokens_mean": round(float(np.mean([c.completion_tokens for c in timed])), 2),
        "latency_cases": len(timed),
    }
