"""Where a training step's CPU time goes: torch.profiler over a few steps of the train stage's own path.

Builds the model as the torch backend does (params.yaml's train section: LoRA, dtype, bf16-stored frozen
weights, buckets, shared prefix, the OpenMP wait policy), runs `--warmup` steps, times `--steps` steps,
then profiles `--profile` more and prints the top ops by self CPU time and one JSON line with examples/s
and the share of the ops that mattered (dropout masks, dtype copies, matmuls, attention). `--set KEY=VALUE`
changes a train param (e.g. `--set dropout=0.05` to see its masks). The policy is read before torch loads.

Usage: python bench/bench_train_profile.py [--base models/base] [--data data/final] [--steps 6]
       [--profile 3] [--warmup 1] [--set KEY=VALUE ...]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import asdict
from pathlib import Path

import yaml

from cmd_correct import params, paths

# ops named in the summary: what a LoRA step on CPU spends its time on
GROUPS = {
    "dropout masks": ("aten::bernoulli_",),
    "dtype copies": ("aten::copy_",),
    "matmuls": ("aten::mm", "aten::addmm", "aten::bmm"),
    "attention": ("aten::_scaled_dot_product_flash_attention_for_cpu", "flash_attention"),
}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--base", type=Path, default=paths.BASE)
    ap.add_argument("--data", type=Path, default=paths.FINAL)
    ap.add_argument("--steps", type=int, default=6, help="timed steps")
    ap.add_argument("--profile", type=int, default=3, help="profiled steps after the timed ones")
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a train param")
    args = ap.parse_args()
    train = params.section("train", params.load(paths.PARAMS))
    overrides = {k: yaml.safe_load(v) for k, _, v in (item.partition("=") for item in args.set)}
    train = params.build(type(train), {**asdict(train), **overrides}, where="train")
    os.environ["OMP_WAIT_POLICY"] = train.omp_wait_policy  # before torch loads, as the train stage does

    import torch
    from torch.profiler import ProfilerActivity, profile

    from cmd_correct.train import common, data, torch_backend

    torch.set_num_threads(train.threads or torch_backend.usable_cpus())
    torch.manual_seed(0)
    tokenizer = common.base_tokenizer(args.base)
    split = data.LazySplit(tokenizer, data.read_split(args.data / "train.jsonl"), train.max_length)
    model, autocast = torch_backend.build_model(train, args.base, "cpu")
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=train.lr)
    order = split.batches(train.batch_size, 42, train.bucket_window)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    rows = 0

    def step(i: int) -> None:
        nonlocal rows
        for ids, mask, labels, prefix in torch_backend.micro_batches(split.rows(order(i)), pad, "cpu", True):
            loss, k = torch_backend._loss_sum(model, ids, mask, labels, autocast, prefix)
            (loss / max(k, 1)).backward()
            rows += ids.shape[0]
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    for i in range(args.warmup):
        step(i)
    rows, t0 = 0, time.perf_counter()
    for i in range(args.warmup, args.warmup + args.steps):
        step(i)
    seconds = time.perf_counter() - t0
    examples_per_s = rows / seconds
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for i in range(args.warmup + args.steps, args.warmup + args.steps + args.profile):
            step(i)
    averages = prof.key_averages()
    print(averages.table(sort_by="self_cpu_time_total", row_limit=20), file=sys.stderr)
    total = sum(e.self_cpu_time_total for e in averages)
    share = {
        name: round(100 * sum(e.self_cpu_time_total for e in averages if e.key.startswith(ops)) / total, 1)
        for name, ops in GROUPS.items()
    }
    out = {
        "steps": args.steps,
        "examples_per_s": round(examples_per_s, 2),
        "seconds_per_step": round(seconds / args.steps, 3),
        "self_cpu_pct": share,
        "params": {k: getattr(train, k) for k in ("batch_size", "dtype", "dropout", "max_length", "omp_wait_policy")},
    }
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
