"""Each model on each test split: exact and equivalent match overall, per shell, family and category.

A data change (the generator's slots, its mistake classes) changes the test split with it, so a model's score
on its own split says little about the change. This answers every pair of (model, split) on the same
stratified sample of each split, batched as evaluate does, so an old model can be read on the new split and
the new model on the old one.

Prints one JSON object: {"<model> on <split>": {exact_match, equivalent_match, *_by_shell, *_by_family,
exact_match_by_category, n_cases, seconds}}.

Usage: python bench/bench_cross.py --model before=old/model-Q4_K_M.gguf --model after=models/quant/model-Q4_K_M.gguf
       --split before=old/final --split after=data/final [--cases 1000] [--parallel 16] [--threads 2] [--seed 42]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "passive")

from cmd_correct import infer  # noqa: E402
from cmd_correct.evaluate import cases, exact  # noqa: E402
from cmd_correct.io import iter_jsonl  # noqa: E402


def _named(value: str) -> tuple[str, Path]:
    name, sep, path = value.partition("=")
    if not sep or not name or not path:
        raise argparse.ArgumentTypeError(f"expected NAME=PATH, got {value!r}")
    return name, Path(path)


def by_category(test: Path, picked: list[cases.Case], answers: list[str | None]) -> dict[str, float]:
    """Exact match per generator category (final rows carry `category`)."""
    category = {str(row.get("id", n)): row.get("category") for n, row in iter_jsonl(test)}
    hits: dict[str, list[bool]] = defaultdict(list)
    for c, a in zip(picked, answers, strict=True):
        hits[str(category.get(c.id))].append(a is not None and exact.is_exact(a, c.expected))
    return {k: round(sum(v) / len(v), 4) for k, v in sorted(hits.items())}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", type=_named, action="append", required=True, help="NAME=GGUF (repeatable)")
    ap.add_argument("--split", type=_named, action="append", required=True, help="NAME=data/final folder (repeatable)")
    ap.add_argument("--cases", type=int, default=1000)
    ap.add_argument("--parallel", type=int, default=16)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--max-tokens", type=int, default=None, help="cap on new tokens (default: fix's, 128)")
    ap.add_argument("--seed", type=int, default=42)
    args = ap.parse_args()
    samples = {}
    for name, final in args.split:
        test = final / "test.jsonl"
        samples[name] = (test, cases.stratified_sample(cases.load_cases(test), args.cases, args.seed))
    out: dict = {"cases": args.cases, "threads": args.threads, "parallel": args.parallel, "pairs": {}}
    for model_name, gguf in args.model:
        with infer.load(gguf, threads=args.threads, max_tokens=args.max_tokens) as model:
            for split_name, (test, picked) in samples.items():
                t0 = time.perf_counter()
                answers = [
                    a.text for a in model.correct_many([(c.shell, c.command) for c in picked], parallel=args.parallel)
                ]
                row = exact.score(picked, answers)
                row["exact_match_by_category"] = by_category(test, picked, answers)
                row["seconds"] = round(time.perf_counter() - t0, 1)
                out["pairs"][f"{model_name} on {split_name}"] = row
                print(f"{model_name} on {split_name}: exact {row['exact_match']}", file=sys.stderr)
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
