"""Exact match (batched decoding) and speed (single sequence) of one GGUF, through the one inference helper."""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..infer import Correction, load
from ..progress import Progress, noop_progress
from .acceptance import run as run_acceptance
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
    by_threads: dict[int, list[Correction]] = field(default_factory=dict)  # the latency sample per thread count
    cached: list[Correction] = field(default_factory=list)  # the sample from a restored system-prompt state
    identity: list[str] = field(default_factory=list)  # answers to the identity cases (batched)
    acceptance: list[dict] = field(default_factory=list)  # acceptance.run rows (single, as one fix call)
    load_ms: float | None = None  # loading the GGUF into a ready context (fix's daemon gives up after 5 s)


def run_model(
    name: str,
    gguf: Path,
    cases: list[Case],
    *,
    timed: list[Case],
    threads: int,
    seed: int,
    parallel: int,
    latency_threads: list[int] = (),
    cached_head: bool = False,
    identity: list[Case] = (),
    accept: bool = False,
    max_tokens: int | None = None,
    consumer: str = "fix",
    progress: Progress = noop_progress,
) -> ModelRun:
    """Answer every case batched (`parallel` sequences at once), then time `timed` one case at a time.

    The timed cases are also the check that batching does not change answers: each is answered both
    ways and compared (batched float arithmetic may flip a near-tie; it is counted, not assumed away).
    They are timed again at each of `latency_threads` (prompt and generation threads alike) and, with
    `cached_head`, from the restored state of their shell's system prompt at `threads`. `identity` cases
    (valid commands) are answered batched too; with `accept`, the acceptance cases one at a time.
    Prompt and decoding are `consumer`'s (contract.FIX or WIT); `max_tokens` only shortens it for tests on tiny
    models.
    """
    task = f"exact match {name}"
    with load(gguf, threads=threads, max_tokens=max_tokens, seed=seed, consumer=consumer) as model:
        progress(task, 0, len(cases))
        t0 = time.perf_counter()
        answers = model.correct_many(
            [(c.name, c.turn) for c in cases],
            parallel=parallel,
            progress=lambda done: progress(task, done, len(cases)) if done % 10 == 0 else None,
        )
        seconds = time.perf_counter() - t0
        progress(task, len(cases), len(cases))
        kept = [a.text for a in model.correct_many([(c.name, c.turn) for c in identity], parallel=parallel)]
        accepted = run_acceptance(model) if accept else []
        single = [model.correct(c.name, c.turn) for c in timed]
        by_threads = {threads: single}
        for t in (t for t in latency_threads if t != threads):
            model.set_threads(t, t)
            by_threads[t] = [model.correct(c.name, c.turn) for c in timed]
        model.set_threads(threads, threads)
        cached = [model.correct(c.name, c.turn, cached_head=True) for c in timed] if cached_head else []
        load_ms = model.load_ms
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
        dict(sorted(by_threads.items())),
        cached,
        kept,
        accepted,
        round(load_ms, 1),
    )


def latency(run: ModelRun) -> dict:
    """Latency split into prompt (to the first token) and generation, per thread count; the fastest count
    for each phase (llama.cpp sets them apart: n_threads_batch and n_threads); and what a restored
    system-prompt state saves, with whether its answers equal the uncached ones."""
    p50 = lambda xs: round(float(np.percentile(xs, 50)), 1)  # noqa: E731
    by = {
        str(t): speed(timed)
        | {
            "prompt_ms_p50": p50([c.first_token_ms for c in timed]),
            "generate_ms_p50": p50([c.latency_ms - c.first_token_ms for c in timed]),
        }
        for t, timed in run.by_threads.items()
    }
    out: dict = {"latency_by_threads": by}
    if by:
        out["fastest_threads"] = {
            "prompt": int(min(by, key=lambda t: by[t]["prompt_ms_p50"])),
            "generate": int(min(by, key=lambda t: by[t]["generate_ms_p50"])),
            "overall": int(min(by, key=lambda t: by[t]["latency_ms_p50"])),
        }
    if run.cached:
        plain = speed(run.timed)
        same = sum(a.text == b.text for a, b in zip(run.cached, run.timed, strict=True))
        cached = speed(run.cached)
        out["cached_prefix"] = {
            "latency_ms_p50": cached["latency_ms_p50"],
            "latency_ms_p95": cached["latency_ms_p95"],
            "prompt_ms_p50": p50([c.first_token_ms for c in run.cached]),
            "prompt_tokens_mean": round(float(np.mean([c.prompt_tokens for c in run.cached])), 1),
            "saving_ms_p50": round(plain["latency_ms_p50"] - cached["latency_ms_p50"], 1),
            "identical_pct": round(100 * same / len(run.cached), 2),
        }
    return out


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
    broken = [(c, p) for c, p in pairs if c.broken]
    if len(broken) < len(pairs):  # identity rows in the split: exact match on the broken inputs alone too
        out["exact_match_broken"] = mean([p is not None and is_exact(p, c.expected) for c, p in broken])
    # A broken command handed back unchanged: fix would print "No correction needed" for a failing command.
    out["echo_rate"] = mean([p is not None and p.strip() == c.command.strip() for c, p in broken])
    by_alias: dict[str, list[bool]] = defaultdict(list)
    for c, h in zip(cases, hits["exact_match"], strict=True):
        if c.prompt_shell:
            by_alias[c.prompt_shell].append(h)
    if by_alias:
        out["exact_match_by_alias"] = {k: mean(v) for k, v in sorted(by_alias.items())}
    return out


def identity(cases: list[Case], answers: list[str]) -> dict:
    """identity_preserved: the share of valid commands returned unchanged, overall and per shell name."""
    if not cases:
        return {}
    kept = [a.strip() == c.command.strip() for c, a in zip(cases, answers, strict=True)]
    by: dict[str, list[bool]] = defaultdict(list)
    for c, k in zip(cases, kept, strict=True):
        by[c.name].append(k)
    return {
        "identity_preserved": round(sum(kept) / len(kept), 4),
        "identity_preserved_by_shell": {k: round(sum(v) / len(v), 4) for k, v in sorted(by.items())},
        "identity_cases": len(kept),
    }


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
