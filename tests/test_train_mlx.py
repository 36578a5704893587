"""mlx backend: a real mlx-lm LoRA run on the tiny model, its PEFT conversion, resume and data errors.

mlx[cpu] runs on Linux. Training runs in a child process so that, where Debian's OpenBLAS is installed,
it can be LD_PRELOADed (mlx's wheel links a reference BLAS that makes even the tiny model ~6x slower).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cmd_correct import contract, io
from cmd_correct.errors import DataError, DataErrors, ModelError

mx = pytest.importorskip("mlx.core", reason="mlx is not installed (pip install -e '.[train-mlx]')")
from cmd_correct.train import Params, common, mlx_backend  # noqa: E402

TARGETS = ["q_proj", "v_proj", "down_proj"]
# Run params: small enough for seconds per step on 2 CPU cores; lr high enough that the adapter moves.
RUN = dict(
    backend="mlx",
    iters=6,
    batch_size=4,
    eval_interval=3,
    eval_batches=2,
    checkpoint_interval=3,
    warmup=2,
    lr=1e-2,
    rank=4,
    alpha=8.0,
    dropout=0.0,
    max_length=64,
    log_interval=1,
    target_modules=TARGETS,
)

CHILD = """
import json, sys
from pathlib import Path
from cmd_correct.train import Params, mlx_backend, run
cfg = json.loads(sys.argv[1])
stop_at = cfg.pop("stop_at")

def progress(task, done, total):
    # Simulates an interruption (Ctrl-C) after `stop_at` optimizer steps.
    if stop_at and task == "train (mlx)" and done > stop_at:
        raise KeyboardInterrupt

paths = {k: Path(cfg.pop(k)) for k in ("data_dir", "base_dir", "adapter_dir", "report_dir")}
summary = run(Params(**cfg), seed=7, progress=progress, **paths).summary  # dispatches on backend=mlx
print(json.dumps(summary))
"""


def _rows(n: int, seed: int) -> list[dict]:
    import random

    rng = random.Random(seed)
    words = ["ls -la", "git status", "grep -r foo .", "cat notes.txt", "docker ps", "make test"]
    out = []
    for _ in range(n):
        good = rng.choice(words)
        typo = good.replace(good[1], good[1] * 2, 1)
        out.append(
            {
                "id": f"r{len(out)}",
                "shell": "bash",
                "family": "single",
                "messages": contract.messages("bash", typo, good),
            }
        )
    return out


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("final")
    io.write_jsonl(d / "train.jsonl", _rows(24, 1))
    io.write_jsonl(d / "valid.jsonl", _rows(8, 2))
    return d


def _train(tmp: Path, data_dir: Path, base_dir: Path, stop_at: int = 0, **over) -> dict:
    cfg = (
        RUN
        | over
        | {
            "stop_at": stop_at,
            "data_dir": str(data_dir),
            "base_dir": str(base_dir),
            "adapter_dir": str(tmp / "adapter"),
            "report_dir": str(tmp / "report"),
        }
    )
    env = dict(os.environ, OMP_WAIT_POLICY="passive", CMD_CORRECT_NO_PROGRESS="1")
    if blas := mlx_backend.openblas_path():
        env["LD_PRELOAD"] = blas
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(cfg)], env=env, capture_output=True, text=True, timeout=900
    )
    if stop_at:
        assert proc.returncode != 0 and "KeyboardInterrupt" in proc.stderr, proc.stderr[-2000:]
        return {}
    assert proc.returncode == 0, proc.stderr[-3000:]
    (line,) = proc.stdout.strip().splitlines()  # mlx-lm's own table stays off stdout, the CLI's data channel
    return json.loads(line)


def _tsv(path: Path) -> dict[int, float]:
    """dvclive's plot file: step -> value (the last value logged for a step)."""
    header, *lines = path.read_text().splitlines()
    cols = header.split("\t")
    rows = [dict(zip(cols, line.split("\t"), strict=True)) for line in lines]
    return {int(r["step"]): float(r[cols[-1]]) for r in rows}


@pytest.fixture(scope="module")
def trained(tmp_path_factory, data_dir, tiny_model_dir) -> tuple[Path, dict]:
    tmp = tmp_path_factory.mktemp("mlx_run")
    return tmp, _train(tmp, data_dir, tiny_model_dir)


@pytest.mark.slow
def test_tiny_run_writes_the_peft_adapter_and_metrics(trained):
    tmp, summary = trained
    adapter = tmp / "adapter"
    assert sorted(p.relative_to(adapter).as_posix() for p in adapter.rglob("*") if p.is_file()) == [
        "adapter_config.json",
        "adapter_model.safetensors",
        "meta.json",
        "mlx/adapter_config.json",
        "mlx/adapters.safetensors",
        "train_config.json",
    ]
    assert sorted(p.name for p in tmp.iterdir()) == ["adapter", "report"]  # no checkpoint left behind
    cfg = json.loads((adapter / "adapter_config.json").read_text())
    assert (cfg["peft_type"], cfg["r"], cfg["lora_alpha"], cfg["target_modules"]) == (
        "LORA",
        4,
        8.0,
        sorted(TARGETS),
    )
    assert summary["backend"] == "mlx" and summary["steps"] == 6 and summary["resumed_from"] == 0
    assert summary["tokens"] > 0 and summary["tokens_per_s"] > 0
    assert summary["blas"] == ("openblas" if mlx_backend.openblas_path() else "reference")  # what _train preloads
    assert summary["valid_loss"] is not None and summary["train_loss"] is not None
    assert json.loads((tmp / "report" / "metrics.json").read_text())["train_loss"] == summary["train_loss"]
    train_loss = _tsv(tmp / "report" / "plots" / "metrics" / "train_loss.tsv")
    assert sorted(train_loss) == [1, 2, 3, 4, 5, 6]
    # mlx-lm evaluates before steps 1, 3 and 6 (after 0, 2, 5 steps); the backend adds the final one.
    valid_loss = _tsv(tmp / "report" / "plots" / "metrics" / "valid_loss.tsv")
    assert sorted(valid_loss) == [0, 2, 5, 6]
    assert valid_loss[6] < valid_loss[0] - 0.05  # it learns (the data repeats six commands)
    assert summary["base_valid_loss"] == pytest.approx(valid_loss[0])  # step 0: the untuned base


@pytest.mark.slow
def test_peft_adapter_reproduces_the_mlx_model(trained, tiny_model_dir):
    """PEFT on torch with the converted adapter, and the fused model, give mlx-lm's logits with its adapter."""
    import numpy as np
    import torch
    from mlx_lm.utils import load
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tmp, _ = trained
    tok = AutoTokenizer.from_pretrained(tiny_model_dir)
    ids = tok(contract.render_conversation("bash", "gitt status", "git status"))["input_ids"]

    mlx_model, _ = load(str(tiny_model_dir), adapter_path=str(tmp / "adapter" / "mlx"))
    mlx_logits = np.array(mlx_model(mx.array([ids])).astype(mx.float32))

    base = AutoModelForCausalLM.from_pretrained(tiny_model_dir, dtype=torch.float32).eval()
    with torch.no_grad():
        base_logits = base(torch.tensor([ids])).logits.numpy()
        peft = PeftModel.from_pretrained(base, tmp / "adapter").eval()
        peft_logits = peft(torch.tensor([ids])).logits.numpy()

    moved = np.abs(mlx_logits - base_logits).max()
    assert moved > 1e-3, "the adapter did not change the model; the comparison below would prove nothing"
    tol = max(2e-4, moved / 100)
    np.testing.assert_allclose(peft_logits, mlx_logits, atol=tol, rtol=0)

    # ... and the one fuse stage merges it like any torch-trained adapter.
    from cmd_correct import fuse

    fuse.run(fuse.Params(), tiny_model_dir, tmp / "adapter", tmp / "fused")
    fused = AutoModelForCausalLM.from_pretrained(tmp / "fused", dtype=torch.float32).eval()
    with torch.no_grad():
        np.testing.assert_allclose(fused(torch.tensor([ids])).logits.numpy(), mlx_logits, atol=tol, rtol=0)


@pytest.mark.slow
def test_resumes_from_the_last_checkpoint(tmp_path, data_dir, tiny_model_dir):
    _train(tmp_path, data_dir, tiny_model_dir, stop_at=4)  # killed during step 5; step 3 was checkpointed
    ckpt = common.work_dir(tmp_path / "adapter", "mlx")
    assert io.read_json(ckpt / "checkpoint" / "state.json")["step"] == 3
    summary = _train(tmp_path, data_dir, tiny_model_dir)
    assert summary["resumed_from"] == 3 and summary["steps"] == 6
    # The learning-rate schedule carries on from the restored optimizer step instead of restarting
    # (step k's update uses schedule(k - 1), as transformers' schedulers do).
    schedule = mlx_backend.lr_schedule(RUN["lr"], "cosine", RUN["warmup"], RUN["iters"])
    lr = _tsv(tmp_path / "report" / "plots" / "metrics" / "lr.tsv")
    for step in (1, 2, 3, 4, 6):
        assert lr[step] == pytest.approx(schedule(mx.array(step - 1)).item(), rel=1e-5), step
    assert not ckpt.exists()


def test_to_peft_renames_and_transposes():
    a = mx.arange(6, dtype=mx.float32).reshape(3, 2)  # (in=3, r=2)
    b = mx.arange(8, dtype=mx.float32).reshape(2, 4)  # (r=2, out=4)
    out = mlx_backend.to_peft(
        {"model.layers.0.self_attn.q_proj.lora_a": a, "model.layers.0.self_attn.q_proj.lora_b": b}
    )
    stem = "base_model.model.model.layers.0.self_attn.q_proj"
    assert sorted(out) == [f"{stem}.lora_A.weight", f"{stem}.lora_B.weight"]
    assert out[f"{stem}.lora_A.weight"].shape == (2, 3) and out[f"{stem}.lora_B.weight"].shape == (4, 2)
    assert out[f"{stem}.lora_A.weight"][1, 2] == 5.0  # a[2, 1]
    with pytest.raises(ModelError):
        mlx_backend.to_peft({"model.layers.0.mlp.up_proj.m": a})  # DoRA magnitudes have no PEFT LoRA slot


def test_schedule_warms_up_then_decays():
    s = mlx_backend.lr_schedule(1.0, "cosine", 4, 12)
    values = [s(mx.array(i)).item() for i in range(13)]
    assert values[0] == 0.0 and values[2] == pytest.approx(0.5) and values[4] == pytest.approx(1.0)
    assert values[8] == pytest.approx(0.5) and values[12] == pytest.approx(0.0, abs=1e-7)
    assert mlx_backend.lr_schedule(1.0, "linear", 0, 10)(mx.array(5)).item() == pytest.approx(0.5)
    assert mlx_backend.lr_schedule(1.0, "constant", 2, 10)(mx.array(9)).item() == pytest.approx(1.0)


def test_bad_rows_are_reported_before_training(tmp_path, tiny_model_dir):
    good = {"messages": contract.messages("bash", "sl", "ls")}
    io.write_jsonl(tmp_path / "train.jsonl", [good] * 8 + [{"messages": contract.messages("bash", "sl")}])
    io.write_jsonl(tmp_path / "valid.jsonl", [good] * 8)
    with pytest.raises(DataErrors) as err:
        mlx_backend.train(
            Params(**RUN),
            seed=1,
            data_dir=tmp_path,
            base_dir=tiny_model_dir,
            work_dir=tmp_path / "w",
        )
    assert [(p.line, p.field) for p in err.value.problems] == [(9, "messages")]
    assert not (tmp_path / "w").exists()


def test_encoding_matches_the_torch_backend(tmp_path, tiny_model_dir, data_dir):
    """mlx-lm gets the very tokens the torch backend trains on, its loss starting where the labels do."""
    from transformers import AutoTokenizer

    from cmd_correct.train import data

    tok = AutoTokenizer.from_pretrained(tiny_model_dir)
    pairs, enc = mlx_backend.encode_split(tok, data_dir, "train", 64, 4)
    assert [t for t, _ in pairs] == enc.input_ids
    for (tokens, offset), labels in zip(pairs, enc.labels, strict=True):
        assert labels[offset - 1] == data.IGNORE and labels[offset:] == tokens[offset:]
        assert tok.decode(tokens[offset:]).startswith(("ls", "git", "grep", "cat", "docker", "make"))


def test_unknown_target_module_is_a_model_error(tiny_model_dir):
    from mlx_lm.utils import load

    model, _ = load(str(tiny_model_dir))
    assert sorted(k.split(".")[-1] for k in mlx_backend.lora_keys(model, TARGETS)) == sorted(TARGETS)
    with pytest.raises(ModelError) as err:
        mlx_backend.lora_keys(model, ["q_proj", "c_attn"])
    assert err.value.param == "train.target_modules" and "c_attn" in str(err.value)


def test_too_few_rows_for_a_batch(tmp_path, tiny_model_dir):
    io.write_jsonl(tmp_path / "train.jsonl", _rows(2, 1))
    io.write_jsonl(tmp_path / "valid.jsonl", _rows(8, 2))
    with pytest.raises(DataError, match="batch_size=4"):
        mlx_backend.train(
            Params(**RUN),
            seed=1,
            data_dir=tmp_path,
            base_dir=tiny_model_dir,
            work_dir=tmp_path / "w",
        )


def test_loss_matches_the_torch_backend_before_training(tiny_model_dir, data_dir):
    """Same rows, tokens and answer-only mask: mlx-lm's validation loss equals the torch backend's."""
    import contextlib

    import torch
    from mlx_lm.tuner.trainer import evaluate
    from mlx_lm.utils import load
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from cmd_correct.train import data, torch_backend

    tok = AutoTokenizer.from_pretrained(tiny_model_dir)
    pairs, _ = mlx_backend.encode_split(tok, data_dir, "valid", 64, 4)
    split = data.LazySplit(tok, data.read_split(data_dir / "valid.jsonl"), 64)
    params = Params(batch_size=4, eval_batches=2)
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir, dtype=torch.float32)
    torch_loss = torch_backend._evaluate(model, split, params, tok.pad_token_id, "cpu", contextlib.nullcontext)

    mlx_model, _ = load(str(tiny_model_dir))
    run = mlx_backend._Run(
        params=params, model=mlx_model, optimizer=None, ckpt=None, fingerprint="", log=None, state={}
    )
    assert evaluate(mlx_model, pairs, 4, 2, 64, iterate_batches=run.batches) == pytest.approx(torch_loss, rel=1e-5)
    # mlx-lm's own mask takes one target past each row's end (the padding id): a different loss.
    raw = lambda dataset, batch_size, max_seq_length, **_: mlx_backend._fixed_batches(dataset, batch_size)  # noqa: E731
    assert evaluate(mlx_model, pairs, 4, 2, 64, iterate_batches=raw) != pytest.approx(torch_loss, rel=1e-5)
