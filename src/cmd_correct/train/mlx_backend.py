"""mlx backend: mlx-lm's LoRA trainer on the shared params and data, saved in PEFT's adapter layout.

Examples are encoded by data.py exactly as for the torch backend and handed to mlx-lm as (tokens, answer
offset) pairs, its prompt-masking format: the loss covers the assistant turn only.
The trained adapter is converted to PEFT's layout (adapter_model.safetensors + adapter_config.json) so the
same `fuse` stage serves every backend; mlx-lm's own files are kept under `mlx/` for `mlx_lm.generate`.

mlx trains on its default device (the Metal GPU on Apple Silicon, the CPU on Linux): `train.device` and
`train.threads` are torch settings. `dtype` bfloat16/float16 casts the frozen weights (mlx has no autocast);
the LoRA weights stay float32. Checkpoints (adapter, optimizer state, log history) resume like torch's.

mlx-lm's trainer is driven through its public hooks: `training_callback` (its TrainingCallback: the loss
reports) and `iterate_batches` (the batches, where checkpoints and progress are taken between steps).

On Linux mlx runs on the CPU through the BLAS its wheel links (reference BLAS: very slow); preloading
Debian's OpenBLAS (`LD_PRELOAD=$(python -m cmd_correct.train.mlx_backend blas)`) makes it usable.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .. import io
from ..errors import DataError, ModelError
from ..progress import Progress, noop_progress
from . import common, data
from .common import CHECKPOINT, Trained

# Where Debian's libopenblas0-pthread puts its BLAS (the one DESIGN.md measured at 120-140 GFLOP/s).
OPENBLAS_CANDIDATES = (
    "/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3",
    "/usr/lib/aarch64-linux-gnu/openblas-pthread/libblas.so.3",
)
# PEFT prefixes every LoRA tensor name with this (PeftModel -> LoraModel -> the HF model).
PEFT_PREFIX = "base_model.model."
MLX_DIR = "mlx"  # mlx-lm's native adapter files, inside the adapter folder


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


# ---------------------------------------------------------------------------------------------- data


def encode_split(tokenizer, data_dir: Path, split: str, max_length: int, min_rows: int):
    """A split encoded exactly as the torch backend does (data.py), as mlx-lm (tokens, answer offset) pairs.

    mlx-lm's loss covers tokens from the offset on (`mask_prompt`), i.e. the answer and its end-of-turn.
    """
    path = data_dir / f"{split}.jsonl"
    enc = data.encode_all(tokenizer, data.read_split(path), max_length)
    if len(enc.input_ids) < min_rows:
        raise DataError(
            path,
            None,
            None,
            f"{len(enc.input_ids)} usable rows (after {enc.dropped} longer than train.max_length={max_length}); "
            f"train.batch_size={min_rows} needs at least that many",
        )
    first = [next(i for i, t in enumerate(labels) if t != data.IGNORE) for labels in enc.labels]
    pairs = list(zip(enc.input_ids, first, strict=True))
    return pairs, enc


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


# ----------------------------------------------------------------------------------- PEFT conversion


def lora_keys(model, targets: list[str]) -> list[str]:
    """Paths (inside one transformer block) of the linear layers named in `targets`; all must exist."""
    import mlx.nn as nn

    keys = [k for k, m in model.layers[0].named_modules() if isinstance(m, nn.Linear) and k.split(".")[-1] in targets]
    found = {k.split(".")[-1] for k in keys}
    missing = [t for t in targets if t not in found]
    if missing:
        raise ModelError(
            f"train.target_modules: {', '.join(missing)} not found in the model's blocks", param="train.target_modules"
        )
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
            raise ModelError(f"mlx adapter tensor {name}: not a LoRA a/b matrix", field=name)
        out[f"{PEFT_PREFIX}{stem}.{peft_leaf}.weight"] = np.ascontiguousarray(np.array(w.astype(mx.float32)).T)
    return out


def save_peft(weights: dict[str, Any], params, base_dir: Path, out: Path, num_blocks: int) -> None:
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
        layers_to_transform=common.adapted_layers(params.num_layers, num_blocks),
        bias="none",
        task_type="CAUSAL_LM",
        base_model_name_or_path=str(base_dir),
        inference_mode=True,  # as PEFT's save_pretrained writes it for a trained model
    ).save_pretrained(str(out))
    cfg_path = out / "adapter_config.json"
    cfg = io.read_json(cfg_path)
    cfg["target_modules"] = sorted(cfg["target_modules"])  # PEFT saves a set: fix the order, stable bytes
    io.write_json(cfg_path, cfg)


# ------------------------------------------------------------------------------------------ training


def _optimizer(params):
    """AdamW as the torch backend runs it: bias correction, `weight_decay`, gradients clipped to `max_grad_norm`."""
    import mlx.optimizers as optim

    class ClippedAdamW(optim.AdamW):
        def apply_gradients(self, gradients, parameters):
            if params.max_grad_norm > 0:
                gradients, _ = optim.clip_grad_norm(gradients, params.max_grad_norm)
            return super().apply_gradients(gradients, parameters)

    schedule = lr_schedule(params.lr, params.schedule, params.warmup, params.iters)
    return ClippedAdamW(learning_rate=schedule, weight_decay=params.weight_decay, bias_correction=True)


class _Run:
    """mlx-lm's trainer hooks: its TrainingCallback (`on_train_loss_report`, `on_val_loss_report`: the log)
    and its `iterate_batches` (`batches`: tokens counted, checkpoints saved, progress reported).

    mlx-lm counts micro-batches (`it`); optimizer step k ends after micro-batch k * grad_accum.
    """

    def __init__(
        self, *, params, model, optimizer, ckpt: Path, fingerprint: str, log, state: dict, progress=noop_progress
    ):
        self.params, self.model, self.optimizer, self.ckpt, self.fingerprint = (
            params,
            model,
            optimizer,
            ckpt,
            fingerprint,
        )
        self.log = log
        self.accum = params.grad_accum
        self.done = int(state.get("step", 0))  # optimizer steps finished before this call (a resume)
        # Sequence tokens (prompt + answer, no padding) of the training batches drawn, like the torch backend.
        self.tokens, self.seconds = int(state.get("tokens", 0)), float(state.get("seconds", 0.0))
        self.drawn = 0  # training micro-batches drawn in this call
        self.window = (self.tokens, self.seconds)
        self.train_loss = self.valid_loss = None
        self.peak_memory = 0.0
        self.progress: Progress = progress

    def step_of(self, micro: int) -> int:
        return self.done + micro // self.accum

    def batches(self, dataset, batch_size, max_seq_length, loop=False, seed=None, comm_group=None):
        """Training: mlx-lm's shuffled batch iterator; being asked for the next batch means the previous step
        is done, so checkpoints and progress are taken here. Evaluation: the first batches in file order (a
        fixed sample, like the torch backend), without touching the shuffle's random state."""
        from mlx_lm.tuner.trainer import iterate_batches

        if not loop:
            for batch, lengths in _fixed_batches(dataset, batch_size):
                yield batch, answer_mask(lengths)
            return
        for batch, lengths in iterate_batches(dataset, batch_size, max_seq_length, loop, seed, comm_group):
            if self.drawn and self.drawn % self.accum == 0:
                step = self.step_of(self.drawn)
                every = self.params.checkpoint_interval
                if every and step % every == 0:
                    self.save(step)
                self.progress("train (mlx)", step, self.params.iters)
            self.drawn += 1
            self.tokens += int(lengths[:, 1].sum().item())
            yield batch, answer_mask(lengths)

    def on_train_loss_report(self, info: dict) -> None:
        self.train_loss = float(info["train_loss"])
        self.seconds += self.params.log_interval * self.accum / info["iterations_per_second"]
        self.peak_memory = max(self.peak_memory, float(info["peak_memory"]))
        tokens, seconds = self.tokens - self.window[0], self.seconds - self.window[1]
        self.window = (self.tokens, self.seconds)
        values = {
            "train_loss": self.train_loss,
            "tokens_per_s": tokens / seconds if seconds else 0.0,
            "lr": float(info["learning_rate"]),
        }
        self.log.log(self.step_of(info["iteration"]), values)

    def on_val_loss_report(self, info: dict) -> None:
        # mlx-lm evaluates before micro-batch `it` runs; `iteration` is it - 1 micro-batches done.
        self.valid_loss = float(info["val_loss"])
        self.log.log(self.step_of(info["iteration"]), {"valid_loss": self.valid_loss})

    def save(self, step: int) -> None:
        """Adapter weights, optimizer state (moments, step) and the log history, replaced atomically."""
        import mlx.core as mx
        from mlx.utils import tree_flatten

        with io.atomic_dir(self.ckpt / CHECKPOINT) as tmp:
            mx.save_safetensors(
                str(tmp / "adapters.safetensors"), dict(tree_flatten(self.model.trainable_parameters()))
            )
            mx.save_safetensors(str(tmp / "optimizer.safetensors"), dict(tree_flatten(self.optimizer.state)))
            state = {
                "step": step,
                "fingerprint": self.fingerprint,
                "history": self.log.history,
                "tokens": self.tokens,
                "seconds": self.seconds,
            }
            io.write_json(tmp / common.STATE, state)


def answer_mask(lengths):
    """mlx-lm (offset, length) rows -> (offset, length - 1): exactly the answer tokens, as the torch backend.

    Regression pin: mlx-lm 0.32.2's default_loss keeps targets at positions offset..length inclusive, one
    past the row's last token, so each row would also be trained to predict the padding id (0) after its
    end-of-turn; the validation loss then differs from the torch backend's on the same rows.
    """
    import mlx.core as mx

    return lengths - mx.array([0, 1], dtype=lengths.dtype)


def _fixed_batches(dataset, batch_size: int):
    """Whole batches of (tokens, offset) pairs in order, right-padded, with mlx-lm's (offset, length) rows."""
    import mlx.core as mx
    import numpy as np

    for start in range(0, len(dataset) - batch_size + 1, batch_size):
        rows = [dataset[i] for i in range(start, start + batch_size)]
        arr = np.zeros((batch_size, max(len(t) for t, _ in rows)), np.int32)
        for i, (tokens, _) in enumerate(rows):
            arr[i, : len(tokens)] = tokens
        yield mx.array(arr), mx.array([(offset, len(tokens)) for tokens, offset in rows])


def _resume(ckpt: Path, fingerprint: str, model, optimizer) -> dict:
    """Restore the last checkpoint if it belongs to this run (same fingerprint); {} otherwise."""
    import mlx.core as mx
    from mlx.utils import tree_unflatten

    state = common.resumable_state(ckpt, fingerprint)
    if not state:
        return {}
    folder = ckpt / CHECKPOINT
    model.load_weights(str(folder / "adapters.safetensors"), strict=False)
    optimizer.init(model.trainable_parameters())
    optimizer.state = tree_unflatten(list(mx.load(str(folder / "optimizer.safetensors")).items()))
    return state


def train(
    params,
    *,
    seed: int,
    data_dir: Path,
    base_dir: Path,
    work_dir: Path,
    progress: Progress = noop_progress,
) -> Trained:
    """Train a LoRA adapter with mlx-lm (checkpoints in `work_dir`): load, add LoRA, resume, fit, evaluate;
    returns the adapter's save (PEFT's layout, mlx-lm's own under mlx/), the log's history and the summary."""
    import mlx.core as mx
    import numpy as np
    from mlx.utils import tree_flatten

    data_dir, base_dir, work_dir = map(Path, (data_dir, base_dir, work_dir))
    started = time.perf_counter()
    model, train_set, valid_set, train_enc = _load(params, data_dir, base_dir, progress)
    mx.random.seed(seed)
    np.random.seed(seed)  # mlx-lm shuffles batches with numpy's global generator
    lora, adapted = _add_lora(model, params)
    optimizer = _optimizer(params)
    fingerprint = common.fingerprint(params, seed, data_dir, base_dir)
    state = _resume(work_dir, fingerprint, model, optimizer)
    log = common.TrainLog(state.get("history", []))
    run = _Run(
        params=params,
        model=model,
        optimizer=optimizer,
        ckpt=work_dir,
        fingerprint=fingerprint,
        log=log,
        state=state,
        progress=progress,
    )
    _fit(run, train_set, valid_set)
    _evaluate_final(run, valid_set)

    weights = dict(tree_flatten(model.trainable_parameters()))
    mlx_config = {"fine_tune_type": "lora", "num_layers": adapted, "lora_parameters": lora}
    summary = {
        "backend": "mlx",
        "steps": params.iters,
        "resumed_from": int(state.get("step", 0)),
        "train_loss": run.train_loss,
        "valid_loss": run.valid_loss,
        "base_valid_loss": data.base_valid_loss(log.history),
        "tokens": run.tokens,
        "tokens_per_s": run.tokens / run.seconds if run.seconds else None,
        "train_seconds": run.seconds,
        "seconds": time.perf_counter() - started,
        "device": str(mx.default_device()),
        "dtype": params.dtype,
        "blas": blas_in_use(),
        "train_rows": len(train_set),
        "dropped_rows": train_enc.dropped,
        "max_tokens": max(train_enc.lengths),
        "peak_memory_gb": run.peak_memory,
    }
    save = functools.partial(_save_adapter, weights, mlx_config, params, base_dir, len(model.layers))
    return Trained(save=save, history=log.history, summary=summary)


def _load(params, data_dir: Path, base_dir: Path, progress: Progress) -> tuple[Any, list, list, data.Encoded]:
    """The model (frozen weights cast to `params.dtype`), the train and valid splits as mlx-lm pairs, and the
    train split's encoding (its dropped rows and lengths go in the summary)."""
    import mlx.core as mx
    from mlx_lm.utils import load

    progress("train (mlx): load", 0, 1)
    # The same tokenizer, template check and encoding as the torch backend: identical examples and masks.
    tokenizer = common.base_tokenizer(base_dir)
    train_set, train_enc = encode_split(tokenizer, data_dir, "train", params.max_length, params.batch_size)
    valid_set, _ = encode_split(tokenizer, data_dir, "valid", params.max_length, params.batch_size)
    try:
        model, _ = load(str(base_dir))
    except (FileNotFoundError, ValueError) as e:
        raise ModelError(f"{base_dir}: mlx-lm cannot load this model: {e}", path=base_dir) from None
    dtype = "bfloat16" if params.dtype == "auto" else params.dtype  # Apple GPUs run bf16 natively
    if dtype != "float32":
        model.set_dtype(getattr(mx, dtype))  # mlx has no autocast: the frozen weights are cast
    progress("train (mlx): load", 1, 1)
    return model, train_set, valid_set, train_enc


def _add_lora(model, params) -> tuple[dict, int]:
    """Freeze the model and put LoRA on `params.target_modules` in its top `params.num_layers` blocks (0: all);
    returns mlx-lm's lora_parameters and how many blocks were adapted."""
    from mlx_lm.tuner.utils import linear_to_lora_layers

    model.freeze()
    lora = {
        "rank": params.rank,
        "scale": params.alpha / params.rank,
        "dropout": params.dropout,
        "keys": lora_keys(model, params.target_modules),
    }
    blocks = common.adapted_layers(params.num_layers, len(model.layers))  # mlx-lm adapts the top blocks too
    adapted = len(model.layers) if blocks is None else len(blocks)
    linear_to_lora_layers(model, adapted, lora)  # LoRA weights are created in float32
    return lora, adapted


def _fit(run: _Run, train_set: list, valid_set: list) -> None:
    """mlx-lm's trainer over the optimizer steps a resume left, driven through its hooks (`_Run`)."""
    from mlx_lm.tuner.trainer import TrainingArgs
    from mlx_lm.tuner.trainer import train as mlx_train

    params = run.params
    remaining = (params.iters - run.done) * params.grad_accum  # mlx-lm counts micro-batches
    run.progress("train (mlx)", run.done, params.iters)
    if remaining <= 0:
        return
    run.ckpt.mkdir(parents=True, exist_ok=True)
    args = TrainingArgs(
        batch_size=params.batch_size,
        iters=remaining,
        val_batches=params.eval_batches,
        steps_per_report=params.log_interval * params.grad_accum,
        steps_per_eval=params.eval_interval * params.grad_accum,
        steps_per_save=remaining + 1,  # `_Run.batches` checkpoints (with optimizer state) instead
        max_seq_length=params.max_length,
        adapter_file=str(run.ckpt / "mlx-lm-adapters.safetensors"),  # mlx-lm saves here once at the end
        grad_checkpoint=params.grad_checkpointing,
        grad_accumulation_steps=params.grad_accum,
    )
    # No public API quiets mlx-lm's TrainUI: it prints a table and a bar to stdout, the CLI's data channel.
    # Its stdout goes to devnull for the call; the hooks hand the same numbers to our log and progress.
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        mlx_train(
            model=run.model,
            optimizer=run.optimizer,
            train_dataset=train_set,
            val_dataset=valid_set,
            args=args,
            iterate_batches=run.batches,
            training_callback=run,
        )
    run.progress("train (mlx)", params.iters, params.iters)


def _evaluate_final(run: _Run, valid_set: list) -> None:
    """mlx-lm's last evaluation runs before the last step: the final adapter's valid loss, logged at the end."""
    from mlx_lm.tuner.trainer import evaluate

    params = run.params
    run.progress("train (mlx): evaluate", 0, 1)
    run.valid_loss = evaluate(
        run.model, valid_set, params.batch_size, params.eval_batches, params.max_length, iterate_batches=run.batches
    )
    run.log.log(params.iters, {"valid_loss": run.valid_loss})
    run.progress("train (mlx): evaluate", 1, 1)


def _save_adapter(
    weights: dict[str, Any], mlx_config: dict, params, base_dir: Path, num_blocks: int, folder: Path
) -> None:
    """The adapter in PEFT's layout (what `fuse` reads) and mlx-lm's own under mlx/ (for `mlx_lm.generate`)."""
    import mlx.core as mx
    from mlx_lm.utils import save_config

    save_peft(weights, params, base_dir, folder, num_blocks)
    (folder / MLX_DIR).mkdir()
    mx.save_safetensors(str(folder / MLX_DIR / "adapters.safetensors"), weights)
    save_config(mlx_config, folder / MLX_DIR / "adapter_config.json")


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
