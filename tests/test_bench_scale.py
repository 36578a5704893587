"""bench/bench_scale.py's machinery on its tiny random Qwen3: every stage measured, links instead of copies."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _bench():
    spec = importlib.util.spec_from_file_location("bench_scale", ROOT / "bench" / "bench_scale.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_tree_bytes_counts_a_hard_link_once(tmp_path):
    bench = _bench()
    (tmp_path / "a").write_bytes(b"x" * 100_000)
    one = bench.tree_bytes([tmp_path])
    os.link(tmp_path / "a", tmp_path / "b")
    (tmp_path / "c").symlink_to(tmp_path / "a")
    assert one > 0 and bench.tree_bytes([tmp_path]) == one


def test_published_shapes_are_the_qwen3_configs():
    shapes = _bench().SHAPES
    assert {k: shapes["qwen3-1.7b"][k] for k in ("hidden_size", "intermediate_size", "num_hidden_layers")} == {
        "hidden_size": 2048,
        "intermediate_size": 6144,
        "num_hidden_layers": 28,
    }
    assert shapes["qwen3-0.6b"]["hidden_size"] == 1024 and shapes["qwen3-0.6b"]["vocab_size"] == 151936


@pytest.mark.slow
def test_tiny_shape_runs_every_stage_with_linked_outputs(tmp_path):
    bench = _bench()
    work = tmp_path / "work"
    out = tmp_path / "tiny.json"
    env = os.environ | {"PYTHONPATH": str(ROOT / "src"), "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    cmd = [sys.executable, str(ROOT / "bench" / "bench_scale.py"), "--shape", "tiny", "--keep", str(work)]
    proc = subprocess.run([*cmd, "--out", str(out)], capture_output=True, text=True, env=env, timeout=1200)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout)
    assert result == json.loads(out.read_text())
    assert list(result["stages"]) == bench.STAGES
    for stage, m in result["stages"].items():
        assert m["wall_s"] > 0 and m["peak_rss_gb"] > 0 and m["disk_peak_gb"] >= m["disk_after_gb"] > 0, stage
    assert result["stages"]["fuse"]["outs_gb"] > 0 and result["dvc_cache_type"].startswith("['hardlink'")
    # Outputs are hard links into the cache: the cache holds the models once, the workspace adds nothing.
    cache, total = result["final"]["cache_alone_gb"], result["final"]["workspace_and_cache_gb"]
    assert cache > 0.5 * total
    weights = work / "proj" / "models" / "fused" / "model.safetensors"
    assert weights.stat().st_nlink == 2
    # The release job pulls the GGUF and the imatrix only, and dvc status then shows nothing but absent data.
    pulled = result["release_job_pull"]
    assert set(pulled["dvc_status_changes"]) <= {"deleted", "not in cache"}
    assert 0 < pulled["disk_gb"] < result["jobs"]["evaluate"]["disk_gb"]
    assert (work / "release-clone" / "models" / "quant" / "model-Q4_K_M.gguf").is_file()
    assert not (work / "release-clone" / "models" / "fused").exists()
