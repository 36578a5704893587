"""How far the CPU training path is from what this machine's matmuls can do: the ceiling on any speed-up
that keeps the recipe (model, LoRA on every linear layer, batch size, data).

LoRA training of a frozen base costs about 4 x (linear weights) FLOPs per computed token: the forward
(2 per weight) and the gradient with respect to each layer's input in backward (2 more; a frozen weight
gets no gradient of its own), plus LoRA's small matmuls and attention, left out here (a lower bound).
This times torch's matmul on the model's own linear shapes, forward and input-gradient, at a batch's
token count, in float32 and bfloat16, and divides: the examples/s a step would reach if it did nothing
but those matmuls. Compare it with the train stage's measured `examples_per_s`.

Prints one JSON object. Usage: python bench/bench_train_ceiling.py [--base models/base]
       [--data data/final] [--train-metrics reports/train/metrics.json] [--batch 16] [--rows 2000]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from cmd_correct import params, paths
from cmd_correct.train import common, data


def computed_tokens_per_row(base: Path, split: Path, rows: int, batch: int, max_length: int) -> tuple[float, float]:
    """(sequence tokens per row, tokens a step computes per row: a batch's shared system prompt once)."""
    tokenizer = common.base_tokenizer(base)
    by_shell: dict[str, list] = {}
    for ex in data.read_split(split)[:rows]:
        if enc := data.encode(tokenizer, ex, max_length):  # None: the answer is cut off by max_length (not trained on)
            by_shell.setdefault(ex.shell, []).append(enc)
    n = sum(len(group) for group in by_shell.values())
    seq = sum(len(ids) for group in by_shell.values() for ids, _ in group) / n
    prefix = sum(data.shared_prefix(group[:batch]) * len(group) for group in by_shell.values()) / n
    return seq, seq - prefix + prefix / batch


def matmul_gflops(shapes: list[tuple[int, int]], tokens: int, dtype, reps: int = 5) -> float:
    """GFLOP/s of forward (x @ W.T) and input-gradient (g @ W) matmuls over the model's linear shapes."""
    import torch

    ws = [torch.randn(out_f, in_f, dtype=dtype) for out_f, in_f in shapes]
    xs = [torch.randn(tokens, in_f, dtype=dtype) for _, in_f in shapes]
    gs = [torch.randn(tokens, out_f, dtype=dtype) for out_f, _ in shapes]
    best = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        for w, x, g in zip(ws, xs, gs, strict=True):
            x @ w.T
            g @ w
        best = min(best, time.perf_counter() - t0)
    flops = sum(4 * tokens * out_f * in_f for out_f, in_f in shapes)
    return flops / best / 1e9


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--base", type=Path, default=paths.BASE)
    ap.add_argument("--data", type=Path, default=paths.FINAL)
    ap.add_argument("--train-metrics", type=Path, default=Path("reports/train/metrics.json"))
    ap.add_argument("--batch", type=int, default=None, help="default: params.yaml train.batch_size")
    ap.add_argument("--rows", type=int, default=2000)
    args = ap.parse_args()
    train = params.section("train", params.load(paths.PARAMS))
    batch = args.batch or train.batch_size

    import torch
    from transformers import AutoConfig

    cfg = AutoConfig.from_pretrained(args.base)
    d, inter, layers = cfg.hidden_size, cfg.intermediate_size, cfg.num_hidden_layers
    kv = cfg.num_key_value_heads * (d // cfg.num_attention_heads)
    per_layer = [(d, d), (kv, d), (kv, d), (d, d), (inter, d), (inter, d), (d, inter)]  # q k v o gate up down
    shapes = per_layer * layers
    linear_weights = sum(o * i for o, i in shapes)
    seq, computed = computed_tokens_per_row(args.base, args.data / "train.jsonl", args.rows, batch, train.max_length)
    tokens = round(computed * batch)
    out: dict = {
        "threads": torch.get_num_threads(),
        "linear_weights_m": round(linear_weights / 1e6, 1),
        "sequence_tokens_per_row": round(seq, 1),
        "computed_tokens_per_row": round(computed, 1),
        "batch_tokens": tokens,
        "gflop_per_example": round(4 * linear_weights * computed / 1e9, 2),
    }
    for name, dtype in (("float32", torch.float32), ("bfloat16", torch.bfloat16)):
        rate = matmul_gflops(shapes, tokens, dtype)
        out[name] = {
            "matmul_gflops": round(rate, 1),
            "ceiling_examples_per_s": round(rate / out["gflop_per_example"], 2),
        }
    if args.train_metrics.is_file():
        m = json.loads(args.train_metrics.read_text())
        out["train_stage_examples_per_s"] = m.get("examples_per_s")
        out["train_stage_gflops"] = round(m["examples_per_s"] * out["gflop_per_example"], 1)
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
