"""imatrix: the importance matrix quantize uses, from the train-split calibration text only.

The calibration text (data/final/calibration.txt, written by prepare from the train split) is ChatML;
`--parse-special` makes llama.cpp read `<|im_start|>`/`<|im_end|>` as the special tokens the model
sees at inference. The held-out evaluation text never goes in: a conversation found in both is refused.

    python -m cmd_correct imatrix models/f16 data/final models/imatrix
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import contract, io, paths
from . import params as params_mod
from .errors import DataError
from .gguf import run_tool, toolchain, verify_imatrix
from .params import WEEK_S, bounded, recorded
from .progress import Progress, noop_progress


@dataclass
class Params:
    ctx: int = bounded(128, 16, 1_048_576)  # tokens per chunk (-c): two or three whole ChatML conversations
    chunks: int = bounded(40, -1, 10_000_000)  # chunks processed (-1: all); 40 x 128 tokens took ~70 s on 2 cores
    # CPU threads (-t); a dep: llama.cpp promises no equal float sums at another count
    threads: int = bounded(2, 1, 4096)
    timeout_s: int = bounded(3600, 1, WEEK_S, operational=True)  # give up on llama-imatrix after this many seconds

    def validate(self) -> list[str]:
        problems = []
        if self.ctx < 16:
            problems.append(f"ctx: must be >= 16, got {self.ctx}")
        if self.chunks == 0 or self.chunks < -1:
            problems.append(f"chunks: must be positive or -1 (all), got {self.chunks}")
        if self.threads < 1:
            problems.append(f"threads: must be >= 1, got {self.threads}")
        return problems


@dataclass(frozen=True)
class Result:
    imatrix: Path
    chunks: int
    seconds: float


def conversations(text: str) -> set[str]:
    """Whole ChatML conversations in a text, each starting at a system turn."""
    marker = f"{contract.IM_START}system\n"
    return {marker + part.strip() for part in text.split(marker) if part.strip()}


def check_no_eval_text(calibration: Path, heldout: Path) -> None:
    """Refuse calibration text that contains a held-out conversation (eval text must not shape the quant)."""
    if not heldout.is_file():
        return
    cal = calibration.read_text(encoding="utf-8")
    leaked = conversations(cal) & conversations(heldout.read_text(encoding="utf-8"))
    if leaked:
        example = sorted(leaked)[0]
        line = cal[: cal.find(example)].count("\n") + 1
        raise DataError(
            calibration,
            line,
            None,
            f"{len(leaked)} held-out conversation(s) from {heldout.name} appear in the calibration "
            "text; rebuild data/final with prepare (calibration must come from the train split only)",
        )


def run(params: Params, f16_dir: Path, final_dir: Path, out_dir: Path, *, progress: Progress = noop_progress) -> Result:
    """Compute `out_dir/imatrix.gguf` (+ meta.json) from `final_dir/calibration.txt`."""
    io.check_output(out_dir, stage="imatrix", inputs=[f16_dir, final_dir])
    f16 = paths.f16_gguf(Path(f16_dir))
    calibration = Path(final_dir) / paths.CALIBRATION
    if not calibration.is_file() or calibration.stat().st_size == 0:
        raise DataError(calibration, None, None, "calibration text missing or empty (run prepare)")
    check_no_eval_text(calibration, Path(final_dir) / paths.HELDOUT)
    with io.atomic_dir(out_dir, stage="imatrix", inputs=[f16_dir, final_dir]) as tmp:
        out = paths.imatrix_gguf(tmp)
        ran = run_tool(
            "llama-imatrix",
            [
                "-m",
                f16,
                "-f",
                calibration,
                "-o",
                out,
                "--parse-special",
                "-c",
                params.ctx,
                "--chunks",
                params.chunks,
                "-t",
                params.threads,
                "--output-format",
                "gguf",
            ],
            progress=progress,
            task="imatrix",
            total=params.chunks if params.chunks > 0 else None,
            timeout=params.timeout_s,
        )
        facts = verify_imatrix(out)
        chunks = int(facts["keys"]["imatrix.chunk_count"])
        io.write_meta(
            tmp,
            "imatrix",
            params=recorded(params),
            inputs={"f16": f16, "calibration": calibration},
            imatrix=out.name,
            chunks=chunks,
            n_entries=facts["n_tensors"],
            seconds=round(ran.seconds, 2),
            toolchain=toolchain().info(),
        )
    return Result(paths.imatrix_gguf(Path(out_dir)), chunks, ran.seconds)


def main(argv: list[str] | None = None) -> int:
    from .cli import parser
    from .progress import progress_bar

    p = parser("imatrix", __doc__)
    p.add_argument("f16_dir", type=Path, help="folder with model-f16.gguf (models/f16)")
    p.add_argument("final_dir", type=Path, help="prepared data with calibration.txt (data/final)")
    p.add_argument("out_dir", type=Path, help="output folder (models/imatrix)")
    args = p.parse_args(argv)
    params = params_mod.section("imatrix", path=args.params)
    with progress_bar() as progress:
        res = run(params, args.f16_dir, args.final_dir, args.out_dir, progress=progress)
    print(f"{res.imatrix}: {res.chunks} chunks, {res.seconds:.1f} s")
    return 0
