"""Throughput of the data stages: rows/s for generate, validate and prepare (default 150,000 rows).

Usage: python bench/bench_data.py [--rows N] [--seed S]
Prints one JSON object on stdout. Runs in a temp dir with the default params of each stage.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import tempfile
import time
from pathlib import Path

from cmd_correct import generate, prepare, validate


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rows", type=int, default=150_000)
    p.add_argument("--seed", type=int, default=42)
    args = p.parse_args()
    gp = generate.Params(rows=args.rows)
    out: dict = {"rows": args.rows, "cpus": os.cpu_count(), "python": platform.python_version()}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        steps = {
            "generate": lambda: generate.run(gp, args.seed, root / "generated"),
            "validate": lambda: validate.run(
                validate.Params(), gp.shell_weights, gp.family_weights, root / "generated", root / "validation.json"
            ),
            "prepare": lambda: prepare.run(
                prepare.Params(), args.seed, root / "generated", root / "validation.json", root / "final"
            ),
        }
        for name, step in steps.items():
            wall, cpu = time.perf_counter(), time.process_time()
            step()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            out[name] = {"seconds": round(wall, 2), "cpu_seconds": round(cpu, 2), "rows_per_s": round(args.rows / wall)}
        out["generated_mb"] = round(sum(f.stat().st_size for f in (root / "generated").iterdir()) / 2**20, 1)
        out["final_mb"] = round(sum(f.stat().st_size for f in (root / "final").iterdir()) / 2**20, 1)
        out["trivial_edit_rate"] = json.loads((root / "validation.json").read_text())["trivial_edit_rate"]
    out["max_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
