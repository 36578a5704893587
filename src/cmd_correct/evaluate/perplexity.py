"""Perplexity and KL divergence with `llama-perplexity`, and parsers for what it prints.

f16 runs once over the held-out text with `--kl-divergence-base FILE` (its perplexity, and its logits
saved to FILE); each quant then runs `--kl-divergence` against FILE. FILE is large (vocab x tokens x
2 bytes) and lives in a scratch folder, never in a DVC output.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import ToolError
from ..gguf import ToolRun, run_tool

_NUM = r"([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|nan|inf)"
FINAL_PPL = re.compile(rf"Final estimate: PPL = {_NUM} \+/- {_NUM}")
KLD_FIELDS = {
    "ppl": rf"Mean PPL\(Q\)\s*:\s*{_NUM}",
    "ppl_base": rf"Mean PPL\(base\)\s*:\s*{_NUM}",
    "ppl_ratio": rf"Mean PPL\(Q\)/PPL\(base\)\s*:\s*{_NUM}",
    "kld_mean": rf"Mean\s+KLD:\s*{_NUM}",
    "kld_max": rf"Maximum KLD:\s*{_NUM}",
    "kld_p99": rf"99\.0%\s+KLD:\s*{_NUM}",
    "kld_median": rf"Median\s+KLD:\s*{_NUM}",
    "same_top_pct": rf"Same top p:\s*{_NUM}",
}


def parse_ppl(text: str) -> dict:
    """{"ppl", "ppl_stderr"} from a perplexity (or --kl-divergence-base) run's "Final estimate" line."""
    m = FINAL_PPL.search(text)
    if not m:
        raise ToolError("llama-perplexity: no 'Final estimate: PPL = ...' line in its output", tool="llama-perplexity")
    return {"ppl": float(m.group(1)), "ppl_stderr": float(m.group(2))}


def parse_kld(text: str) -> dict:
    """Perplexity ratio, KLD mean/median/p99/max and same-top-token % from a --kl-divergence run."""
    if "KL divergence statistics" not in text:
        raise ToolError(
            "llama-perplexity --kl-divergence printed no statistics: it needs at least 100 scored "
            "tokens (evaluate.ppl_chunks x ppl_ctx / 2) and enough held-out text for them",
            tool="llama-perplexity",
        )
    out, missing = {}, []
    for key, pattern in KLD_FIELDS.items():
        m = re.search(pattern, text)
        if m:
            out[key] = float(m.group(1))
        else:
            missing.append(key)
    if missing:
        raise ToolError(f"llama-perplexity --kl-divergence: output lacks {', '.join(missing)}", tool="llama-perplexity")
    return out


def _common(ctx: int, chunks: int, threads: int) -> list:
    return ["-c", ctx, "--chunks", chunks, "-t", threads, "-b", ctx]


def base_run(
    f16: Path,
    text: Path,
    logits: Path,
    *,
    ctx: int,
    chunks: int,
    threads: int,
    timeout: float | None = None,
    progress=None,
) -> tuple[dict, ToolRun]:
    """Perplexity of f16 on `text`, saving its logits to `logits` for the KLD runs."""
    kw = {"progress": progress} if progress else {}
    ran = run_tool(
        "llama-perplexity",
        ["-m", f16, "-f", text, "--kl-divergence-base", logits, *_common(ctx, chunks, threads)],
        task="perplexity f16",
        total=chunks if chunks > 0 else None,
        timeout=timeout,
        **kw,
    )
    return parse_ppl(ran.output), ran


def kld_run(
    quant: Path,
    logits: Path,
    *,
    ctx: int,
    chunks: int,
    threads: int,
    name: str,
    timeout: float | None = None,
    progress=None,
) -> tuple[dict, ToolRun]:
    """Perplexity, ratio and KL divergence of `quant` against the f16 logits file."""
    kw = {"progress": progress} if progress else {}
    ran = run_tool(
        "llama-perplexity",
        ["-m", quant, "--kl-divergence-base", logits, "--kl-divergence", *_common(ctx, chunks, threads)],
        task=f"kld {name}",
        total=chunks if chunks > 0 else None,
        timeout=timeout,
        **kw,
    )
    return parse_kld(ran.output), ran
