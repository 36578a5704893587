"""Exact match of the same GGUF on the same cases, one case at a time (the old evaluate) against batched
decoding (`Corrector.correct_many`, today's evaluate), side by side in one run.

Prints one JSON object: wall seconds of each path, the speed-up, exact match of each, the agreement rate
between their answers and every case where they differ.

Usage: python bench/bench_evaluate.py [--gguf models/f16/model-f16.gguf] [--final data/final]
       [--cases 1000] [--parallel 16] [--threads 2] [--max-tokens 64] [--seed 42]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "passive")

from cmd_correct import base, evaluate, infer, paths  # noqa: E402
from cmd_correct.evaluate import cases, exact  # noqa: E402


def main() -> int:
    ev, seed = evaluate.Params(), base.Params().seed  # the pipeline's defaults, read from their one home
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--gguf", type=Path, default=paths.f16_gguf())
    ap.add_argument("--final", type=Path, default=paths.FINAL)
    ap.add_argument("--cases", type=int, default=ev.n_cases)
    ap.add_argument("--parallel", type=int, nargs="+", default=[ev.parallel])
    ap.add_argument("--threads", type=int, default=ev.threads)
    ap.add_argument("--max-tokens", type=int, default=None, help="cap on new tokens (default: fix's, 128)")
    ap.add_argument("--seed", type=int, default=seed)
    args = ap.parse_args()
    picked = cases.stratified_sample(cases.load_cases(args.final / "test.jsonl"), args.cases, args.seed)
    reqs = [(c.shell, c.command) for c in picked]
    out: dict = {"gguf": str(args.gguf), "cases": len(picked), "threads": args.threads, "batched": {}}
    with infer.load(args.gguf, threads=args.threads, max_tokens=args.max_tokens) as model:
        t0 = time.perf_counter()
        single = [model.correct(s, c).text for s, c in reqs]
        single_s = time.perf_counter() - t0
        out["single"] = {"seconds": round(single_s, 1), "exact_match": exact.score(picked, single)["exact_match"]}
        for p in args.parallel:
            t0 = time.perf_counter()
            batched = [a.text for a in model.correct_many(reqs, parallel=p)]
            seconds = time.perf_counter() - t0
            differ = [
                {"id": c.id, "single": s, "batched": b}
                for c, s, b in zip(picked, single, batched, strict=True)
                if s != b
            ]
            out["batched"][str(p)] = {
                "seconds": round(seconds, 1),
                "speedup": round(single_s / seconds, 2),
                "exact_match": exact.score(picked, batched)["exact_match"],
                "agreement": round(1 - len(differ) / len(picked), 4),
                "disagreements": differ,
            }
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
