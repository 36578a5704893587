"""Exact match of the untuned base model vs base + adapter on a valid-split sample (transformers, greedy).

A quick check of the training stage on its own; the evaluate stage measures the released GGUFs through
llama.cpp on the test split. Prints JSON.

Usage: python bench/bench_train_quality.py [--base models/base] [--adapter models/adapter]
       [--data data/final/valid.jsonl] [--n 200] [--seed 42] [--threads 2]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time

os.environ.setdefault("OMP_WAIT_POLICY", "passive")


def generate(model, tok, prompts: list[str], batch: int, max_new_tokens: int) -> list[str]:
    """Greedy completions, cut at the contract's stop strings."""
    import torch

    from cmd_correct import contract

    tok.padding_side = "left"  # batched decoding needs the prompts right-aligned
    eos = tok.convert_tokens_to_ids(contract.IM_END)
    out = []
    for i in range(0, len(prompts), batch):
        enc = tok(prompts[i : i + batch], return_tensors="pt", padding=True, add_special_tokens=False)
        with torch.no_grad():
            ids = model.generate(
                **enc, max_new_tokens=max_new_tokens, do_sample=False, eos_token_id=eos, pad_token_id=tok.pad_token_id
            )
        texts = tok.batch_decode(ids[:, enc.input_ids.shape[1] :], skip_special_tokens=False)
        out += [contract.clean_completion(t) for t in texts]
    return out


def main() -> None:
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from cmd_correct import contract
    from cmd_correct.train import data

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", default="models/base")
    ap.add_argument("--adapter", default="models/adapter")
    ap.add_argument("--data", default="data/final/valid.jsonl")
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--max-new-tokens", type=int, default=48)
    ap.add_argument("--models", default="base,tuned", help="which to measure: base,tuned")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)

    examples = data.read_split(args.data)
    sample = random.Random(args.seed).sample(examples, min(args.n, len(examples)))
    prompts = [contract.render_prompt(e.shell, e.command) for e in sample]
    tok = AutoTokenizer.from_pretrained(args.base)
    model = AutoModelForCausalLM.from_pretrained(args.base, dtype=torch.float32).eval()
    result = {"data": args.data, "n": len(sample), "seed": args.seed, "threads": args.threads}
    for name in ("base", "tuned"):
        if name not in args.models.split(","):
            continue
        if name == "tuned":
            model = PeftModel.from_pretrained(model, args.adapter).eval()
        t0 = time.perf_counter()
        preds = generate(model, tok, prompts, args.batch, args.max_new_tokens)
        hits = [p == e.correction.strip() for p, e in zip(preds, sample, strict=True)]
        per_shell: dict[str, list[int]] = {}
        for hit, e in zip(hits, sample, strict=True):
            per_shell.setdefault(e.shell, [0, 0])
            per_shell[e.shell][0] += hit
            per_shell[e.shell][1] += 1
        result[name] = {
            "exact_match": sum(hits) / len(hits),
            "hits": sum(hits),
            "per_shell": {s: round(h / n, 3) for s, (h, n) in sorted(per_shell.items())},
            "seconds": round(time.perf_counter() - t0, 1),
            "examples": [
                {"command": e.command, "expected": e.correction, "got": p}
                for e, p in list(zip(sample, preds, strict=True))[:5]
            ],
        }
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
