"""`llama-bench` generation speed of a GGUF, the reference our harness's tokens/s is compared to."""

from __future__ import annotations

import json
import re
from pathlib import Path

from ..errors import ToolError
from ..gguf import run_tool


def parse_bench_json(text: str) -> dict:
    """The text-generation row of `llama-bench -o json` output: {"tokens_per_s", "stddev", "n_gen"}."""
    # stdout and stderr arrive interleaved: the JSON array is the block from a lone "[" to a lone "]".
    m = re.search(r"^\[\s*$.*?^\]\s*$", text, re.S | re.M)
    try:
        rows = json.loads(m.group(0)) if m else None
    except ValueError as e:
        raise ToolError(f"llama-bench: unreadable JSON results ({e})", tool="llama-bench") from None
    if not isinstance(rows, list):
        raise ToolError("llama-bench: no JSON results in its output", tool="llama-bench")
    gen = [r for r in rows if r.get("n_gen", 0) > 0 and r.get("n_prompt", 0) == 0]
    if not gen:
        raise ToolError("llama-bench: no text-generation result in its JSON", tool="llama-bench")
    r = gen[0]
    return {
        "tokens_per_s": round(float(r["avg_ts"]), 1),
        "stddev": round(float(r["stddev_ts"]), 1),
        "n_gen": int(r["n_gen"]),
        "threads": int(r.get("n_threads", 0)),
    }


def bench(gguf: Path, *, n_gen: int, reps: int, threads: int, timeout: float | None = None) -> dict:
    """Run llama-bench's generation test (-p 0 -n n_gen) on one file."""
    ran = run_tool(
        "llama-bench",
        ["-m", gguf, "-p", 0, "-n", n_gen, "-r", reps, "-t", threads, "-o", "json"],
        timeout=timeout,
        task=f"llama-bench {gguf.name}",
    )
    return parse_bench_json(ran.output)
