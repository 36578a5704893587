"""torch backend: PEFT LoRA on models/base with a plain training loop (CPU, CUDA or MPS).

The loss covers the assistant turn only (see data.py). Every `checkpoint_interval` steps the adapter,
optimizer, scheduler, RNG state and log history go to the work folder `train.run` gives it
(`.<adapter>.torch-checkpoint/` beside the adapter folder); a rerun with the same params, data and base
model resumes there and produces the same adapter as an uninterrupted run. `train.run` writes the outputs.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import os
import sys
import time
from pathlib import Path
from typing import Any

from .. import io
from ..errors import DataError, ModelError
from ..progress import Progress, noop_progress
from . import common, data
from .common import CHECKPOINT


def pick_device(name: str) -> str:
    """`auto` -> cuda, else mps, else cpu; an explicit device that is missing is an error."""
    import torch

    available = {
        "cuda": torch.cuda.is_available(),
        "mps": getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available(),
        "cpu": True,
    }
    if name == "auto":
        return next(d for d in ("cuda", "mps", "cpu") if available[d])
    if not available[name]:
        raise ModelError(f"train.device={name}, but torch sees no {name} device here (use auto)", param="train.device")
    return name


def _load_split(tokenizer, data_dir: Path, split: str, max_length: int, batch_size: int) -> data.LazySplit:
    path = data_dir / f"{split}.jsonl"
    rows = data.LazySplit(tokenizer, data.read_split(path), max_length)
    if len(rows) < batch_size:
        raise DataError(path, None, None, f"{len(rows)} rows; train.batch_size={batch_size} needs at least that many")
    return rows


def _scheduler(optimizer, params):
    from transformers import get_scheduler

    name = "constant_with_warmup" if params.schedule == "constant" else params.schedule
    return get_scheduler(name, optimizer, num_warmup_steps=params.warmup, num_training_steps=params.iters)


def _loss_sum(model, ids, mask, labels, autocast, prefix=None):
    """Summed next-token cross-entropy over the labelled (assistant) tokens, and their count.

    The output layer runs only at labelled positions: with a 49k vocabulary and ~15 answer tokens in
    ~60, full logits would cost ~10% of the step and 100+ MB per batch for nothing. (Llama/Qwen-style
    models: decoder + plain lm_head, no logit soft-capping.)

    `prefix` (1-D token ids every row of the batch starts with; `ids` etc. are then the rows after it):
    the shared system prompt runs once and its keys/values are repeated for every row, so its tokens
    are not recomputed per row. Gradients flow through the shared pass; the loss is the same sum.
    """
    import torch
    import torch.nn.functional as F

    inner = model.get_base_model() if hasattr(model, "get_base_model") else model
    decoder = inner.get_decoder()
    target = labels[:, 1:]
    keep = target != data.IGNORE
    with autocast():
        if prefix is None or len(prefix) == 0:
            hidden = decoder(input_ids=ids, attention_mask=mask).last_hidden_state
        else:
            n, p = ids.shape[0], len(prefix)
            cache = decoder(input_ids=prefix[None], use_cache=True).past_key_values
            cache.batch_repeat_interleave(n)
            full_mask = torch.cat([mask.new_ones((n, p)), mask], dim=1)
            positions = torch.arange(p, p + ids.shape[1], device=ids.device)[None].expand(n, -1)
            hidden = decoder(
                input_ids=ids, attention_mask=full_mask, past_key_values=cache, position_ids=positions, use_cache=True
            ).last_hidden_state
        logits = inner.get_output_embeddings()(hidden[:, :-1][keep])
    loss = F.cross_entropy(logits.float(), target[keep], reduction="sum")
    return loss, int(keep.sum())


def resolve_dtype(dtype: str, device: str) -> str:
    """`auto` -> bfloat16 where its matmuls are native (CUDA with bf16, MPS, a CPU oneDNN runs bf16 on:
    AVX-512 BF16 or AMX), float16 on an older CUDA GPU (a T4), else float32. On an AVX2-only CPU bf16
    autocast is emulated: measured ~161 s per step (7 steps in 1126 s) against 6.3 s in float32."""
    import torch

    if dtype != "auto":
        return dtype
    if device == "cuda":
        return "bfloat16" if torch.cuda.is_bf16_supported() else "float16"
    if device == "mps":
        return "bfloat16"
    return "bfloat16" if torch.ops.mkldnn._is_mkldnn_bf16_supported() else "float32"


def build_model(params, base_dir: Path, device: str):
    """models/base with fresh LoRA adapters on `device`, in training mode, and its autocast context factory."""
    import contextlib

    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    dtype = resolve_dtype(params.dtype, device)
    half = dtype != "float32"
    compute = getattr(torch, dtype)
    # Half-precision weights only where the accelerator has the memory savings to gain (T4 + 4B);
    # on CPU the weights load as fp32 and bf16 runs under autocast.
    load_dtype = compute if half and device != "cpu" else torch.float32
    model = AutoModelForCausalLM.from_pretrained(base_dir, dtype=load_dtype).to(device)
    if params.grad_checkpointing:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    lora = LoraConfig(
        r=params.rank,
        lora_alpha=params.alpha,
        lora_dropout=params.dropout,
        target_modules=list(params.target_modules),
        layers_to_transform=common.adapted_layers(params.num_layers, model.config.num_hidden_layers),
        bias="none",
        task_type="CAUSAL_LM",
    )
    model = get_peft_model(model, lora)  # adapter weights stay fp32 (peft's autocast_adapter_dtype)
    if half and load_dtype != compute:
        store_frozen_as(model, compute)
    model.train()

    def autocast():
        if not half:
            return contextlib.nullcontext()
        return torch.autocast(device_type=device, dtype=compute)

    return model, autocast


def store_frozen_as(model, dtype) -> int:
    """Store the frozen linear weights in autocast's compute dtype; returns how many were converted.

    Autocast casts an fp32 weight to `dtype` for every matmul (a full copy of the model per forward pass);
    stored in `dtype` already, the matmul gets the same bits without the copy: loss and gradients are
    unchanged (tested). Embeddings, norms and the adapters stay fp32; a lm_head tied to the input
    embeddings is left alone, since the embedding lookup does not run under autocast.
    """
    import torch

    tied = model.get_input_embeddings().weight
    converted = 0
    for module in model.modules():
        if type(module) is torch.nn.Linear and not module.weight.requires_grad and module.weight is not tied:
            module.weight.data = module.weight.data.to(dtype)
            converted += 1
    return converted


def micro_batches(rows, pad_id: int, device: str, share_prefix: bool) -> list[tuple]:
    """(ids, mask, labels, prefix) tensors per micro-batch of encoded rows: rows that start with the same
    unsupervised prompt (one shell's system prompt) are split off it when `share_prefix`."""
    import torch

    if not rows:
        return []
    p = data.shared_prefix(rows) if share_prefix else 0
    prefix = torch.tensor(rows[0][0][:p], dtype=torch.long, device=device) if p else None
    ids, mask, labels = (t.to(device) for t in data.collate([(x[p:], y[p:]) for x, y in rows], pad_id))
    return [(ids, mask, labels, prefix)]


def _evaluate(model, split: data.LazySplit, params, pad_id: int, device: str, autocast) -> float:
    """Mean per-token loss on the first `eval_batches` batches of the valid split (a fixed sample)."""
    import torch

    model.eval()
    total, count = 0.0, 0
    n = min(len(split), params.eval_batches * params.batch_size)
    with torch.no_grad():
        for start in range(0, n, params.batch_size):
            rows = split.rows(list(range(start, min(n, start + params.batch_size))))
            if not rows:
                continue
            ids, mask, labels = (t.to(device) for t in data.collate(rows, pad_id))
            loss, k = _loss_sum(model, ids, mask, labels, autocast)
            total, count = total + float(loss), count + k
    model.train()
    return total / max(count, 1)


def _save_checkpoint(folder: Path, model, optimizer, scheduler, scaler, state: dict) -> None:
    import torch
    from peft import get_peft_model_state_dict

    with io.atomic_dir(folder / CHECKPOINT) as tmp:
        torch.save(
            {
                "adapter": get_peft_model_state_dict(model),
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(),
                "scaler": scaler.state_dict() if scaler.is_enabled() else None,
                "rng_cpu": torch.get_rng_state(),
                "rng_cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None,
            },
            tmp / "state.pt",
        )
        io.write_json(tmp / common.STATE, state)


def _load_checkpoint(folder: Path, fingerprint: str, model, optimizer, scheduler, scaler) -> dict:
    """Restore the last checkpoint if it belongs to this run (same fingerprint); {} otherwise."""
    import torch
    from peft import set_peft_model_state_dict

    state = common.resumable_state(folder, fingerprint)
    if not state:
        return {}
    path = folder / CHECKPOINT / "state.pt"
    keys = {"adapter", "optimizer", "scheduler", "scaler", "rng_cpu", "rng_cuda"}  # what _save_checkpoint writes
    try:  # tensors, numbers and containers only: unpickling anything else could run code from the file
        blob = torch.load(path, map_location="cpu", weights_only=True)
        if not isinstance(blob, dict) or not keys <= blob.keys():
            raise ValueError(f"expected a mapping of {', '.join(sorted(keys))}")
    except Exception as exc:  # noqa: BLE001  (UnpicklingError, RuntimeError, EOFError: all say the same)
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()] or [type(exc).__name__]
        # torch's message opens with advice to load it unsafely; its own reason is on a later line
        reason = next((line for line in lines if line.startswith("WeightsUnpickler error")), lines[0])
        reason = "".join(c for c in reason.split(". ")[0][:200] if c.isprintable())
        raise ModelError(
            f"{path}: not a checkpoint this code wrote (refused to load it with weights_only: {reason}); "
            f"remove {folder} to start over",
            path=path,
        ) from None
    set_peft_model_state_dict(model, blob["adapter"])
    optimizer.load_state_dict(blob["optimizer"])
    scheduler.load_state_dict(blob["scheduler"])
    if scaler.is_enabled() and blob["scaler"] is not None:
        scaler.load_state_dict(blob["scaler"])
    torch.set_rng_state(blob["rng_cpu"])
    if blob["rng_cuda"] is not None and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(blob["rng_cuda"])
    return state


def train(
    params,
    *,
    seed: int,
    data_dir: Path,
    base_dir: Path,
    work_dir: Path,
    progress: Progress = noop_progress,
) -> common.Trained:
    """Train a LoRA adapter (checkpoints in `work_dir`): set-up (data, model, optimizer, a matching checkpoint
    restored), fit, finish; returns the adapter's save, the log's history and the summary (`train.Backend`)."""
    data_dir, base_dir, work_dir = map(Path, (data_dir, base_dir, work_dir))
    started = time.perf_counter()
    run = _setup(params, seed=seed, data_dir=data_dir, base_dir=base_dir, work_dir=work_dir, progress=progress)
    _fit(run, progress)
    return _finish(run, base_dir=base_dir, started=started)


@dataclasses.dataclass
class _Run:
    """What set-up builds and fit and finish share: the model and its optimizer state, the data, the log,
    and the counters a checkpoint carries."""

    params: Any
    seed: int
    device: str
    threads: int
    pad_id: int
    train_set: Any
    valid_set: Any
    model: Any
    autocast: Any
    trainable: list
    optimizer: Any
    scheduler: Any
    scaler: Any
    ckpt: Path
    fingerprint: str
    log: Any
    done: int  # the step a restored checkpoint reached (0: a fresh run)
    tokens: int = 0
    examples: int = 0
    seconds: float = 0.0


def _setup(params, *, seed: int, data_dir: Path, base_dir: Path, work_dir: Path, progress: Progress) -> _Run:
    import torch

    device = pick_device(params.device)
    params = dataclasses.replace(params, dtype=resolve_dtype(params.dtype, device))  # what ran goes in the summary
    threads = params.threads or usable_cpus()
    torch.set_num_threads(threads)
    torch.manual_seed(seed)

    progress("train (torch): load", 0, 1)
    tokenizer = common.base_tokenizer(base_dir)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    train_set = _load_split(tokenizer, data_dir, "train", params.max_length, params.batch_size)
    valid_set = _load_split(tokenizer, data_dir, "valid", params.max_length, 1)

    model, autocast = build_model(params, base_dir, device)
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=params.lr, weight_decay=params.weight_decay)
    scheduler = _scheduler(optimizer, params)
    # Loss scaling only where float16 gradients could underflow; disabled, each call is a pass-through.
    scaler = torch.amp.GradScaler(device, enabled=params.dtype == "float16" and device == "cuda")

    fingerprint = common.fingerprint(params, seed, data_dir, base_dir)
    state = _load_checkpoint(work_dir, fingerprint, model, optimizer, scheduler, scaler)
    run = _Run(
        params=params,
        seed=seed,
        device=device,
        threads=threads,
        pad_id=pad_id,
        train_set=train_set,
        valid_set=valid_set,
        model=model,
        autocast=autocast,
        trainable=trainable,
        optimizer=optimizer,
        scheduler=scheduler,
        scaler=scaler,
        ckpt=work_dir,
        fingerprint=fingerprint,
        log=common.TrainLog(state.get("history", [])),
        done=int(state.get("step", 0)),
        tokens=int(state.get("tokens", 0)),
        examples=int(state.get("examples", 0)),
        seconds=float(state.get("seconds", 0.0)),
    )
    progress("train (torch): load", 1, 1)
    if run.done == 0:  # the untuned base (LoRA B = 0): the valid loss the adapter has to beat
        run.log.log(0, {"valid_loss": _evaluate(model, valid_set, params, pad_id, device, run.autocast)})
    return run


def _fit(run: _Run, progress: Progress) -> None:
    """The optimizer steps from `run.done` to `params.iters`: logging, validation and checkpoints on their
    intervals."""
    params = run.params
    recent: list[float] = []  # train losses since the last log line
    window_tokens, window_start = 0, time.perf_counter()
    order = run.train_set.batches(params.batch_size, run.seed, params.bucket_window)
    # use_cache (the shared prefix's keys/values) is off under gradient checkpointing in transformers
    share = params.share_prefix and not params.grad_checkpointing
    progress("train (torch)", run.done, params.iters)
    for step in range(run.done, params.iters):
        t0 = time.perf_counter()
        tensors = [
            t
            for k in range(params.grad_accum)
            for t in micro_batches(
                run.train_set.rows(order(step * params.grad_accum + k)), run.pad_id, run.device, share
            )
        ]
        step_loss, step_tokens = _step(run, tensors)
        if not math.isfinite(step_loss):
            raise ModelError(f"train loss became {step_loss} at step {step + 1}; lower train.lr", param="train.lr")
        window_tokens += step_tokens
        run.seconds += time.perf_counter() - t0
        run.tokens += step_tokens  # sequence tokens trained on (a shared prefix counts once per row)
        run.examples += sum(ids.shape[0] for ids, *_ in tensors)
        recent.append(step_loss)
        current = step + 1

        if current % params.log_interval == 0 or current == params.iters:
            elapsed = time.perf_counter() - window_start
            values = {
                "train_loss": sum(recent) / len(recent),
                "tokens_per_s": window_tokens / elapsed if elapsed > 0 else 0.0,
                "lr": run.scheduler.get_last_lr()[0],
            }
            if current % params.eval_interval == 0 or current == params.iters:
                values["valid_loss"] = _evaluate(run.model, run.valid_set, params, run.pad_id, run.device, run.autocast)
            run.log.log(current, values)
            recent, window_tokens, window_start = [], 0, time.perf_counter()
        if params.checkpoint_interval and current % params.checkpoint_interval == 0 and current < params.iters:
            state = {"step": current, "fingerprint": run.fingerprint, "history": run.log.history, "tokens": run.tokens,
                     "examples": run.examples, "seconds": run.seconds}  # fmt: skip
            _save_checkpoint(run.ckpt, run.model, run.optimizer, run.scheduler, run.scaler, state)
        progress("train (torch)", current, params.iters)


def _step(run: _Run, tensors: list) -> tuple[float, int]:
    """One optimizer step over the micro-batches of a batch (gradient accumulation); (loss, tokens)."""
    import torch

    targets = sum(int(torch.count_nonzero(lab[:, 1:] != data.IGNORE)) for _, _, lab, _ in tensors)
    step_loss, step_tokens = 0.0, 0
    for ids, mask, labels, prefix in tensors:
        loss, _ = _loss_sum(run.model, ids, mask, labels, run.autocast, prefix)
        loss = loss / max(targets, 1)  # mean over every target token of the optimizer step
        run.scaler.scale(loss).backward()
        step_loss += float(loss.detach())
        step_tokens += int(mask.sum()) + (len(prefix) * ids.shape[0] if prefix is not None else 0)
    run.scaler.unscale_(run.optimizer)
    torch.nn.utils.clip_grad_norm_(run.trainable, run.params.max_grad_norm)
    run.scaler.step(run.optimizer)
    run.scaler.update()
    run.optimizer.zero_grad(set_to_none=True)
    run.scheduler.step()
    return step_loss, step_tokens


def _finish(run: _Run, *, base_dir: Path, started: float) -> common.Trained:
    """The summary, and the trained model's save for `train.run` to write into the adapter folder."""
    params, history = run.params, run.log.history
    last = history[-1] if history else {}
    valid_loss = next((r["valid_loss"] for r in reversed(history) if "valid_loss" in r), None)
    summary = {
        "backend": "torch",
        "steps": params.iters,
        "resumed_from": run.done,
        "train_loss": last.get("train_loss"),
        "valid_loss": valid_loss,
        "base_valid_loss": data.base_valid_loss(history),
        "tokens": run.tokens,
        "tokens_per_s": run.tokens / run.seconds if run.seconds else None,
        "examples": run.examples,
        "examples_per_s": run.examples / run.seconds if run.seconds else None,
        "train_seconds": run.seconds,
        "seconds": time.perf_counter() - started,
        "device": run.device,
        "dtype": params.dtype,
        "threads": run.threads,
        "train_rows": len(run.train_set),
        "dropped_rows": run.train_set.dropped,
        "max_tokens": run.train_set.max_tokens,
        "peak_memory_gb": _peak_memory_gb(run.device),
    }
    return common.Trained(save=functools.partial(_save_adapter, run.model, base_dir), history=history, summary=summary)


def _save_adapter(model, base_dir: Path, folder: Path) -> None:
    """PEFT's adapter_model.safetensors and adapter_config.json, with stable bytes, into `folder`."""
    model.save_pretrained(folder, safe_serialization=True)
    (folder / "README.md").unlink(missing_ok=True)  # PEFT's empty model-card template
    cfg_path = folder / "adapter_config.json"
    cfg = json.loads(cfg_path.read_text(encoding="utf-8"))
    cfg["base_model_name_or_path"] = str(base_dir)
    cfg["target_modules"] = sorted(cfg["target_modules"])  # PEFT saves a set: fix the order, stable bytes
    io.write_json(cfg_path, cfg)


def _peak_memory_gb(device: str) -> float | None:
    import resource

    import torch

    if device == "cuda":
        return torch.cuda.max_memory_allocated() / 1e9
    # The whole process's peak resident memory: ru_maxrss is KiB on Linux, bytes on macOS.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1e9 if sys.platform == "darwin" else peak / 1e6


def usable_cpus() -> int:
    """Cores this process may run on (its affinity mask where the OS has one; macOS has none)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
