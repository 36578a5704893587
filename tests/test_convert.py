"""convert: HF folder -> validated model-f16.gguf with general.name and the chat template (real llama.cpp tools)."""

import json
import shutil

import pytest

from cmd_correct import convert, gguf, paths
from cmd_correct.errors import ModelError


def test_convert_writes_a_validated_f16_gguf_and_meta(tiny_f16_dir, tiny_model_dir):
    assert sorted(p.name for p in tiny_f16_dir.iterdir()) == ["meta.json", "model-f16.gguf"]
    info = gguf.verify(paths.f16_gguf(tiny_f16_dir))
    assert info.architecture == "llama"
    assert info.name == convert.Params().name
    assert info.tokenizer == "gpt2" and info.n_vocab == 49152
    assert info.has_chat_template and info.loaded
    assert info.n_tensors == 2 * 9 + 2  # 9 per block (norms, q, k, v, o, gate, up, down), token_embd, output_norm
    assert set(info.tensor_types) <= {"F16", "F32"}
    meta = json.loads((tiny_f16_dir / "meta.json").read_text())
    assert meta["stage"] == "convert" and meta["params"]["outtype"] == "f16"
    assert meta["inputs"]["model"] and meta["sha256"] and meta["info"]["n_tensors"] == info.n_tensors


def test_embedded_chat_template_is_the_models_own(tiny_f16_dir, tiny_model_dir):
    facts = gguf.inspect(paths.f16_gguf(tiny_f16_dir))
    template = (tiny_model_dir / "chat_template.jinja").read_text()
    assert facts["keys"]["tokenizer.chat_template"].strip() == template.strip()


def test_base_conversion_takes_the_base_name(tiny_model_dir, tmp_path):
    res = convert.run(convert.Params(base_name="my-base"), tiny_model_dir, tmp_path / "base-gguf", name="my-base")
    assert res.info.name == "my-base" and res.gguf == tmp_path / "base-gguf" / "model-f16.gguf"


def test_model_without_chat_template_is_refused_before_converting(tiny_model_dir, tmp_path):
    model = tmp_path / "model"
    shutil.copytree(tiny_model_dir, model)
    (model / "chat_template.jinja").unlink(missing_ok=True)
    cfg = model / "tokenizer_config.json"
    cfg.write_text(json.dumps({k: v for k, v in json.loads(cfg.read_text()).items() if k != "chat_template"}))
    with pytest.raises(ModelError) as err:
        convert.run(convert.Params(), model, tmp_path / "out")
    assert err.value.path == str(model) and [p for p in err.value.problems if p.startswith("no chat template")]
    assert not (tmp_path / "out").exists()


def test_missing_model_folder_names_the_stage_to_run(tmp_path):
    with pytest.raises(ModelError, match="run the stage that writes it") as err:
        convert.run(convert.Params(), tmp_path / "fused", tmp_path / "out")
    assert err.value.path == str(tmp_path / "fused") and not err.value.problems
