"""fuse stage: the merged model computes what base + adapter computes."""

from __future__ import annotations

import json

import pytest

from cmd_correct import contract, fuse, io
from cmd_correct.errors import ModelError


@pytest.fixture(scope="module")
def adapter_dir(tiny_model_dir, tmp_path_factory):
    """A PEFT LoRA adapter with random (non-zero) A and B, so merging changes every targeted weight."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    lora = LoraConfig(r=8, lora_alpha=16, target_modules=["q_proj", "v_proj", "down_proj"], init_lora_weights=False)
    peft_model = get_peft_model(model, lora)
    out = tmp_path_factory.mktemp("adapter")
    peft_model.save_pretrained(out)
    return out


def _logits(model, tok):
    import torch

    ids = tok(contract.render_conversation("bash", "gti status", "git status"), return_tensors="pt")
    with torch.no_grad():
        return model(**ids).logits


def test_fused_logits_equal_base_plus_adapter(tiny_model_dir, adapter_dir, tmp_path):
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    out = tmp_path / "fused"
    result = fuse.run(fuse.Params(), tiny_model_dir, adapter_dir, out)

    tok = AutoTokenizer.from_pretrained(out)
    base = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    base_logits = _logits(base, tok)
    unmerged = _logits(PeftModel.from_pretrained(base, adapter_dir).eval(), tok)
    fused = _logits(AutoModelForCausalLM.from_pretrained(out).eval(), tok)
    assert (unmerged - base_logits).abs().max() > 1e-2  # the adapter really changes the model
    assert (fused - unmerged).abs().max() < 1e-4

    assert result.meta["inputs"] == {"base": io.sha256_tree(tiny_model_dir), "adapter": io.sha256_tree(adapter_dir)}
    for name in ("tokenizer.json", "tokenizer_config.json", "chat_template.jinja"):
        assert (out / name).read_bytes() == (tiny_model_dir / name).read_bytes()
    assert json.loads((out / "generation_config.json").read_text())["eos_token_id"] == tok.convert_tokens_to_ids(
        contract.IM_END
    )
    config = json.loads((out / "config.json").read_text())
    assert config["architectures"] == ["LlamaForCausalLM"] and "quantization_config" not in config
    assert sorted(p.name for p in out.glob("*.safetensors")) == ["model.safetensors"]
    assert not any("lora" in k for k in _tensor_names(out / "model.safetensors"))


def _tensor_names(path):
    from safetensors import safe_open

    with safe_open(str(path), "pt") as f:
        return list(f.keys())


def test_bfloat16_output(tiny_model_dir, adapter_dir, tmp_path):
    out = tmp_path / "fused"
    fuse.run(fuse.Params(dtype="bfloat16"), tiny_model_dir, adapter_dir, out)
    from safetensors import safe_open

    with safe_open(str(out / "model.safetensors"), "pt") as f:
        assert {str(f.get_tensor(k).dtype) for k in f.keys()} == {"torch.bfloat16"}  # noqa: SIM118 (safe_open is not iterable)


@pytest.mark.parametrize("stored", ["bfloat16", "float32"])
def test_auto_dtype_is_the_base_models_own(tiny_model_dir, adapter_dir, tmp_path, stored):
    # scale issue: a bf16 Hub base was fused to fp32, doubling models/fused (6.8 GB for Qwen3-1.7B).
    import shutil

    from safetensors import safe_open

    base = tmp_path / "base"
    shutil.copytree(tiny_model_dir, base)
    cfg = json.loads((base / "config.json").read_text())
    cfg.pop("torch_dtype", None)
    (base / "config.json").write_text(json.dumps(cfg | {"dtype": stored}))
    result = fuse.run(fuse.Params(), base, adapter_dir, tmp_path / "fused")
    with safe_open(str(tmp_path / "fused" / "model.safetensors"), "pt") as f:
        assert {str(f.get_tensor(k).dtype) for k in f.keys()} == {f"torch.{stored}"}  # noqa: SIM118
    assert result.meta["dtype"] == stored and result.meta["params"]["dtype"] == "auto"


def test_missing_adapter_is_a_model_error(tiny_model_dir, tmp_path):
    (tmp_path / "adapter").mkdir()
    with pytest.raises(ModelError) as err:
        fuse.run(fuse.Params(), tiny_model_dir, tmp_path / "adapter", tmp_path / "fused")
    assert err.value.path == str(tmp_path / "adapter" / "adapter_config.json")
    assert not (tmp_path / "fused").exists()


def test_cli(tiny_model_dir, adapter_dir, tmp_path, capsys):
    from cmd_correct import cli

    p = tmp_path / "params.yaml"
    p.write_text("fuse:\n  dtype: float32\n")
    assert cli.main(["fuse", str(tiny_model_dir), str(adapter_dir), str(tmp_path / "f"), "--params", str(p)]) == 0
    assert json.loads(capsys.readouterr().out)["out"] == str(tmp_path / "f")
    assert (tmp_path / "f" / "meta.json").is_file()


def test_adapter_unlike_its_train_config_is_refused(tiny_model_dir, adapter_dir, tmp_path):
    # train_config.json is read back: an adapter folder mixing two runs (rank 16 said, r 8 saved) stops fuse.
    import shutil

    mixed = tmp_path / "adapter"
    shutil.copytree(adapter_dir, mixed)
    said = {"rank": 8, "alpha": 16.0, "target_modules": ["v_proj", "q_proj", "down_proj"]}
    io.write_json(mixed / "train_config.json", said)
    fuse.check_adapter(mixed)  # the same settings, in another order: fine
    io.write_json(mixed / "train_config.json", said | {"rank": 16})
    with pytest.raises(ModelError) as err:
        fuse.run(fuse.Params(), tiny_model_dir, mixed, tmp_path / "fused")
    assert err.value.path == str(mixed) and err.value.field == "rank"
    assert not (tmp_path / "fused").exists()
