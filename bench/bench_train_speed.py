"""Training examples per second: today's plain path against length-bucketed, shared-prefix batches.

Each run trains the same base model on the same rows with the same params and steps, in its own child
process (train.run, as the train stage does), one after the other. The plain path is `bucket_window: 0,
share_prefix: false` (shuffled batches padded to their longest row, the system prompt run for every row);
the fast path is params.yaml's bucketing, prefix sharing and adapted blocks (`num_layers`), in float32 (and
in bfloat16 autocast with `--bf16`), all at params.yaml's batch size, dropout, max_length and OpenMP wait
policy. `--old-batch N` adds the profile
before this work (`plain` at batch N, float32, LoRA dropout 0.05, passive OpenMP waits, max_length 96: the
defaults then) to compare today's default profile with it; that ratio crosses batch sizes, and a batch of
16 learns less per example than one of 8 (the learning curve), so it is printed apart.
`--variant NAME:KEY=VALUE,...` adds a run of the default profile with train params changed (e.g.
`--variant drop:dropout=0.05`), reported as the default profile's ratio to it.
examples/s = rows trained on / seconds in training steps (evaluation excluded). Prints one JSON object
with every run and its ratio to the plain path.

Usage: python bench/bench_train_speed.py [--base models/base] [--data data/final] [--rows 4096]
       [--steps 40] [--threads 0] [--old-batch 8] [--variant NAME:KEY=VALUE,...] [--bf16] [--skip-plain]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = """
import json, os, sys
from pathlib import Path
from cmd_correct.train import Params, run
cfg = json.loads(sys.argv[1])
os.environ["OMP_WAIT_POLICY"] = cfg["omp_wait_policy"]  # before torch loads, as the train stage does
paths = {k: Path(cfg.pop(k)) for k in ("data_dir", "base_dir", "adapter_dir", "report_dir")}
print(json.dumps(run(Params(**cfg), seed=42, **paths).summary))
"""


def _subset(data: Path, out: Path, rows: int) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    for split, n in (("train", rows), ("valid", 64)):
        with open(data / f"{split}.jsonl", encoding="utf-8") as src:
            lines = [line for _, line in zip(range(n), src, strict=False)]
        (out / f"{split}.jsonl").write_text("".join(lines), encoding="utf-8")
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--base", type=Path, default=Path("models/base"))
    ap.add_argument("--data", type=Path, default=Path("data/final"))
    ap.add_argument("--rows", type=int, default=4096, help="train rows the runs draw from")
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--old-batch", type=int, default=0, help="also run the old profile at this batch size")
    ap.add_argument("--variant", action="append", default=[], metavar="NAME:KEY=VALUE,...", help="extra run")
    ap.add_argument("--bf16", action="store_true", help="also run the fast path in bfloat16 autocast")
    ap.add_argument("--skip-plain", action="store_true", help="leave out the plain (unbucketed, unshared) path")
    args = ap.parse_args()
    import yaml

    from cmd_correct import params, paths

    train = params.load(paths.PARAMS)["train"]
    keys = ("rank", "alpha", "dropout", "target_modules", "lr", "batch_size", "max_length", "omp_wait_policy")
    common = {k: train[k] for k in keys}
    common |= {"iters": args.steps, "warmup": 2, "eval_interval": 10**6, "eval_batches": 1, "log_interval": 10}
    common |= {"checkpoint_interval": 0, "threads": args.threads, "backend": "torch"}
    env = {**os.environ, "CMD_CORRECT_NO_PROGRESS": "1"}
    out = {"rows": args.rows, "steps": args.steps, "batch_size": common["batch_size"], "runs": {}}
    with tempfile.TemporaryDirectory(prefix="bench-train-speed-") as tmp:
        data = _subset(args.data, Path(tmp) / "data", args.rows)
        fast = {k: train[k] for k in ("bucket_window", "share_prefix", "num_layers")}  # the rest of the profile
        variants = {
            "plain": {"bucket_window": 0, "share_prefix": False, "dtype": "float32"},
            "fast": fast | {"dtype": "float32"},
        }
        # bf16 is emulated on a CPU without AVX-512 BF16 or AMX (~25x slower): run only when asked or profiled
        if args.bf16 or train["dtype"] == "bfloat16":
            variants["fast-bf16"] = fast | {"dtype": "bfloat16"}
        default = "fast-bf16" if train["dtype"] == "bfloat16" else "fast"  # params.yaml's own profile
        if args.skip_plain:
            del variants["plain"]
        if args.old_batch:
            old = {"batch_size": args.old_batch, "dropout": 0.05, "omp_wait_policy": "passive", "max_length": 96}
            variants[f"plain-batch{args.old_batch}"] = variants["plain"] | old
        extras = {}
        for spec in args.variant:
            name, _, sets = spec.partition(":")
            extras[name] = {k: yaml.safe_load(v) for k, _, v in (kv.partition("=") for kv in sets.split(","))}
            variants[name] = variants[default] | extras[name]
        for name, extra in variants.items():
            cfg = (
                common
                | extra
                | {
                    "data_dir": str(data),
                    "base_dir": str(args.base),
                    "adapter_dir": f"{tmp}/{name}/adapter",
                    "report_dir": f"{tmp}/{name}/report",
                }
            )
            done = subprocess.run(
                [sys.executable, "-c", CHILD, json.dumps(cfg)], env=env, capture_output=True, text=True, check=False
            )
            if done.returncode:
                sys.stderr.write(done.stderr)
                return done.returncode
            s = json.loads(done.stdout.strip().splitlines()[-1])
            out["runs"][name] = {"params": extra} | {
                k: round(s[k], 3) if isinstance(s[k], float) else s[k]
                for k in ("examples_per_s", "tokens_per_s", "train_seconds", "train_loss", "threads")
            }
    if "plain" in out["runs"]:
        plain = out["runs"]["plain"]["examples_per_s"]
        same_batch = [k for k in ("plain", "fast", "fast-bf16") if k in out["runs"]]
        out["examples_per_s_ratio"] = {k: round(out["runs"][k]["examples_per_s"] / plain, 2) for k in same_batch}
    ref = out["runs"][default]["examples_per_s"]
    if extras:
        out["default_profile_vs_variant"] = {k: round(ref / out["runs"][k]["examples_per_s"], 2) for k in extras}
    if args.old_batch:
        old = out["runs"][f"plain-batch{args.old_batch}"]["examples_per_s"]
        out["default_profile_vs_old_profile"] = {default: round(out["runs"][default]["examples_per_s"] / old, 2)}
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
