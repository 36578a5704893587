"""mlx backend: mlx-lm's LoRA trainer on the shared params and data, saved in PEFT's adapter layout.

mlx-lm reads our `messages` jsonl as its chat format (`mask_prompt`: loss on the assistant turn only).
The trained adapter is converted to PEFT's layout (adapter_model.safetensors + adapter_config.json) so the
same `fuse` stage serves every backend; mlx-lm's own files are kept under `mlx/` for `mlx_lm.generate`.

On Linux mlx runs on the CPU through the BLAS its wheel links (reference BLAS: very slow); preloading
Debian's OpenBLAS (`LD_PRELOAD=$(python -m cmd_correct.train.mlx_backend blas)`) makes it usable.
"""

from __future__ import annotations

import contextlib
import math
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from .. import io
from ..cli import Progress, noop_progress
from ..errors import DataError, ModelError

# Where Debian's libopenblas0-pthread puts its BLAS (the one DESIGN.md measured at 120-140 GFLOP/s).
OPENBLAS_CANDIDATES = (
    "/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3",
    "/usr/lib/aarch64-linux-gnu/openblas-pthread/libblas.so.3",
)
# PEFT prefixes every LoRA tensor name with this (PeftModel -> LoraModel -> the HF model).
PEFT_PREFIX = "base_model.model."
MLX_DIR = "mlx"  # mlx-lm's native adapter files, inside the adapter folder
CHECKPOINT = "checkpoint"  # resumable state, inside the checkpoint folder


def openblas_path() -> str | None:
    """Debian's pthread OpenBLAS `libblas.so.3`, if installed (to LD_PRELOAD for mlx on Linux)."""
    return next((p for p in OPENBLAS_CANDIDATES if Path(p).is_file()), None)


def blas_in_use() -> str:
    """The BLAS serving mlx's matmuls: `openblas` when Debian's is preloaded, else the wheel's `reference`."""
    maps = Path("/proc/self/maps")
    if not maps.is_file():
        return "unknown"
    libs = maps.read_text()
    # numpy maps its own (prefixed) OpenBLAS too; only a preloaded libblas.so.3 replaces mlx's symbols.
    if "openblas-pthread/libblas.so" in libs or "openblas-openmp/libblas.so" in libs:
        return "openblas"
    return "reference" if "mlx_cpu.libs/libblas" in libs else "unknown"


def checkpoint_dir(adapter_dir: Path) -> Path:
    """Resumable checkpoints live beside the adapter folder, so an interrupted run leaves them behind."""
    adapter_dir = Path(adapter_dir)
    return adapter_dir.with_name(f".{adapter_dir.name}.mlx-checkpoint")


# ---------------------------------------------------------------------------------------------- data


def load_rows(path: Path, max_rows: int | None = None) -> list[dict]:
    """Rows of a messages jsonl reduced to `{"messages": [...]}` (mlx-lm would pass a `tools` key on)."""
    rows = []
    for lineno, obj in io.iter_jsonl(path):
        msgs = obj.get("messages")
        if not isinstance(msgs, list) or not msgs or not all(isinstance(m, dict) for m in msgs):
            raise DataError(path, lineno, "messages", "expected a non-empty list of {role, content} objects")
        if msgs[-1].get("role") != "assistant":
            raise DataError(path, lineno, "messages", "the last message must be the assistant's answer")
        rows.append({"messages": [{"role": m.get("role"), "content": m.get("content")} for m in msgs]})
        if max_rows is not None and len(rows) >= max_rows:
            break
    return rows


def _dataset(rows: list[dict], tokenizer, max_length: int):
    """mlx-lm's chat dataset with prompt masking, truncated to `max_length` tokens like the torch backend."""
    from mlx_lm.tuner.datasets import CacheDataset, ChatDataset

    class Truncated(ChatDataset):
        # Truncate here: mlx-lm's batcher would print a warning per long batch instead.
        def process(self, d):
            tokens, offset = super().process(d)
            return tokens[:max_length], min(offset, max_length)

    return CacheDataset(Truncated(rows, tokenizer, mask_prompt=True))


# ----------------------------------------------------------------------------------------- schedule


def lr_schedule(lr: float, kind: str, warmup: int, total: int) -> Callable:
    """Linear warmup from 0, then cosine/linear decay to 0 or constant (as transformers' schedulers)."""
    import mlx.core as mx

    def schedule(step):
        s = step.astype(mx.float32)
        warm = lr * s / max(warmup, 1)
        frac = mx.clip((s - warmup) / max(total - warmup, 1), 0.0, 1.0)
        if kind == "cosine":
            after = lr * 0.5 * (1.0 + mx.cos(math.pi * frac))
        elif kind == "linear":
            after = lr * (1.0 - frac)
        else:
            after = mx.array(lr, mx.float32)
        return mx.where(s < warmup, warm, after)

    return schedule


# ------------------------------------------------------------------------------- progress / logging


class _QuietUI:
    """Stands in for mlx-lm's TrainUI (which prints a table to stdout): forwards to our progress callback."""

    progress: Progress = noop_progress
    offset = 0  # micro-steps done before a resume

    def __init__(self, total_iters: int, rank: int = 0):
        self.total, self.done = total_iters, 0

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def advance(self):
        self.done += 1
        _QuietUI.progress("train (mlx)", self.offset + self.done, self.offset + self.total)

    def report_train(self, *args):
        pass

    @contextlib.contextmanager
    def val_task(self, total: int):
        yield lambda: None

    def report_val(self, *args):
        pass

    def report_save(self, *args):
        pass


@contextlib.contextmanager
def _quiet_trainer(progress: Progress, offset: int) -> Iterator[None]:
    from mlx_lm.tuner import trainer

    saved = trainer.TrainUI
    _QuietUI.progress, _QuietUI.offset = progress, offset
    trainer.TrainUI = _QuietUI
    try:
        yield
    finally:
        trainer.TrainUI = saved


# ----------------------------------------------------------------------------------- PEFT conversion


def lora_keys(model, targets: list[str]) -> list[str]:
    """Paths (inside one transformer block) of the linear layers named in `targets`; all must exist."""
    import mlx.nn as nn

    keys = [k for k, m in model.layers[0].named_modules() if isinstance(m, nn.Linear) and k.split(".")[-1] in targets]
    found = {k.split(".")[-1] for k in keys}
    missing = [t for t in targets if t not in found]
    if missing:
        raise ModelError(f"train.target_modules: {', '.join(missing)} not found in the model's blocks")
    return keys


def to_peft(weights: dict[str, Any]) -> dict[str, Any]:
    """mlx-lm LoRA tensors -> PEFT names and shapes (numpy float32).

    mlx: y += scale * (x @ lora_a) @ lora_b with lora_a (in, r), lora_b (r, out);
    PEFT: y += (alpha / r) * B(A(x)) with A.weight (r, in), B.weight (out, r): transpose both.
    """
    import mlx.core as mx
    import numpy as np

    out = {}
    for name, w in weights.items():
        stem, leaf = name.rsplit(".", 1)
        peft_leaf = {"lora_a": "lora_A", "lora_b": "lora_B"}.get(leaf)
        if peft_leaf is None:
            raise ModelError(f"mlx adapter tensor {name}: not a LoRA a/b matrix")
        out[f"{PEFT_PREFIX}{stem}.{peft_leaf}.weight"] = np.ascontiguousarray(np.array(w.astype(mx.float32)).T)
    return out


def save_peft(weights: dict[str, Any], params, base_dir: Path, out: Path) -> None:
    """Write PEFT's adapter_model.safetensors + adapter_config.json from mlx-lm LoRA tensors."""
    from peft import LoraConfig
    from safetensors.numpy import save_file

    tensors = to_peft(weights)
    save_file(tensors, str(out / "adapter_model.safetensors"), metadata={"format": "pt"})
    LoraConfig(
        r=params.rank,
        lora_alpha=params.alpha,
        lora_dropout=params.dropout,
        target_modules=sorted(params.target_modules),
        bias="none",
        task_type="CAUSAL_LM",
        base_model_name_or_path=str(base_dir),
    ).save_pretrained(str(out))


# ------------------------------------------------------------------------------------------ training


class _Callback:
    """mlx-lm training callback: records losses, writes metrics, saves resumable checkpoints."""

    def __init__(self, *, model, optimizer, grad_accum: int, offset: int, ckpt: Path, every: int, log, state: dict):
        self.model, self.optimizer, self.grad_accum, self.offset = model, optimizer, grad_accum, offset
        self.ckpt, self.every, self.log = ckpt, every, log
        self.train_loss = self.valid_loss = None
        # Sequence tokens (prompt + answer, no padding) the trainer drew, counted by `batches`; carried
        # over a resume like the seconds spent.
        self.tokens = self.tokens_before = int(state.get("tokens", 0))
        self.seconds = float(state.get("seconds", 0.0))
        self.peak_memory = 0.0
        self._last = (self.tokens, self.seconds)

    def batches(self, dataset, batch_size, max_seq_length, loop=False, seed=None, comm_group=None):
        """mlx-lm's batch iterator, counting the real tokens of training batches (`loop=True`)."""
        from mlx_lm.tuner.trainer import iterate_batches

        for batch, lengths in iterate_batches(dataset, batch_size, max_seq_length, loop, seed, comm_group):
            if loop:
                self.tokens += int(lengths[:, 1].sum().item())
            yield batch, lengths

    def on_train_loss_report(self, info: dict) -> None:
        micro = self.offset + info["iteration"]
        self.train_loss = float(info["train_loss"])
        self.seconds += self.grad_accum / info["iterations_per_second"]  # mlx-lm reports every grad_accum
        self.peak_memory = max(self.peak_memory, float(info["peak_memory"]))
        if micro % self.grad_accum == 0:
            step = micro // self.grad_accum
            tokens, seconds = self.tokens - self._last[0], self.seconds - self._last[1]
            self._last = (self.tokens, self.seconds)
            self.log(
                step,
                {
                    "train_loss": self.train_loss,
                    "tokens_per_s": tokens / seconds if seconds else 0.0,
                    "lr": float(info["learning_rate"]),
                },
            )
            if self.every and step % self.every == 0:
                self.save(step)

    def on_val_loss_report(self, info: dict) -> None:
        self.valid_loss = float(info["val_loss"])
        self.log((self.offset + info["iteration"]) // self.grad_accum, {"valid_loss": self.valid_loss})

    def save(self, step: int) -> None:
        """Adapter weights + optimizer state (moments, step, lr) + step count, replaced atomically."""
        import mlx.core as mx
        from mlx.utils import tree_flatten

        with io.atomic_dir(self.ckpt / CHECKPOINT) as tmp:
            mx.save_safetensors(
                str(tmp / "adapters.safetensors"), dict(tree_flatten(self.model.trainable_parameters()))
            )
            mx.save_safetensors(str(tmp / "optimizer.safetensors"), dict(tree_flatten(self.optimizer.state)))
            io.write_json(tmp / "state.json", {"step": step, "tokens": self.tokens, "seconds": self.seconds})


def _resume(ckpt: Path, model, optimizer) -> dict:
    """Load the last checkpoint into `model`/`optimizer`; returns its state ({} when there is none)."""
    import mlx.core as mx
    from mlx.utils import tree_unflatten

    folder = ckpt / CHECKPOINT
    if not (folder / "state.json").is_file():
        return {}
    model.load_weights(str(folder / "adapters.safetensors"), strict=False)
    optimizer.init(model.trainable_parameters())
    optimizer.state = tree_unflatten(list(mx.load(str(folder / "optimizer.safetensors")).items()))
    return io.read_json(folder / "state.json")


def _metrics_logger(report_dir: Path) -> tuple[Callable[[int, dict], None], Callable[[dict], None]]:
    """dvclive-compatible files: plots/metrics/<name>.tsv (step, value) and metrics.json (the last values)."""
    plots = report_dir / "plots" / "metrics"
    plots.mkdir(parents=True, exist_ok=True)

    def log(step: int, values: dict) -> None:
        for name, value in values.items():
            path = plots / f"{name}.tsv"
            new = not path.exists()
            with path.open("a", encoding="utf-8") as f:
                if new:
                    f.write(f"step\t{name}\n")
                f.write(f"{step}\t{value}\n")

    def finish(summary: dict) -> None:
        io.write_json(report_dir / "metrics.json", summary)

    return log, finish


def train(
    params,
    *,
    seed: int,
    data_dir: Path,
    base_dir: Path,
    adapter_dir: Path,
    report_dir: Path,
    progress: Progress = noop_progress,
) -> dict:
    """Train a LoRA adapter with mlx-lm; writes the PEFT adapter to `adapter_dir`, metrics to `report_dir`."""
    import mlx.core as mx
    import mlx.optimizers as optim
    import numpy as np
    from mlx.utils import tree_flatten
    from mlx_lm.tuner.trainer import TrainingArgs, evaluate
    from mlx_lm.tuner.trainer import train as mlx_train
    from mlx_lm.tuner.utils import linear_to_lora_layers
    from mlx_lm.utils import load, save_config

    data_dir, base_dir, adapter_dir, report_dir = map(Path, (data_dir, base_dir, adapter_dir, report_dir))
    started = time.perf_counter()
    progress("train (mlx): load", 0, 1)
    try:
        model, tokenizer = load(str(base_dir))
    except (FileNotFoundError, ValueError) as e:
        raise ModelError(f"{base_dir}: mlx-lm cannot load this model: {e}") from None
    if params.dtype != "float32":
        model.set_dtype(getattr(mx, params.dtype))
    splits = {}
    for split in ("train", "valid"):
        path = data_dir / f"{split}.jsonl"
        if not path.is_file():
            raise DataError(path, None, None, "file not found")
        rows = load_rows(path)
        if len(rows) < params.batch_size:
            raise DataError(path, None, None, f"{len(rows)} rows; train.batch_size={params.batch_size} needs more")
        splits[split] = _dataset(rows, tokenizer, params.max_length)
    progress("train (mlx): load", 1, 1)

    mx.random.seed(seed)
    np.random.seed(seed)
    model.freeze()
    lora = {
        "rank": params.rank,
        "scale": params.alpha / params.rank,
        "dropout": params.dropout,
        "keys": lora_keys(model, params.target_modules),
    }
    linear_to_lora_layers(model, len(model.layers), lora)
    # AdamW with bias correction and no weight decay, as transformers' Trainer defaults.
    optimizer = optim.AdamW(
        learning_rate=lr_schedule(params.lr, params.schedule, params.warmup, params.iters),
        weight_decay=0.0,
        bias_correction=True,
    )

    ckpt = checkpoint_dir(adapter_dir)
    state = _resume(ckpt, model, optimizer)
    done = int(state.get("step", 0))
    log, finish = _metrics_logger(report_dir)
    accum = params.grad_accum
    cb = _Callback(
        model=model,
        optimizer=optimizer,
        grad_accum=accum,
        offset=done * accum,
        ckpt=ckpt,
        every=params.checkpoint_interval,
        log=log,
        state=state,
    )
    mlx_files = adapter_dir / MLX_DIR
    mlx_files.mkdir(parents=True, exist_ok=True)
    remaining = (params.iters - done) * accum  # mlx-lm counts micro-batches
    if remaining > 0:
        args = TrainingArgs(
            batch_size=params.batch_size,
            iters=remaining,
            val_batches=params.eval_batches,
            steps_per_report=accum,
            steps_per_eval=params.eval_interval * accum,
            steps_per_save=remaining + 1,  # our callback checkpoints (with optimizer state) instead
            max_seq_length=params.max_length,
            adapter_file=str(mlx_files / "adapters.safetensors"),
            grad_accumulation_steps=accum,
        )
        with _quiet_trainer(progress, done * accum):
            mlx_train(
                model=model,
                optimizer=optimizer,
                train_dataset=splits["train"],
                val_dataset=splits["valid"],
                args=args,
                iterate_batches=cb.batches,
                training_callback=cb,
            )
    # mlx-lm's last evaluation runs before the last step: evaluate the final adapter once more.
    progress("train (mlx): evaluate", 0, 1)
    cb.on_val_loss_report(
        {
            "iteration": remaining,
            "val_loss": evaluate(model, splits["valid"], params.batch_size, params.eval_batches, params.max_length),
        }
    )
    progress("train (mlx): evaluate", 1, 1)
    weights = dict(tree_flatten(model.trainable_parameters()))
    mx.save_safetensors(str(mlx_files / "adapters.safetensors"), weights)
    save_config(
        {"fine_tune_type": "lora", "num_layers": len(model.layers), "lora_parameters": lora},
        mlx_files / "adapter_config.json",
    )
    save_peft(weights, params, base_dir, adapter_dir)

    summary = {
        "backend": "mlx",
        "steps": params.iters,
        "resumed_from": done,
        "train_loss": cb.train_loss,
        "valid_loss": cb.valid_loss,
        "tokens": cb.tokens,
        "tokens_per_s": cb.tokens / cb.seconds if cb.seconds else None,
        "train_seconds": cb.seconds,
        "seconds": time.perf_counter() - started,
        "peak_memory_gb": cb.peak_memory,
        "device": str(mx.default_device()),
        "blas": blas_in_use(),
    }
    finish(summary)
    shutil.rmtree(ckpt, ignore_errors=True)  # finished: nothing left to resume
    return summary


def main(argv: list[str] | None = None) -> int:
    """`python -m cmd_correct.train.mlx_backend blas`: print the OpenBLAS path to LD_PRELOAD (exit 1: none)."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["blas"]:
        path = openblas_path()
        if path:
            print(path)
        return 0 if path else 1
    print("usage: python -m cmd_correct.train.mlx_backend blas", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
