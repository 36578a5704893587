"""quantize: model-f16.gguf + imatrix -> `model-<TYPE>.gguf` for every type in `quantize.types`.

Tensors whose row size does not fit the type's block (SmolLM2's 576-wide rows vs the 256-blocks of the
K-quants) fall back to another type; meta.json records per type how many did and to what, from
llama-quantize's own report, next to the tensor-type histogram of the written file.

    python -m cmd_correct quantize models/f16 models/imatrix models/quant
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from . import io, paths
from . import params as params_mod
from .errors import ModelError
from .gguf import GGUFInfo, inspect, run_tool, toolchain, verify
from .params import WEEK_S, bounded, recorded
from .progress import Progress, noop_progress

# The type names llama-quantize 0.3.36's vendored llama.cpp accepts (tools/quantize/quantize.cpp).
QUANT_TYPES = (
    "Q1_0",
    "Q2_0",
    "Q4_0",
    "Q4_1",
    "MXFP4_MOE",
    "Q5_0",
    "Q5_1",
    "IQ2_XXS",
    "IQ2_XS",
    "IQ2_S",
    "IQ2_M",
    "IQ1_S",
    "IQ1_M",
    "TQ1_0",
    "TQ2_0",
    "Q2_K",
    "Q2_K_S",
    "IQ3_XXS",
    "IQ3_S",
    "IQ3_M",
    "Q3_K",
    "IQ3_XS",
    "Q3_K_S",
    "Q3_K_M",
    "Q3_K_L",
    "IQ4_NL",
    "IQ4_XS",
    "Q4_K",
    "Q4_K_S",
    "Q4_K_M",
    "Q5_K",
    "Q5_K_S",
    "Q5_K_M",
    "Q6_K",
    "Q8_0",
    "F16",
    "BF16",
    "F32",
)
# One line per fallback, e.g. "warning: blk.0.attn_q.weight - ncols 576 not divisible by 256
# (required for type q4_K) -> falling back to q5_0".
FALLBACK_LINE = re.compile(
    r"warning: (?P<tensor>\S+)\s+- ncols\s+(?P<ncols>\d+) not divisible by\s+(?P<block>\d+) "
    r"\(required for type\s+(?P<wanted>\S+)\).*?-> falling back to\s+(?P<used>\S+)"
)
FALLBACK_SUMMARY = re.compile(r"WARNING: (\d+) of (\d+) tensor\(s\) required fallback quantization")


@dataclass
class Params:
    # any llama-quantize types; each is evaluated (the card's quant table)
    types: list[str] = field(default_factory=lambda: ["Q4_K_M", "Q4_0", "Q8_0"])
    use_imatrix: bool = True  # weight the quantization error by the imatrix
    # CPU threads (each block is quantized alone: the same bytes at any count)
    threads: int = bounded(2, 1, 4096, operational=True)
    # give up on one llama-quantize run after this many seconds
    timeout_s: int = bounded(3600, 1, WEEK_S, operational=True)

    def validate(self) -> list[str]:
        problems = []
        if not self.types:
            problems.append("types: at least one type is required")
        unknown = [t for t in self.types if t not in QUANT_TYPES]
        if unknown:
            problems.append(f"types: unknown {', '.join(unknown)} (expected some of {', '.join(QUANT_TYPES)})")
        if len(set(self.types)) != len(self.types):
            problems.append("types: duplicates")
        if self.threads < 1:
            problems.append(f"threads: must be >= 1, got {self.threads}")
        return problems


@dataclass(frozen=True)
class Fallbacks:
    """What llama-quantize reported about tensors it could not give the wanted type."""

    count: int  # tensors that fell back
    of: int | None  # tensors in the model (from the summary line)
    to: dict[str, int]  # fallback type -> count
    tensors: list[str]  # names of those tensors


def parse_fallbacks(output: str) -> Fallbacks:
    """Parse llama-quantize's per-tensor fallback warnings and its summary line (they must agree)."""
    hits = [m.groupdict() for m in FALLBACK_LINE.finditer(output)]
    summary = FALLBACK_SUMMARY.search(output)
    count = int(summary.group(1)) if summary else len(hits)
    if count != len(hits):
        raise ModelError(
            f"llama-quantize reported {count} fallbacks but listed {len(hits)}: output format changed?",
            field="fallbacks",
        )
    return Fallbacks(
        count=count,
        of=int(summary.group(2)) if summary else None,
        to=dict(sorted(Counter(h["used"] for h in hits).items())),
        tensors=[h["tensor"] for h in hits],
    )


@dataclass(frozen=True)
class Quantized:
    qtype: str
    gguf: Path
    info: GGUFInfo
    fallbacks: Fallbacks
    seconds: float


@dataclass(frozen=True)
class Result:
    quantized: list[Quantized]


def run(
    params: Params, f16_dir: Path, imatrix_dir: Path | None, out_dir: Path, *, progress: Progress = noop_progress
) -> Result:
    """Write `out_dir/model-<TYPE>.gguf` per type (+ meta.json); every file is validated."""
    inputs = [f16_dir, *([imatrix_dir] if imatrix_dir else [])]
    io.check_output(out_dir, stage="quantize", inputs=inputs)  # before any work: never over someone's GGUF
    f16 = paths.f16_gguf(Path(f16_dir))
    if not f16.is_file():
        raise ModelError(f"{f16}: f16 GGUF not found (run convert)", path=f16)
    imatrix = paths.imatrix_gguf(Path(imatrix_dir)) if params.use_imatrix and imatrix_dir else None
    if params.use_imatrix and (imatrix is None or not imatrix.is_file()):
        raise ModelError(
            f"{imatrix}: imatrix not found (run imatrix, or set quantize.use_imatrix: false)",
            path=imatrix,
            param="quantize.use_imatrix",
        )
    n_tensors = inspect(f16)["n_tensors"]
    done: list[Quantized] = []
    with io.atomic_dir(out_dir, stage="quantize", inputs=inputs) as tmp:
        for i, qtype in enumerate(params.types):
            progress("quantize", i, len(params.types))
            out = paths.quant_gguf(qtype, tmp)
            args = [*(["--imatrix", imatrix] if imatrix else []), f16, out, qtype, params.threads]
            ran = run_tool("llama-quantize", args, timeout=params.timeout_s, task=f"quantize {qtype}")
            info = verify(out, expect_tensors=n_tensors)
            done.append(
                Quantized(qtype, paths.quant_gguf(qtype, Path(out_dir)), info, parse_fallbacks(ran.output), ran.seconds)
            )
        progress("quantize", len(params.types), len(params.types))
        io.write_meta(
            tmp,
            "quantize",
            params=recorded(params),
            inputs={"f16": f16, **({"imatrix": imatrix} if imatrix else {})},
            toolchain=toolchain().info(),
            types={
                q.qtype: {
                    "gguf": q.gguf.name,
                    "size_bytes": q.info.size_bytes,
                    "sha256": io.sha256_file(paths.quant_gguf(q.qtype, tmp)),
                    "n_tensors": q.info.n_tensors,
                    "tensor_types": q.info.tensor_types,
                    "fallback_tensors": q.fallbacks.count,
                    "fallback_to": q.fallbacks.to,
                    "fallback_tensor_names": q.fallbacks.tensors,
                    "seconds": round(q.seconds, 2),
                }
                for q in done
            },
        )
    return Result(done)


def main(argv: list[str] | None = None) -> int:
    from .cli import parser
    from .progress import progress_bar

    p = parser("quantize", __doc__)
    p.add_argument("f16_dir", type=Path, help="folder with model-f16.gguf (models/f16)")
    p.add_argument("imatrix_dir", type=Path, help="folder with imatrix.gguf (models/imatrix)")
    p.add_argument("out_dir", type=Path, help="output folder (models/quant)")
    args = p.parse_args(argv)
    params = params_mod.section("quantize", path=args.params)
    with progress_bar() as progress:
        res = run(params, args.f16_dir, args.imatrix_dir, args.out_dir, progress=progress)
    for q in res.quantized:
        print(
            f"{q.gguf}: {q.info.size_bytes / 1e6:.1f} MB, {q.fallbacks.count} of {q.info.n_tensors} tensors "
            f"fell back ({', '.join(f'{k}: {v}' for k, v in q.fallbacks.to.items()) or 'none'}), {q.seconds:.1f} s"
        )
    return 0
