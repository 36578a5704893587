"""Latency of one correction per GGUF, thread count and prompt path, side by side in one run.

For every GGUF given (default: models/f16 and each models/quant type), times the same stratified sample of
test cases one at a time, as the `fix` CLI runs them: from an empty cache at each thread count, and from
a restored system-prompt state (llama.cpp state save/restore) at the reference thread count. Prints one
JSON object: p50/p95, prompt and generation p50 per setting, and every p50 as a ratio to the reference
(Q4_K_M at 2 threads, uncached: what ships today), plus whether the cached path's answers are identical.

Usage: python bench/bench_latency.py [--gguf A.gguf B.gguf ...] [--final data/final] [--cases 100]
       [--threads 1 2] [--ref Q4_K_M:2]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "passive")

from cmd_correct import paths  # noqa: E402
from cmd_correct.evaluate import cases, exact  # noqa: E402


def _default_ggufs() -> list[Path]:
    found = [paths.f16_gguf()] if paths.f16_gguf().is_file() else []
    return found + sorted(paths.QUANT.glob("model-*.gguf"))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--gguf", type=Path, nargs="+", default=None)
    ap.add_argument("--final", type=Path, default=paths.FINAL)
    ap.add_argument("--cases", type=int, default=100)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--ref", default="Q4_K_M:2", help="TYPE:THREADS the ratios are taken against")
    ap.add_argument("--seed", type=int, default=42)
    args = ap.parse_args()
    picked = cases.stratified_sample(cases.load_cases(args.final / "test.jsonl"), args.cases, args.seed)
    ref_type, ref_threads = args.ref.split(":")
    rows: dict[str, dict] = {}
    for gguf in args.gguf or _default_ggufs():
        name = gguf.stem.removeprefix("model-")
        ran = exact.run_model(
            name,
            gguf,
            picked[:1],  # exact match is evaluate's business; one case keeps the batched pass negligible
            timed=picked,
            threads=int(ref_threads),
            seed=0,
            parallel=1,
            latency_threads=args.threads,
            cached_head=True,
        )
        lat = exact.latency(ran)
        rows[name] = {
            "size_mb": round(gguf.stat().st_size / 1e6, 1),
            **{f"uncached_{t}t": lat["latency_by_threads"][t] for t in lat["latency_by_threads"]},
            f"cached_{ref_threads}t": lat["cached_prefix"],
            "fastest_threads": lat["fastest_threads"],
        }
    ref = rows.get(ref_type, {}).get(f"uncached_{ref_threads}t", {}).get("latency_ms_p50")
    if ref:
        for r in rows.values():
            for v in r.values():
                if isinstance(v, dict) and "latency_ms_p50" in v:
                    v["p50_ratio_to_ref"] = round(v["latency_ms_p50"] / ref, 3)
    print(json.dumps({"cases": len(picked), "reference": args.ref, "ggufs": rows}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
