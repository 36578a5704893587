"""The whole dvc.yaml, end to end, in a temp git + dvc repo: what CI's pipeline.yml does on a PR, offline.

A base-branch run (tagged `ci-baseline` by the real `ci.make_baseline`), a "PR" commit that changes one
training param, the PR run, the gate against the baseline, and the PR comment from the real
`dvc params diff` / `dvc metrics diff`. The base model is the tiny random-weight model from conftest
(not SmolLM2), so the numbers say nothing about quality; what is checked is that every stage runs from
dvc.yaml, a second `dvc repro` runs nothing, a params change reruns only the stages below it, and the
comment shows both runs' real numbers. No network: the DVC remote is a local folder.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from cmd_correct import ci, params

ROOT = Path(__file__).resolve().parents[2]
# Everything below train (its params changed); data, base and the base model's GGUF are reused.
BELOW_TRAIN = {"train", "fuse", "convert", "imatrix", "quantize", "evaluate"}

pytestmark = [pytest.mark.slow, pytest.mark.e2e]


def _profile(base_model: Path) -> dict:
    """A seconds-sized overlay of every stage (the shape of configs/ci.yaml, smaller still)."""
    return {
        "base": {"model": str(base_model)},
        "generate": {"rows": 3000},
        "prepare": {"calibration_rows": 200, "heldout_rows": 100},
        "train": {"iters": 4, "warmup": 1, "batch_size": 4, "log_interval": 2, "eval_interval": 2,
                  "eval_batches": 1, "checkpoint_interval": 0, "lr": 5e-3},
        "imatrix": {"chunks": 4},
        "evaluate": {"n_cases": 24, "identity_cases": 12, "ppl_chunks": 4, "bench_reps": 1, "bench_n_gen": 8},
    }  # fmt: skip


def _sh(repo: Path, *cmd: str, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, cwd=repo, capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} -> {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return proc


def _repro(repo: Path) -> set[str]:
    """`dvc repro`; the stages that really ran (restored or unchanged ones print other lines)."""
    proc = _sh(repo, sys.executable, "-m", "dvc", "repro")
    return set(re.findall(r"Running stage '([\w-]+)'", proc.stdout + proc.stderr))


@pytest.fixture
def repo(tmp_path: Path, tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This project's pipeline files in a fresh repo, params overlaid with the tiny profile, committed."""
    repo = tmp_path / "repo"
    repo.mkdir()
    for name in ("dvc.yaml", ".dvcignore", ".gitignore"):
        shutil.copy(ROOT / name, repo / name)
    for folder in ("src", "kaggle"):
        shutil.copytree(ROOT / folder, repo / folder, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    (repo / "data" / "import").mkdir(parents=True)  # generate's import folder (a dep), as git holds it
    shutil.copy(ROOT / "data" / "import" / "README.md", repo / "data" / "import" / "README.md")
    raw = params.deep_merge(params.load(ROOT / "params.yaml"), _profile(tiny_model_dir))
    (repo / "params.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    # `python -m cmd_correct` in the stage commands is this venv's (the installed package, same source).
    monkeypatch.setenv("PATH", str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"])
    monkeypatch.setenv("CMD_CORRECT_NO_PROGRESS", "1")
    monkeypatch.delenv("DVC_S3_BUCKET", raising=False)
    _sh(repo, "git", "init", "-q", "-b", "main")
    _sh(repo, "git", "config", "user.email", "e2e@localhost")
    _sh(repo, "git", "config", "user.name", "e2e")
    _sh(repo, sys.executable, "-m", "dvc", "init", "-q")
    _sh(repo, "git", "add", "-A")
    _sh(repo, "git", "commit", "-qm", "main")
    return repo


def test_pipeline_end_to_end_twice_and_the_pr_comment(repo: Path):
    # The base branch's run, exactly as `make ci-baseline` does it.
    _sh(repo, "git", "checkout", "-q", "-b", "pr")
    ci.make_baseline("main", profile=None, pull=False, cwd=repo)
    assert set(_sh(repo, "git", "show", "--name-only", "--format=", ci.BASELINE_TAG).stdout.split()) >= {
        "dvc.lock", "metrics.json", "data/validation.json", "reports/train/metrics.json",
    }  # fmt: skip
    # The PR head (still main's commit, no dvc.lock of its own) gets every stage back from the run-cache,
    # as a CI PR run does from the shared remote; a second repro then has nothing to do either.
    assert _repro(repo) == set()
    assert _repro(repo) == set()

    metrics = json.loads((repo / "metrics.json").read_text())
    assert {"f16", "Q4_K_M", "baselines", "settings"} <= set(metrics)
    for variant in ("f16", "Q4_K_M"):
        assert metrics[variant]["n_cases"] == 24 and metrics[variant]["ppl"] > 0
    assert metrics["Q4_K_M"]["kld_mean"] >= 0 and metrics["Q4_K_M"]["size_mb"] < metrics["f16"]["size_mb"]
    for out in ("models/quant/model-Q4_K_M.gguf", "models/imatrix/imatrix.gguf", "reports/evaluate/predictions.jsonl"):
        assert (repo / out).is_file(), out

    # The PR: one training param changes; only train and what lies below it reruns.
    raw = yaml.safe_load((repo / "params.yaml").read_text())
    raw["train"]["lr"] = 1e-2
    (repo / "params.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    _sh(repo, "git", "commit", "-qam", "train.lr 1e-2")
    assert _repro(repo) == BELOW_TRAIN

    # `make ci-gate`: the gate against the baseline run, its rows (JSON) and exit status kept for the report.
    (repo / "reports" / "ci").mkdir(parents=True)
    gate_json = repo / "reports/ci/gate.json"
    gate = _sh(repo, sys.executable, "-m", "cmd_correct", "gate", "--ref", ci.BASELINE_TAG, "--json", str(gate_json),
               check=False)  # fmt: skip
    (repo / "reports/ci/gate.rc").write_text(f"{gate.returncode}\n")
    assert f"quality gates (reference: {ci.BASELINE_TAG})" in gate.stdout
    assert "Q4_K_M.kld_mean vs ci-baseline" in gate.stdout

    # `make pr-comment` writes the report (data); pr-comment.yml renders it with the default branch's code.
    report = ci.collect(ci.BASELINE_TAG, label="main", gate_json=gate_json, env={}, cwd=repo)
    body = ci.render(json.loads(json.dumps(report)), head="0" * 40)
    params_md, metrics_md = body.split("### Params")[1].split("### Metrics")
    metrics_md = metrics_md.split("### Gate")[0]
    assert re.search(r"\| `params\.yaml` \| `train\.lr` \| 0\.005 \| 0\.01 \|", params_md), params_md
    # Both runs' numbers for the quantized model, from the real `dvc metrics diff --json`. Perplexity, not KLD:
    # the tiny random model's KLD is ~1e-5, too close to dvc's rounding to tell two models apart.
    (row,) = [r for r in report["metrics"] if r["key"] == "Q4_K_M.ppl"]
    old, new = row["old"], row["new"]
    assert new == pytest.approx(json.loads((repo / "metrics.json").read_text())["Q4_K_M"]["ppl"], rel=1e-6)
    assert abs(old - new) > 1e-3 * new  # retrained with another lr: another model
    assert re.search(r"\| `Q4_K_M\.ppl` \|", metrics_md)
    assert f"Gate {'passed' if gate.returncode == 0 else '**failed**'}" in body
    assert "Q4_K_M.kld_mean vs ci-baseline" in body  # the gate's rows, rendered from its JSON
    print(body)  # the comment two real runs produced (pytest -s shows it)


def test_an_imported_chat_folder_trains_and_evaluates_through_the_same_stages(repo: Path):
    """Issue 24's datasets made elsewhere: prepare's chat rows of one run, put in data/import as another
    tool's output, with `generate.source: import`; every stage then runs from them, to metrics.json."""
    _sh(repo, sys.executable, "-m", "dvc", "repro", "prepare")
    made_elsewhere = repo / "data" / "import"
    for split in ("train", "valid", "test"):  # the chat form, with the consumer's system prompt
        shutil.copy(repo / "data" / "final" / f"{split}.jsonl", made_elsewhere / f"other-tool-{split}.jsonl")
    first = json.loads((repo / "data" / "final" / "train.jsonl").read_text().splitlines()[0])
    assert [m["role"] for m in first["messages"]] == ["system", "user", "assistant"]
    raw = yaml.safe_load((repo / "params.yaml").read_text())
    raw["generate"]["source"] = "import"
    (repo / "params.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))

    ran = _repro(repo)
    assert {"generate", "validate", "prepare", "train", "fuse", "convert", "quantize", "evaluate"} <= ran
    meta = json.loads((repo / "data" / "generated" / "meta.json").read_text())
    assert meta["params"]["source"] == "import" and sorted(meta["inputs"]) == [
        "other-tool-test.jsonl", "other-tool-train.jsonl", "other-tool-valid.jsonl",
    ], meta  # fmt: skip
    metrics = json.loads((repo / "metrics.json").read_text())
    assert metrics["Q4_K_M"]["n_cases"] > 0 and metrics["Q4_K_M"]["ppl"] > 0
    assert _repro(repo) == set()  # the imported files are tracked: nothing changed, nothing reruns
