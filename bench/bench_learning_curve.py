"""Learning curve of the default training profile: exact match and valid loss against examples seen.

For each budget (a multiple of params.yaml's `train.iters x batch_size x grad_accum` examples), trains the
default profile from scratch to that many steps (same lr schedule shape, warmup, data, seed), fuses,
converts to an f16 GGUF and scores exact match on a fixed stratified sample of the valid split with the
contract prompt (batched decoding, as evaluate). Each training runs in its own child process; its CPU
minutes are that child's user + system time. Writes <out>/learning_curve.json and learning_curve.png and
prints the JSON. Every point holds the same keys (`source`: the file it was first written to), so the points
list is a list of records: dvc.yaml's `learning_curve` plot reads bench/results/learning_curve.json.

Training runs under train.omp_wait_policy and scoring under evaluate.omp_wait_policy, as in the pipeline.
`--set KEY=VALUE` changes a train param for every budget (e.g. `--set dropout=0.05` for an A/B).
`--config NAME:KEY=VALUE,...` (repeatable) compares configurations instead: each trains at every budget
(a multiple of its own `iters`), and the plot puts their exact match and valid loss against CPU minutes,
so a faster configuration that learns less per example shows where it stands per minute.

Usage: python bench/bench_learning_curve.py [--budgets 0.5 1 2] [--cases 300] [--base models/base]
       [--data data/final] [--out reports/learning_curve] [--dtype DTYPE] [--set KEY=VALUE ...]
       [--config NAME:KEY=VALUE,... ...] [--pipeline-run]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, replace
from pathlib import Path

import yaml

from cmd_correct import convert, fuse, infer, io, params, paths
from cmd_correct.evaluate import cases, exact

CHILD = """
import json, os, sys
from pathlib import Path
from cmd_correct.train import Params, run
cfg = json.loads(sys.argv[1])
os.environ["OMP_WAIT_POLICY"] = cfg["omp_wait_policy"]  # before torch loads, as the train stage does
paths = {k: Path(cfg.pop(k)) for k in ("data_dir", "base_dir", "adapter_dir", "report_dir")}
seed = cfg.pop("seed")
print(json.dumps(run(Params(**cfg), seed=seed, **paths).summary))
"""


def _children_cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--budgets", type=float, nargs="*", default=[0.5, 1, 2], help="multiples of the default")
    ap.add_argument("--cases", type=int, default=300, help="stratified valid cases scored by exact match")
    ap.add_argument("--base", type=Path, default=paths.BASE)
    ap.add_argument("--data", type=Path, default=paths.FINAL)
    ap.add_argument("--out", type=Path, default=Path("reports/learning_curve"))
    ap.add_argument("--dtype", default=None, help="override train.dtype")
    ap.add_argument(
        "--include",
        type=Path,
        nargs="*",
        default=[],
        help="learning_curve.json of earlier runs of this profile on the same valid sample: their points join",
    )
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a train param")
    ap.add_argument(
        "--config", action="append", default=[], metavar="NAME:KEY=VALUE,...", help="a configuration to compare"
    )
    ap.add_argument(
        "--pipeline-run",
        action="store_true",
        help="also score the pipeline's own models/f16 + reports/train as the 1x point (trained by `dvc repro`)",
    )
    args = ap.parse_args()
    raw = params.load(paths.PARAMS)
    train = params.section("train", raw)
    overrides = {k: yaml.safe_load(v) for k, _, v in (item.partition("=") for item in args.set)}
    if args.dtype:
        overrides["dtype"] = args.dtype
    train = params.build(type(train), {**asdict(train), **overrides}, where="train") if overrides else train
    train0 = train
    configs = {"": train}  # name -> train params; "" is params.yaml's profile (with --set)
    if args.config:
        configs = {}
        for item in args.config:
            name, _, spec = item.partition(":")
            changes = {k: yaml.safe_load(v) for k, _, v in (kv.partition("=") for kv in spec.split(",") if kv)}
            configs[name] = params.build(type(train), {**asdict(train), **changes}, where=f"--config {name}")
    seed = params.section("base", raw).seed
    ev = params.section("evaluate", raw)
    os.environ["OMP_WAIT_POLICY"] = ev.omp_wait_policy  # before llama.cpp's OpenMP runtime loads
    per_step = train.batch_size * train.grad_accum
    valid = cases.stratified_sample(cases.load_cases(args.data / "valid.jsonl"), args.cases, seed)
    ids = cases.case_ids_sha256(valid)
    env = {**os.environ, "CMD_CORRECT_NO_PROGRESS": "1"}
    points = []
    here = str(args.out / "learning_curve.json")  # each point's `source` until an --include carries it on
    with tempfile.TemporaryDirectory(prefix="bench-curve-") as tmp:
        # Every training first, then the scoring: llama.cpp's and torch's OpenMP threads in this process spin
        # after their first use under an active wait policy, and would take a core from a later training.
        trained = []
        for (name, train), budget in ((c, b) for c in configs.items() for b in args.budgets):
            iters = max(train.warmup + 1, round(train.iters * budget))
            run = Path(tmp) / f"{name}x{budget}"
            cfg = asdict(replace(train, iters=iters, checkpoint_interval=0, eval_interval=iters)) | {
                "seed": seed,
                "data_dir": str(args.data),
                "base_dir": str(args.base),
                "adapter_dir": str(run / "adapter"),
                "report_dir": str(run / "report"),
            }
            cpu0, wall0 = _children_cpu_s(), time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-c", CHILD, json.dumps(cfg)], env=env, capture_output=True, text=True, check=False
            )
            if done.returncode:
                sys.stderr.write(done.stderr[-4000:])
                return done.returncode
            cpu_min, wall_min = (_children_cpu_s() - cpu0) / 60, (time.perf_counter() - wall0) / 60
            summary = json.loads(done.stdout.strip().splitlines()[-1])
            print(json.dumps({"trained": name, "budget": budget, "wall_minutes": round(wall_min, 2)}), file=sys.stderr)
            trained.append((name, budget, iters, run, summary, cpu_min, wall_min))
        for name, budget, iters, run, summary, cpu_min, wall_min in trained:
            fuse.run(params.section("fuse", raw), args.base, run / "adapter", run / "fused")
            convert.run(params.section("convert", raw), run / "fused", run / "f16")
            with infer.load(paths.f16_gguf(run / "f16"), threads=ev.threads) as model:
                answers = model.correct_many([(c.shell, c.command) for c in valid], parallel=ev.parallel)
            score = exact.score(valid, [a.text for a in answers])
            points.append(
                {
                    "config": name or None,  # every point has the same keys (see `source`)
                    "budget": budget,
                    "iters": iters,
                    "examples": summary["examples"],  # rows trained on (rows over max_length are left out)
                    "cpu_minutes": round(cpu_min, 2),
                    "wall_minutes": round(wall_min, 2),
                    "examples_per_s": round(summary["examples_per_s"], 3),
                    "valid_loss": round(summary["valid_loss"], 4),
                    "exact_match": score["exact_match"],
                    "exact_match_by_family": score["exact_match_by_family"],
                    "exact_match_by_shell": score["exact_match_by_shell"],
                    # Regression: a point without `source` beside points with one made `dvc plots show` fail
                    # (DVC reads a list as records only when every record has the same keys).
                    "source": here,
                }
            )
            print(json.dumps(points[-1]), file=sys.stderr)
    if args.pipeline_run:  # the default budget as `dvc repro` trained it: same params, same data, same seed
        report = io.read_json(paths.TRAIN_REPORT / "metrics.json")
        meta = io.read_json(paths.ADAPTER / "meta.json")["summary"]
        with infer.load(paths.f16_gguf(), threads=ev.threads) as model:
            answers = model.correct_many([(c.shell, c.command) for c in valid], parallel=ev.parallel)
        score = exact.score(valid, [a.text for a in answers])
        points.append(
            {
                "config": None,
                "budget": 1.0,
                "iters": train0.iters,
                "examples": meta.get("examples", train0.iters * per_step),
                "cpu_minutes": None,  # not measured for the pipeline's own run (its wall time is in the summary)
                "wall_minutes": round(meta["train_seconds"] / 60, 2),
                "examples_per_s": round(meta["examples_per_s"], 3),
                "valid_loss": round(report["valid_loss"], 4),
                "exact_match": score["exact_match"],
                "exact_match_by_family": score["exact_match_by_family"],
                "exact_match_by_shell": score["exact_match_by_shell"],
                "source": "dvc repro (models/f16, reports/train)",
            }
        )
    profile = {
        "lr": train0.lr,
        "batch_size": train0.batch_size,
        "dtype": train0.dtype,
        "dropout": train0.dropout,
        "max_length": train0.max_length,
        "default_iters": train0.iters,
        "overrides": overrides,
    }
    for earlier in args.include:  # every budget trains from scratch: a point does not depend on the others
        old = io.read_json(earlier)
        keys = (set(old["profile"]) | set(profile)) - {"default_iters"}
        differs = sorted(k for k in keys if old["profile"].get(k) != profile.get(k))
        if old["valid_cases"] != len(valid) or old.get("valid_ids_sha256", ids) != ids or differs:
            raise SystemExit(f"{earlier}: another valid sample or profile ({', '.join(differs)}); cannot join")
        points += [{"config": None, "exact_match_by_shell": None} | p | {"source": p.get("source", str(earlier))}
                   for p in old["points"]]  # fmt: skip
    points.sort(key=lambda p: p["examples"])
    if args.config:
        profile["configs"] = {name: {k: v for k, v in asdict(c).items() if v != asdict(train0).get(k)}
                              for name, c in configs.items()}  # fmt: skip
    result = {
        "profile": profile,
        "valid_cases": len(valid),
        "valid_ids_sha256": ids,
        "points": points,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    io.write_json(args.out / "learning_curve.json", result)
    (_plot_configs if args.config else _plot)(points, args.out / "learning_curve.png")
    print(json.dumps(result, indent=2))
    return 0


def _plot_configs(points: list[dict], path: Path) -> None:
    """Exact match and valid loss against CPU minutes, one line per configuration."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for name in dict.fromkeys(p["config"] for p in points):
        mine = sorted((p for p in points if p["config"] == name), key=lambda p: p["cpu_minutes"])
        for ax, y in zip(axes, ("exact_match", "valid_loss"), strict=True):
            ax.plot([p["cpu_minutes"] for p in mine], [p[y] for p in mine], "o-", label=name)
    for ax, y in zip(axes, ("exact match (valid)", "valid loss"), strict=True):
        ax.set_xlabel("training CPU minutes (2 cores)")
        ax.set_ylabel(y)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle("Configurations per CPU minute")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def _plot(points: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, x, label in (
        (axes[0], "examples", "examples seen"),
        (axes[1], "wall_minutes", "training minutes (2 cores)"),
    ):
        ax.plot([p[x] for p in points], [p["exact_match"] for p in points], "o-", label="exact match (valid)")
        ax.set_xlabel(label)
        ax.set_ylabel("exact match")
        twin = ax.twinx()
        twin.plot([p[x] for p in points], [p["valid_loss"] for p in points], "s--", color="tab:red", label="valid loss")
        twin.set_ylabel("valid loss")
        ax.grid(alpha=0.3)
    fig.suptitle("Learning curve of the default profile")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


if __name__ == "__main__":
    sys.exit(main())
