"""train: a LoRA adapter on models/base from data/final, with one of three backends.

`torch` (PEFT, CPU/CUDA/MPS), `mlx` (mlx-lm's LoRA trainer) or `kaggle` (push a GPU kernel that runs
the torch backend, poll it, download the adapter). One set of params drives all three.

Backends only train (`Backend`): they hand back the adapter's weights, the training log's history and a
summary. `run` owns the rest, the same for every backend: the output folders checked before any work,
the adapter folder (with train_config.json and meta.json) and the dvclive report, each written atomically.
"""

from __future__ import annotations

import importlib
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol, cast

from .. import io
from ..params import bounded, operational, recorded
from ..paths import TRAIN_CONFIG
from ..progress import Progress, noop_progress
from ..stages import BACKENDS
from . import common
from .common import ADAPTER_DIR_FILES, REPORT_FILES, Trained
from .kaggle_backend import KaggleParams


@dataclass
class Params:
    # torch (PEFT: CPU/CUDA/MPS) | mlx (mlx-lm) | kaggle (T4 kernel running torch)
    backend: Literal["torch", "mlx", "kaggle"] = "torch"
    rank: int = bounded(16, 1, 4096)  # LoRA rank r
    alpha: float = bounded(32.0, 0, 100_000, lo_open=True)  # LoRA alpha (scale = alpha / rank = 2)
    # LoRA dropout (0: a row is seen about once; on CPU the masks took 39% of a step)
    dropout: float = bounded(0.0, 0, 1, hi_open=True)
    target_modules: list[str] = field(
        default_factory=lambda: ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
    )  # linear layers that get adapters (all of them)
    # transformer blocks that get adapters, counted from the top (0: all; mlx-lm's `num_layers`). Backward
    # stops below the lowest adapted block: faster per example, but on the embedded model less learned per minute
    num_layers: int = bounded(0, 0, 100_000)
    # peak learning rate: on valid, 1e-3 beat 5e-4 (loss 0.41 vs 0.48, EM 41.5% vs 38%)
    lr: float = bounded(1e-3, 0, 1, lo_open=True)
    schedule: Literal["cosine", "linear", "constant"] = "cosine"  # decay to 0 after warmup (cosine | linear | constant)
    warmup: int = bounded(10, 0, 10_000_000)  # warmup steps
    batch_size: int = bounded(16, 1, 65_536)  # sequences per micro-batch (16: 1.8x the examples/s of 8 on 2 CPU cores)
    grad_accum: int = bounded(1, 1, 65_536)  # micro-batches per optimizer step
    # tokens per example; train p99 is 116, 0.5% are longer (left out; at 96: 3.7%)
    max_length: int = bounded(128, 1, 1_048_576)
    # optimizer steps: 4800 examples (see README: the learning curve and the 30-minute repro)
    iters: int = bounded(300, 1, 10_000_000)
    weight_decay: float = bounded(0.0, 0, 1)  # AdamW weight decay on the LoRA weights
    max_grad_norm: float = bounded(1.0, 0, 1_000_000, lo_open=True)  # gradient clipping norm
    log_interval: int = bounded(10, 1, 10_000_000)  # steps between train-loss / tokens-per-second log points
    eval_interval: int = bounded(50, 1, 10_000_000)  # steps between validation-loss evaluations
    # validation batches per evaluation (a fixed 64-row sample at batch 16)
    eval_batches: int = bounded(4, 1, 1_000_000)
    # steps between resumable checkpoints (0: none; a resume trains alike)
    checkpoint_interval: int = bounded(50, 0, 10_000_000, operational=True)
    device: Literal["auto", "cpu", "cuda", "mps"] = "auto"  # torch device: auto picks cuda, then mps, then cpu
    # auto: bfloat16 where it is native (CUDA, Apple, a CPU with AVX-512 BF16), else float32 (bf16 on a
    # CPU without it ran ~25x slower) | float32 | bfloat16 (autocast) | float16 (CUDA only, loss scaling)
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = "auto"
    # OpenMP waits of torch's CPU threads: active spins (1.27x examples/s at 2 threads), passive sleeps
    omp_wait_policy: Literal["passive", "active"] = operational("active")
    # torch CPU threads (0: every core this process may use); a dep: the count changes float sums
    threads: int = bounded(0, 0, 4096)
    grad_checkpointing: bool = False  # recompute activations in backward (big models on small GPUs)
    # torch: batches per window sorted by (shell, length); 0: plain shuffled batches
    bucket_window: int = bounded(32, 0, 1_000_000)
    share_prefix: bool = True  # torch: a batch's shared system prompt runs once, not once per row
    # backend=kaggle only: a Kaggle GPU kernel runs the torch backend
    kaggle: KaggleParams = field(default_factory=KaggleParams)

    def validate(self) -> list[str]:
        problems = []
        positive = ("rank", "batch_size", "grad_accum", "max_length", "iters", "eval_interval", "eval_batches")
        problems += [f"{name}: must be > 0" for name in positive if getattr(self, name) <= 0]
        problems += [
            f"{name}: must be >= 0"
            for name in ("warmup", "checkpoint_interval", "threads", "bucket_window")
            if getattr(self, name) < 0
        ]
        if self.log_interval <= 0:
            problems.append("log_interval: must be > 0")
        if not 0.0 <= self.dropout < 1.0:
            problems.append("dropout: must be in [0, 1)")
        if self.lr <= 0:
            problems.append("lr: must be > 0")
        if self.warmup >= self.iters > 0:
            problems.append(f"warmup: {self.warmup} steps leave none of the {self.iters} iters to train")
        if not self.target_modules:
            problems.append("target_modules: at least one module")
        if self.dtype == "float16" and self.device == "cpu":
            problems.append("dtype: float16 needs a GPU (use bfloat16 or float32 on cpu)")
        return problems


@dataclass
class Result:
    adapter_dir: Path  # PEFT adapter + train_config.json + meta.json
    summary: dict  # final losses, tokens/s, time, device (also in the report's metrics.json)


class Backend(Protocol):
    """A training backend, named in `stages.BACKENDS` (its module is one). It only trains: it reads the data
    and the base model, may keep checkpoints or downloads in `work_dir` (resumed from there when they match
    this run), reports through `progress`, and writes no output folder."""

    def train(
        self, params: Params, *, seed: int, data_dir: Path, base_dir: Path, work_dir: Path, progress: Progress
    ) -> Trained: ...


def run(
    params: Params,
    *,
    seed: int,
    data_dir: str | Path,
    base_dir: str | Path,
    adapter_dir: str | Path,
    report_dir: str | Path,
    progress: Progress = noop_progress,
) -> Result:
    """Train with `params.backend`; write the adapter (with the resolved config and meta.json) and the report."""
    data_dir, base_dir, adapter_dir, report_dir = map(Path, (data_dir, base_dir, adapter_dir, report_dir))
    inputs = [data_dir, base_dir]
    adapter_files, report_files = io.holds_only(*ADAPTER_DIR_FILES), io.holds_only(*REPORT_FILES)
    for out, ours in ((adapter_dir, adapter_files), (report_dir, report_files)):  # before any work (or GPU session)
        io.check_output(out, stage="train", inputs=inputs, recognise=ours)
    backend = cast(Backend, importlib.import_module(BACKENDS[params.backend]))
    work_dir = common.work_dir(adapter_dir, params.backend)
    trained = backend.train(
        params, seed=seed, data_dir=data_dir, base_dir=base_dir, work_dir=work_dir, progress=progress
    )
    with io.atomic_dir(adapter_dir, stage="train", inputs=inputs, recognise=adapter_files) as tmp:
        trained.save(tmp)
        # Like mlx-lm's adapter_config.json: how this adapter was trained; fuse checks the adapter against it.
        io.write_json(
            tmp / TRAIN_CONFIG,
            {"backend": params.backend, "seed": seed, "base": str(base_dir), "data": str(data_dir), **recorded(params)},
        )
        meta = io.write_meta(
            tmp,
            "train",
            params=recorded(params),
            inputs={"data": data_dir, "base": base_dir},
            seed=seed,
            summary=trained.summary,
        )
    with io.atomic_dir(report_dir, stage="train", inputs=inputs, recognise=report_files) as tmp:
        common.write_report(tmp, trained.history, trained.summary)
    shutil.rmtree(work_dir, ignore_errors=True)  # finished: nothing left to resume
    return Result(adapter_dir=adapter_dir, summary=meta["summary"])


def main(argv: list[str] | None = None) -> int:
    import json

    from .. import params as params_mod
    from ..cli import parser
    from ..progress import progress_bar

    p = parser("train", __doc__)
    p.add_argument("data", type=Path, help="data/final (train.jsonl, valid.jsonl)")
    p.add_argument("base", type=Path, help="models/base")
    p.add_argument("adapter", type=Path, help="output adapter folder (models/adapter)")
    p.add_argument("report", type=Path, help="metrics and plots folder (reports/train)")
    args = p.parse_args(argv)
    raw = params_mod.load(args.params)
    prm = params_mod.section("train", raw, path=args.params)
    seed = params_mod.base_seed(raw, args.params)
    os.environ["OMP_WAIT_POLICY"] = prm.omp_wait_policy  # before torch starts its OpenMP pool
    with progress_bar() as progress:
        result = run(
            prm,
            seed=seed,
            data_dir=args.data,
            base_dir=args.base,
            adapter_dir=args.adapter,
            report_dir=args.report,
            progress=progress,
        )
    print(json.dumps(result.summary, sort_keys=True))
    return 0
