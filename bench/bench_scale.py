"""Scale benchmark: the real pipeline stages on random-weight models shaped like Qwen3-0.6B / Qwen3-1.7B.

    python bench/bench_scale.py --shape qwen3-1.7b [--out bench/results/qwen3-1.7b.json] [--keep DIR]

Offline and in a temp folder of its own: builds a random model with the exact architecture and sizes of the
shape's published config (SHAPES below; the embedded SmolLM2 tokenizer, the vocabulary padded to the config's
151936 rows), writes a throw-away DVC project (this checkout's dvc.yaml, params.yaml, .dvc/config and src/,
the params overlaid with BENCH_OVERLAY: the base from that local folder, a few train steps, a small case
count), runs every stage with `dvc repro -s <stage>` in pipeline order and prints one JSON object:
- per stage: wall seconds, peak RSS (the stage's largest process, from wait4; and the sampled sum over its
  process tree), disk in use (workspace + DVC cache + temp files, hard links counted once) at the stage's
  sampled peak and after it, and the stage's own footprint (its deps, outs and temp files at their peak);
- the CI jobs of train-kaggle.yml (train, fuse, convert, baseline, evaluate) as the union of their stages'
  footprints, and a real release-job pull (`dvc pull` of only the released outputs into a fresh clone);
- `decode_probe`: evaluate's batched decoding per GGUF with answers forced to the test split's mean length
  (a random model stops at once), for projecting a trained model's evaluate time;
- the machine's load (`os.getloadavg`) before and after: wall times on shared cores are inflated.
Peak RSS and disk do not depend on the load. `--shape tiny` is the smoke test's (tests/test_bench_scale.py).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("OMP_WAIT_POLICY", "passive")

from cmd_correct import contract, paths  # noqa: E402
from cmd_correct import params as params_mod  # noqa: E402
from cmd_correct.base import embedded_tokenizer, save_tokenizer  # noqa: E402
from cmd_correct.stages import PIPELINE  # noqa: E402

# Published configs: the Hub repos' config.json, Qwen/Qwen3-0.6B and Qwen/Qwen3-1.7B (the same figures are in
# levanter's qwen3 model table: 0.6B 1024/3072/16/8/28, 1.7B 2048/6144/16/8/28). Both: head_dim 128,
# vocab_size 151936, tie_word_embeddings true, rope_theta 1e6, max_position_embeddings 40960, rms_norm_eps
# 1e-6, torch_dtype bfloat16. `tiny` is no real model: the smoke test's, with the tokenizer's own vocabulary.
QWEN3 = {
    "head_dim": 128,
    "vocab_size": 151936,
    "tie_word_embeddings": True,
    "rope_theta": 1000000.0,
    "max_position_embeddings": 40960,
    "rms_norm_eps": 1e-6,
}
SHAPES = {
    "qwen3-0.6b": QWEN3
    | {"hidden_size": 1024, "intermediate_size": 3072, "num_hidden_layers": 28, "num_attention_heads": 16}
    | {"num_key_value_heads": 8},
    "qwen3-1.7b": QWEN3
    | {"hidden_size": 2048, "intermediate_size": 6144, "num_hidden_layers": 28, "num_attention_heads": 16}
    | {"num_key_value_heads": 8},
    "tiny": QWEN3
    | {"hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4}
    | {"num_key_value_heads": 2, "head_dim": 16, "vocab_size": 49152},
}
STAGES = list(PIPELINE)  # dvc.yaml's stages in run order (cmd_correct.stages: the one map)
# The CI jobs a real run is split into (train-kaggle.yml): each restores the previous job's dvc.lock and runs
# `dvc repro --pull --allow-missing <its last stage>` on a fresh runner, so it holds only its stages' deps and
# outs. The train job's torch step runs on Kaggle (measured here on the CPU).
JOBS = {
    "train": ["generate", "validate", "prepare", "base", "train"],
    "fuse": ["fuse"],
    "convert": ["convert"],
    "baseline": ["base_gguf", "baseline"],
    "evaluate": ["imatrix", "quantize", "evaluate"],
    "one job, every stage": STAGES,
}
# What the release job pulls (release.py uploads these; metrics.json is in git).
RELEASE_TARGETS = ["models/quant", "models/imatrix"]
# A few train steps and a small case count: the stages' code paths at full model size, minutes not hours.
BENCH_OVERLAY = {
    "generate": {"rows": 6000},
    "prepare": {"calibration_rows": 200, "heldout_rows": 100},
    "train": {
        "backend": "torch",
        "device": "cpu",
        "iters": 2,
        "batch_size": 2,
        "max_length": 64,
        "warmup": 0,
        "eval_interval": 2,
        "eval_batches": 1,
        "log_interval": 1,
        "checkpoint_interval": 0,
    },
    "imatrix": {"chunks": 4},
    "quantize": {"types": ["Q4_K_M"]},
    "evaluate": {
        "n_cases": 24,
        "base_cases": 6,
        "latency_cases": 4,
        "latency_threads": [2],
        "ppl_chunks": 4,
        "bench_reps": 1,
        "bench_n_gen": 8,
    },
}
GB = 1e9


def build_model(shape: str, out: Path) -> dict:
    """A random-weight Qwen3 of `shape` in bfloat16 with the SmolLM2 tokenizer (the vocabulary padded)."""
    import torch
    from transformers import GenerationConfig, Qwen3Config, Qwen3ForCausalLM

    tok = embedded_tokenizer()
    cfg = Qwen3Config(
        **SHAPES[shape],
        bos_token_id=tok.bos_token_id,
        eos_token_id=tok.eos_token_id,
        pad_token_id=tok.pad_token_id,
        dtype="bfloat16",
    )
    torch.manual_seed(0)
    model = Qwen3ForCausalLM(cfg).to(torch.bfloat16)  # transformers' own init (normal, std 0.02)
    model.generation_config = GenerationConfig(
        bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id
    )
    model.save_pretrained(out, safe_serialization=True)
    save_tokenizer(tok, out)
    return {"parameters": sum(p.numel() for p in model.parameters()), "config": SHAPES[shape]}


def tree_bytes(paths, seen: set | None = None) -> int:
    """Allocated bytes of the files under `paths`; a hard-linked or symlinked file counts once."""
    seen = set() if seen is None else seen
    total = 0
    stack = [Path(p) for p in paths]
    while stack:
        p = stack.pop()
        try:
            st = p.stat()  # follows symlinks: a symlinked output counts as its cache file
        except OSError:
            continue
        if p.is_dir() and not p.is_symlink():
            with contextlib.suppress(OSError):  # a temp folder removed while walking
                stack.extend(p.iterdir())
        elif p.is_file() and (st.st_dev, st.st_ino) not in seen:
            seen.add((st.st_dev, st.st_ino))
            total += st.st_blocks * 512
    return total


class Sampler:
    """Samples the disk in use under `roots` and the RSS of a process tree every `interval` seconds."""

    def __init__(self, roots: list[Path], interval: float = 0.5):
        self.roots, self.interval = roots, interval
        self.pid: int | None = None
        self.disk_peak = self.rss_peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> Sampler:
        self.disk_peak = tree_bytes(self.roots)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.disk_peak = max(self.disk_peak, tree_bytes(self.roots))

    def _loop(self) -> None:
        import psutil

        while not self._stop.wait(self.interval):
            self.disk_peak = max(self.disk_peak, tree_bytes(self.roots))
            if self.pid is None:
                continue
            try:
                proc = psutil.Process(self.pid)
                rss = sum(p.memory_info().rss for p in [proc, *proc.children(recursive=True)])
            except psutil.Error:
                continue
            self.rss_peak = max(self.rss_peak, rss)


def run_stage(proj: Path, stage: str, env: dict, roots: list[Path]) -> dict:
    """`dvc repro -s stage` in `proj`, measured; raises with the log tail when it fails."""
    before = tree_bytes(roots)
    log = proj.parent / f"{stage}.log"
    start = time.perf_counter()
    with Sampler(roots) as s, log.open("w") as fh:
        proc = subprocess.Popen(["dvc", "repro", "-s", stage], cwd=proj, env=env, stdout=fh, stderr=subprocess.STDOUT)
        s.pid = proc.pid
        # wait4 reports the child and its waited-for descendants: the largest RSS of any process of the stage.
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"stage {stage} failed (exit {proc.returncode}):\n{log.read_text()[-3000:]}")
    after = tree_bytes(roots)
    return {
        "wall_s": round(wall, 1),
        "peak_rss_gb": round(usage.ru_maxrss * 1024 / GB, 3),
        "peak_rss_tree_gb": round(s.rss_peak / GB, 3),
        "disk_peak_gb": round(s.disk_peak / GB, 3),
        "disk_after_gb": round(after / GB, 3),
        "transient_gb": round(max(s.disk_peak - max(before, after), 0) / GB, 3),
    }


def stage_paths(dvc_yaml: dict, stage: str) -> tuple[list[str], list[str]]:
    """A stage's data deps (no source files) and its outs, metrics and plots, as paths."""
    spec = dvc_yaml["stages"][stage]
    deps = [d for d in spec.get("deps", []) if not d.startswith(("src/", "kaggle"))]
    outs = []
    for key in ("outs", "metrics", "plots"):
        for item in spec.get(key, []):
            outs.append(next(iter(item)) if isinstance(item, dict) else item)
    return deps, outs


def sh(cmd: list[str], cwd: Path, env: dict | None = None) -> str:
    """Run a set-up command quietly (stdout is this benchmark's JSON); its output on failure."""
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed (exit {proc.returncode}):\n{(proc.stdout + proc.stderr)[-3000:]}")
    return proc.stdout


def job_table(proj: Path, stages: dict[str, dict]) -> dict[str, dict]:
    """Per CI job: the disk of its stages' deps and outs (measured files, links once) plus its largest temp."""
    dvc_yaml = yaml.safe_load((proj / "dvc.yaml").read_text())
    jobs = {}
    for job, members in JOBS.items():
        paths = sorted({p for s in members for p in sum(stage_paths(dvc_yaml, s), [])})
        jobs[job] = {
            "stages": members,
            "disk_gb": round(
                tree_bytes([proj / p for p in paths]) / GB + max(stages[s]["transient_gb"] for s in members), 3
            ),
            "peak_rss_gb": max(stages[s]["peak_rss_gb"] for s in members),
            "wall_s": round(sum(stages[s]["wall_s"] for s in members), 1),
        }
    return jobs


def project(tmp: Path, model_dir: Path) -> Path:
    """A throw-away git + DVC project: this checkout's pipeline files, params overlaid for the bench."""
    proj = tmp / "proj"
    proj.mkdir()
    for name in ("dvc.yaml", "pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, proj / name)
    for name in ("src", "kaggle", str(paths.IMPORT)):  # data/import: generate's (git-tracked) import folder
        shutil.copytree(ROOT / name, proj / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    raw = params_mod.deep_merge(
        yaml.safe_load((ROOT / "params.yaml").read_text()),
        BENCH_OVERLAY | {"base": {"model": str(model_dir)}},
    )
    raw["evaluate"]["scratch_dir"] = str(tmp / "scratch")  # the f16 logits file, counted as transient
    (tmp / "scratch").mkdir()
    (proj / "params.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@localhost"]
    sh([*git, "init", "-q"], proj)
    sh(["dvc", "init", "-q"], proj)
    # The checkout's DVC config (the cache type under test), its remote a folder of this bench.
    cfg = (ROOT / ".dvc" / "config").read_text()
    (proj / ".dvc" / "config").write_text(cfg)
    sh(["dvc", "remote", "add", "-f", "-d", "bench", str(tmp / "remote")], proj)
    sh([*git, "add", "-A"], proj)
    sh([*git, "commit", "-qm", "bench project"], proj)
    return proj


def release_pull(tmp: Path, proj: Path, env: dict) -> dict:
    """Push the released outputs, clone the project fresh and pull only those: the release job's disk."""
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@localhost"]
    sh([*git, "add", "-A"], proj)
    sh([*git, "commit", "-qm", "bench run"], proj)
    sh(["dvc", "push", "-q", *RELEASE_TARGETS], proj, env)
    clone = tmp / "release-clone"
    sh(["git", "clone", "-q", str(proj), str(clone)], tmp)
    before = tree_bytes([clone])
    start = time.perf_counter()
    sh(["dvc", "pull", "-q", *RELEASE_TARGETS], clone, env)
    status = subprocess.run(["dvc", "status", "--json", "dvc.yaml"], cwd=clone, env=env, capture_output=True, text=True)
    kinds = sorted(
        {
            change
            for entries in (json.loads(status.stdout or "{}") or {}).values()
            for entry in entries
            if isinstance(entry, dict)
            for changes in entry.values()
            for change in changes.values()
        }
    )
    return {
        "targets": RELEASE_TARGETS,
        "wall_s": round(time.perf_counter() - start, 1),
        "disk_gb": round((tree_bytes([clone]) - before) / GB, 3),
        "dvc_status_changes": kinds,  # only "deleted": nothing pulled is stale, the rest is absent
    }


def decode_probe(proj: Path, cases: int = 32, parallel: int = 16, threads: int = 2) -> dict:
    """Evaluate's batched exact-match decoding with answers of the test split's mean length, per GGUF.

    A random model stops at once (its answers are one token), which would time only the prompts: here the
    stops are switched off and every answer runs to the mean token count of the split's real corrections,
    so seconds per case project to a trained model's evaluate.
    """
    from cmd_correct import infer, io

    rows = [row for _, row in io.iter_jsonl(proj / "data" / "final" / "test.jsonl")][:cases]
    requests = [(row["shell"], row["messages"][1]["content"]) for row in rows]
    out = {}
    for gguf in sorted((proj / "models").glob("[fq]*/model-*.gguf")):
        with infer.load(gguf, threads=threads, n_ctx=512) as c:
            length = (
                round(
                    sum(len(c.llm.tokenize(r["messages"][2]["content"].encode(), add_bos=False)) for r in rows)
                    / len(rows)
                )
                + 1
            )
            c.max_tokens, c.stop_ids = length, set()
            # the cap is the only stop: no stop text, no line rule
            c.decoding = contract.Decoding(max_tokens=length, n_ctx=512, stop_texts=(), one_line=False)
            start = time.perf_counter()
            answers = c.correct_many(requests, parallel=parallel)
            wall = time.perf_counter() - start
        tokens = sum(a.completion_tokens for a in answers)
        out[gguf.stem.removeprefix("model-")] = {
            "cases": len(answers),
            "answer_tokens": length,
            "parallel": parallel,
            "threads": threads,
            "wall_s": round(wall, 1),
            "s_per_case": round(wall / len(answers), 3),
            "answer_tokens_per_s": round(tokens / wall, 1),
        }
    return out


def run(shape: str, tmp: Path) -> dict:
    load = {"before": os.getloadavg()}
    model_dir = tmp / "hf-model"
    start = time.perf_counter()
    # In a child: a stage's peak RSS (wait4) starts from the RSS of the process that forked it, so this one
    # must stay small (no torch).
    built = subprocess.run(
        [sys.executable, __file__, "--shape", shape, "--build-model", str(model_dir)],
        capture_output=True,
        text=True,
    )
    if built.returncode != 0:
        raise SystemExit(f"building the {shape} model failed:\n{built.stderr[-3000:]}")
    model = json.loads(built.stdout)
    model |= {"build_s": round(time.perf_counter() - start, 1), "folder_gb": round(tree_bytes([model_dir]) / GB, 3)}
    proj = project(tmp, model_dir)
    env = os.environ | {"TMPDIR": str(tmp / "scratch"), "CMD_CORRECT_NO_PROGRESS": "1", "HF_HUB_OFFLINE": "1"}
    roots = [proj, tmp / "scratch"]  # the workspace with its .dvc/cache, and every temp file
    dvc_yaml = yaml.safe_load((proj / "dvc.yaml").read_text())
    stages: dict[str, dict] = {}
    for stage in STAGES:
        print(f"# {shape}: {stage}", file=sys.stderr, flush=True)
        stages[stage] = run_stage(proj, stage, env, roots)
        deps, outs = stage_paths(dvc_yaml, stage)
        own = tree_bytes([proj / p for p in deps + outs])
        stages[stage]["footprint_gb"] = round(own / GB + stages[stage]["transient_gb"], 3)
        stages[stage]["outs_gb"] = round(tree_bytes([proj / p for p in outs]) / GB, 3)
        print(json.dumps({stage: stages[stage]}), file=sys.stderr, flush=True)
    jobs = job_table(proj, stages)
    release = release_pull(tmp, proj, env)
    probe = sh([sys.executable, __file__, "--decode-probe", str(proj)], proj, env)
    load["after"] = os.getloadavg()
    cache = proj / ".dvc" / "cache"
    return {
        "shape": shape,
        "model": model,
        "overlay": BENCH_OVERLAY,
        "dvc_cache_type": subprocess.run(
            ["dvc", "config", "cache.type"], cwd=proj, capture_output=True, text=True
        ).stdout.strip(),
        "stages": stages,
        "jobs": jobs,
        "release_job_pull": release,
        "decode_probe": json.loads(probe),
        "final": {
            "workspace_and_cache_gb": round(tree_bytes([proj]) / GB, 3),
            "cache_alone_gb": round(tree_bytes([cache]) / GB, 3),
        },
        "loadavg": load,
        "cpus": os.cpu_count(),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shape", choices=sorted(SHAPES), default="qwen3-1.7b")
    ap.add_argument("--out", type=Path, default=None, help="also write the JSON here")
    ap.add_argument("--keep", type=Path, default=None, help="work in this (new) folder and keep it")
    ap.add_argument("--build-model", type=Path, default=None, help=argparse.SUPPRESS)  # the child's job
    ap.add_argument("--decode-probe", type=Path, default=None, help="only time decode_probe on a kept project")
    args = ap.parse_args()
    if args.decode_probe:
        print(json.dumps(decode_probe(args.decode_probe)))
        return 0
    if args.build_model:
        print(json.dumps(build_model(args.shape, args.build_model)))
        return 0
    if args.keep:
        args.keep.mkdir(parents=True)
        result = run(args.shape, args.keep)
    else:
        with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
            result = run(args.shape, Path(tmp))
    text = json.dumps(result, indent=2)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
