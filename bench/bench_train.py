"""Training throughput of the torch and mlx backends side by side: same base model, rows, params and steps.

Each backend trains in its own child process (train.run, as the train stage does), so each reports its own
peak resident memory; mlx's child gets Debian's OpenBLAS LD_PRELOADed when installed (its wheel's reference
BLAS is 5-10x slower; `--mlx-blas both` measures both). tokens/s = sequence tokens (prompt + answer, no
padding) of the training batches / seconds spent in training steps (evaluation excluded), as both backends
count them. Prints one JSON object on stdout.

Usage: python bench/bench_train.py [--base models/base] [--data data/final] [--rows 64] [--steps 10]
       [--batch-size 4] [--max-length 128] [--backends torch,mlx] [--mlx-blas openblas|reference|both]
A missing --base is built from the embedded SmolLM2-135M (base stage, ~1-2 min); a missing --data falls back
to synthetic contract rows.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = """
import json, resource, sys
from pathlib import Path
from cmd_correct.train import Params, run
cfg = json.loads(sys.argv[1])
paths = {k: Path(cfg.pop(k)) for k in ("data_dir", "base_dir", "adapter_dir", "report_dir")}
summary = run(Params(**cfg), seed=42, **paths).summary
summary["peak_rss_gb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6  # KiB -> GB
print(json.dumps(summary))
"""


def _rows(data: Path, split: str, n: int) -> list[dict]:
    from cmd_correct import contract, io

    path = data / f"{split}.jsonl"
    if path.is_file():
        rows = []
        for _, obj in io.iter_jsonl(path):
            rows.append({"messages": obj["messages"]})
            if len(rows) == n:
                return rows
    # Synthetic fallback: short real-looking fixes in the contract's format.
    words = ["git status", "ls -la", "docker ps -a", "grep -rn TODO src", "kubectl get pods", "tar -xzf a.tgz"]
    return [{"messages": contract.messages("bash", w.replace(" ", "  ", 1), w)} for w in (words * n)[:n]]


def _base(path: Path) -> Path:
    if (path / "config.json").is_file():
        return path
    from cmd_correct import base

    cache = Path.home() / ".cache" / "cmd-correct" / "bench-base-smollm2-135m"
    if not (cache / "config.json").is_file():
        base.run(base.Params(), cache)
    return cache


def _blas_info() -> dict:
    import torch

    from cmd_correct.train import mlx_backend

    return {
        "torch": f"torch {torch.__version__} bundled BLAS (mkl={torch.backends.mkl.is_available()})",
        "openblas_for_mlx": mlx_backend.openblas_path(),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--base", type=Path, default=Path("models/base"))
    p.add_argument("--data", type=Path, default=Path("data/final"))
    p.add_argument("--rows", type=int, default=64, help="train rows (valid: a quarter)")
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=4)
    p.add_argument("--max-length", type=int, default=128)
    p.add_argument("--backends", default="torch,mlx")
    p.add_argument("--mlx-blas", choices=("openblas", "reference", "both"), default="openblas")
    args = p.parse_args()

    from cmd_correct import io
    from cmd_correct.train import mlx_backend

    base_dir = _base(args.base)
    params = {
        "iters": args.steps,
        "batch_size": args.batch_size,
        "max_length": args.max_length,
        "warmup": 1,
        "log_interval": 1,
        "eval_interval": args.steps,
        "eval_batches": 1,
        "checkpoint_interval": 0,
        "dtype": "float32",
    }
    out: dict = {
        "base": str(base_dir),
        "data": str(args.data) if (args.data / "train.jsonl").is_file() else "synthetic",
        "rows": args.rows,
        "params": params,
        "cpus": len(os.sched_getaffinity(0)),
        "python": platform.python_version(),
        "load_avg_before": os.getloadavg(),
        "blas": _blas_info(),
        "results": {},
    }
    runs = []
    for backend in args.backends.split(","):
        if backend == "mlx":
            blas = ["openblas", "reference"] if args.mlx_blas == "both" else [args.mlx_blas]
            runs += [("mlx", b) for b in blas if b != "openblas" or mlx_backend.openblas_path()]
            if "openblas" in blas and not mlx_backend.openblas_path():
                out["results"]["mlx-openblas"] = {
                    "skipped": "no OpenBLAS (Debian: apt-get install libopenblas0-pthread); "
                    "run with --mlx-blas reference to measure mlx on its bundled reference BLAS (12-50x slower)"
                }
        else:
            runs.append((backend, None))
    with tempfile.TemporaryDirectory(prefix="bench-train-") as tmp:
        tmp = Path(tmp)
        io.write_jsonl(tmp / "data" / "train.jsonl", _rows(args.data, "train", args.rows))
        io.write_jsonl(tmp / "data" / "valid.jsonl", _rows(args.data, "valid", max(args.rows // 4, args.batch_size)))
        for backend, blas in runs:
            name = backend if blas is None else f"{backend}-{blas}"
            cfg = params | {
                "backend": backend,
                "data_dir": str(tmp / "data"),
                "base_dir": str(base_dir),
                "adapter_dir": str(tmp / name / "adapter"),
                "report_dir": str(tmp / name / "report"),
            }
            env = dict(os.environ, OMP_WAIT_POLICY="passive", CMD_CORRECT_NO_PROGRESS="1")
            env.pop("LD_PRELOAD", None)
            if blas == "openblas":
                env["LD_PRELOAD"] = mlx_backend.openblas_path()
            started = time.perf_counter()
            proc = subprocess.run(
                [sys.executable, "-c", CHILD, json.dumps(cfg)], env=env, capture_output=True, text=True
            )
            if proc.returncode != 0:
                out["results"][name] = {"error": proc.stderr.strip()[-1500:]}
                continue
            s = json.loads(proc.stdout.strip().splitlines()[-1])
            out["results"][name] = {
                "tokens_per_s": s["tokens_per_s"],
                "seconds_per_step": s["train_seconds"] / args.steps,
                "train_seconds": s["train_seconds"],
                "tokens": s["tokens"],
                "peak_rss_gb": s["peak_rss_gb"],
                "backend_peak_memory_gb": s.get("peak_memory_gb"),  # torch: RSS or CUDA; mlx: its allocator
                "train_loss": s["train_loss"],
                "valid_loss": s["valid_loss"],
                "wall_seconds": time.perf_counter() - started,
                "device": s.get("device"),
                "blas": s.get("blas", "torch bundled"),
            }
    res = out["results"]
    if "torch" in res and "mlx-openblas" in res and "error" not in res["torch"] and "error" not in res["mlx-openblas"]:
        out["mlx_openblas_vs_torch_tokens_per_s"] = res["mlx-openblas"]["tokens_per_s"] / res["torch"]["tokens_per_s"]
    out["load_avg_after"] = os.getloadavg()
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
