"""Benchmark the GGUF stages on a real model: stage times and our harness's tokens/s vs llama-bench.

    python bench/bench_gguf.py [--model models/fused] [--final data/final] [--generated data/generated]
                               [--params params.yaml] [--work DIR]

Runs convert, imatrix, quantize, baseline and evaluate (params from params.yaml; the model also stands in for the
base-model baseline, whose GGUF is the same conversion) into a scratch folder and prints one JSON object.
OMP_WAIT_POLICY is passive unless set: spinning OpenMP threads make timings on shared cores meaningless.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "passive")

from cmd_correct import baseline, convert, imatrix, params, paths, quantize  # noqa: E402
from cmd_correct import evaluate as evaluate_mod  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    default_model = paths.FUSED if paths.FUSED.is_dir() else paths.BASE
    ap.add_argument("--model", type=Path, default=default_model, help=f"HF model folder (default {default_model})")
    ap.add_argument("--final", type=Path, default=paths.FINAL, help="data/final")
    ap.add_argument("--generated", type=Path, default=paths.GENERATED, help="data/generated (thefuck's error texts)")
    ap.add_argument("--params", type=Path, default=paths.PARAMS)
    ap.add_argument("--work", type=Path, default=None, help="scratch folder (default: a temp dir, removed)")
    args = ap.parse_args()
    raw = params.load(args.params)
    with tempfile.TemporaryDirectory(prefix="bench-gguf-") as tmp:
        work = args.work or Path(tmp)
        times = {}

        def timed(name, fn):
            start = time.perf_counter()
            out = fn()
            times[name] = round(time.perf_counter() - start, 2)
            return out

        timed("convert", lambda: convert.run(params.section("convert", raw), args.model, work / "f16"))
        im = params.section("imatrix", raw)
        timed("imatrix", lambda: imatrix.run(im, work / "f16", args.final, work / "imatrix"))
        timed(
            "quantize",
            lambda: quantize.run(params.section("quantize", raw), work / "f16", work / "imatrix", work / "quant"),
        )
        ev = params.section("evaluate", raw)
        timed(
            "baseline",
            lambda: baseline.run(
                ev,
                base_gguf_dir=work / "f16",
                final_dir=args.final,
                out_dir=work / "baseline",
                seed=params.base_seed(raw, args.params),
                generated_dir=args.generated if args.generated.is_dir() else None,
            ),
        )
        res = timed(
            "evaluate",
            lambda: evaluate_mod.run(
                ev,
                f16_dir=work / "f16",
                quant_dir=work / "quant",
                baseline_dir=work / "baseline",
                final_dir=args.final,
                metrics_path=work / "metrics.json",
                report_dir=work / "report",
                seed=params.base_seed(raw, args.params),
            ),
        )
    m = res.metrics
    variants = m["settings"]["variants"]
    print(
        json.dumps(
            {
                "model": str(args.model),
                "stage_seconds": times,
                "threads": m["settings"]["threads"],
                "omp_wait_policy": m["settings"]["omp_wait_policy"],
                "n_cases": m["settings"]["n_cases"],
                "harness_tokens_per_s": {v: m[v]["tokens_per_s"] for v in variants},
                "llama_bench_tokens_per_s": {v: m[v]["bench_tokens_per_s"] for v in variants},
                "harness_vs_llama_bench": {v: m[v]["bench_ratio"] for v in variants},
                "latency_ms_p50": {v: m[v]["latency_ms_p50"] for v in variants},
                "latency_ms_p95": {v: m[v]["latency_ms_p95"] for v in variants},
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
