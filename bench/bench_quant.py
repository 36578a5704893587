"""Benchmark quantization quality: KLD and perplexity ratio against f16 for several quant types.

    python bench/bench_quant.py [--f16 models/f16] [--imatrix models/imatrix] [--final data/final]
                                [--types Q2_K,Q3_K_M,Q4_K_M,Q5_K_M,Q8_0] [--params params.yaml]

The measurements behind `gates.kld_mean_max` and `gates.ppl_ratio_max`: each type is quantized from the
pipeline's own f16 GGUF with the imatrix, Q4_K_M once more without it, and all are scored with
llama-perplexity on data/final/heldout.txt at evaluate's ctx/chunks/threads. Prints one JSON object
with, per type, the limit the gate would apply and whether it passes.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "passive")

from cmd_correct import params, paths, quantize  # noqa: E402
from cmd_correct.evaluate import perplexity  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--f16", type=Path, default=paths.F16, help="folder with model-f16.gguf")
    ap.add_argument("--imatrix", type=Path, default=paths.IMATRIX, help="folder with imatrix.gguf")
    ap.add_argument("--final", type=Path, default=paths.FINAL, help="data/final (heldout.txt)")
    ap.add_argument("--types", default="Q2_K,Q3_K_M,Q4_K_M,Q5_K_M,Q8_0")
    ap.add_argument("--params", type=Path, default=paths.PARAMS)
    args = ap.parse_args()
    raw = params.load(args.params)
    ev, gates = params.section("evaluate", raw), params.section("gates", raw)
    qp = params.section("quantize", raw)
    ppl = {"ctx": ev.ppl_ctx, "chunks": ev.ppl_chunks, "threads": ev.threads, "timeout": ev.timeout_s}
    types = args.types.split(",")
    out: dict = {"f16": str(paths.f16_gguf(args.f16)), "ppl_ctx": ev.ppl_ctx, "ppl_chunks": ev.ppl_chunks,
                 "threads": ev.threads, "results": {}}  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="bench-quant-") as tmp:
        tmp = Path(tmp)
        logits = tmp / "f16-logits.bin"
        base, _ = perplexity.base_run(paths.f16_gguf(args.f16), args.final / paths.HELDOUT, logits, **ppl)
        out["f16_ppl"] = round(base["ppl"], 4)
        runs = [(t, True) for t in types] + ([("Q4_K_M", False)] if "Q4_K_M" in types else [])
        for qtype, with_imatrix in runs:
            name = qtype if with_imatrix else f"{qtype} (no imatrix)"
            q = quantize.Params(types=[qtype], use_imatrix=with_imatrix, threads=qp.threads, timeout_s=qp.timeout_s)
            folder = tmp / (qtype if with_imatrix else f"{qtype}-no-imatrix")
            (made,) = quantize.run(q, args.f16, args.imatrix, folder).quantized
            k, _ = perplexity.kld_run(made.gguf, logits, name=name, **ppl)
            kld_max, ratio_max = gates.kld_mean_max.get(qtype), gates.ppl_ratio_max.get(qtype)
            out["results"][name] = {
                "size_mb": round(made.gguf.stat().st_size / 1e6, 2),
                "fallback_tensors": made.fallbacks.count,
                "kld_mean": round(k["kld_mean"], 5),
                "kld_p99": round(k["kld_p99"], 5),
                "same_top_pct": round(k["same_top_pct"], 2),
                "ppl_ratio": round(k["ppl_ratio"], 4),
                "gate_kld_mean_max": kld_max,
                "gate_ppl_ratio_max": ratio_max,
                "gate_passes": None
                if kld_max is None or ratio_max is None
                else k["kld_mean"] <= kld_max and k["ppl_ratio"] <= ratio_max,
            }
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
