"""convert: an HF model folder (models/fused, or models/base for the baseline) -> `model-f16.gguf`.

Runs the pinned llama.cpp `convert_hf_to_gguf.py` with its vendored gguf-py and `conversion/`
package, sets `general.name`, and refuses a model without a chat template; the result is validated
(architecture, tokenizer, chat template, tensors, llama.cpp loads it) before it replaces the output.

    python -m cmd_correct convert models/fused models/f16
    python -m cmd_correct convert models/base models/base-gguf --base
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from . import io, paths
from . import params as params_mod
from .base import check_model_dir
from .gguf import GGUFInfo, run_tool, toolchain, verify
from .params import WEEK_S, bounded, recorded
from .progress import Progress, noop_progress


@dataclass
class Params:
    # tensor type of the unquantized GGUF (what quantize and the KLD base read)
    outtype: Literal["f16", "bf16", "f32"] = "f16"
    name: str = "cmd-correct"  # general.name of the fine-tuned model's GGUF (what llama.cpp and the Hub show)
    base_name: str = "cmd-correct-base"  # general.name of the untuned base model's GGUF (the baseline)
    timeout_s: int = bounded(1800, 1, WEEK_S, operational=True)  # give up on the convert script after this many seconds


@dataclass(frozen=True)
class Result:
    gguf: Path
    info: GGUFInfo
    seconds: float


def run(
    params: Params, model_dir: Path, out_dir: Path, *, name: str | None = None, progress: Progress = noop_progress
) -> Result:
    """Convert `model_dir` into `out_dir/model-f16.gguf` (+ meta.json); returns the validated file."""
    model_dir, out_dir = Path(model_dir), Path(out_dir)
    io.check_output(out_dir, stage="convert", inputs=[model_dir])
    check_model_dir(model_dir, verdict="cannot convert", weights=("*.safetensors", "*.bin"))
    chain = toolchain()
    name = name or params.name
    with io.atomic_dir(out_dir, stage="convert", inputs=[model_dir]) as tmp:
        out = paths.f16_gguf(tmp)
        ran = run_tool(
            "python",
            [chain.convert_script, model_dir, "--outfile", out, "--outtype", params.outtype, "--model-name", name],
            env={"PYTHONPATH": str(chain.gguf_py)},  # the vendored gguf-py, not the older PyPI one
            timeout=params.timeout_s,
            task="convert",
            total=1,
            progress=progress,
            ticks=False,
        )
        progress("validate gguf", 0, 1)
        info = verify(out)
        progress("validate gguf", 1, 1)
        io.write_meta(
            tmp,
            "convert",
            params=recorded(params),
            inputs={"model": model_dir},
            name=name,
            gguf=out.name,
            seconds=round(ran.seconds, 2),
            info=info.as_dict(),
            sha256=io.sha256_file(out),
            toolchain=chain.info(),
        )
    final = paths.f16_gguf(out_dir)
    return Result(final, dataclasses.replace(info, path=str(final)), ran.seconds)


def main(argv: list[str] | None = None) -> int:
    from .cli import parser
    from .progress import progress_bar

    p = parser("convert", __doc__)
    p.add_argument("model_dir", type=Path, help="HF model folder (models/fused or models/base)")
    p.add_argument("out_dir", type=Path, help="output folder (models/f16)")
    p.add_argument(
        "--base", action="store_true", help="name the GGUF convert.base_name: the untuned base model (stage base_gguf)"
    )
    args = p.parse_args(argv)
    params = params_mod.section("convert", path=args.params)
    with progress_bar() as progress:
        res = run(params, args.model_dir, args.out_dir, name=params.base_name if args.base else None, progress=progress)
    print(
        f"{res.gguf}: {res.info.architecture}, {res.info.n_tensors} tensors, "
        f"{res.info.size_bytes / 1e6:.1f} MB, {res.seconds:.1f} s"
    )
    return 0
