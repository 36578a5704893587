"""quantize: every type in the list, fallbacks recorded (not hidden), outputs validated (real llama-quantize)."""

import json
from pathlib import Path

import pytest

from cmd_correct import paths, quantize
from cmd_correct.errors import ModelError

FIXTURES = Path(__file__).parent / "fixtures" / "llama_cpp"
# What the captured SmolLM2-135M run printed: 180 of 272 tensors fell back (576 = 2.25 x 256).
FALLBACK_COUNT, FALLBACK_OF = 180, 272
FALLBACK_TO = {"q5_0": 166, "q8_0": 14}
FIRST_FALLBACK = "blk.0.attn_k.weight"


def test_quantize_writes_each_type_with_fallbacks_in_meta(tiny_quant_dir, tiny_f16_dir):
    from conftest import TINY_QUANT_TYPES

    names = sorted(p.name for p in tiny_quant_dir.iterdir())
    assert names == sorted(["meta.json", *(paths.quant_gguf(t).name for t in TINY_QUANT_TYPES)])
    meta = json.loads((tiny_quant_dir / "meta.json").read_text())
    f16_tensors = json.loads((tiny_f16_dir / "meta.json").read_text())["info"]["n_tensors"]
    q4 = meta["types"]["Q4_K_M"]
    # hidden size 64 is not a multiple of the K-quants' 256-blocks: every 2-D weight falls back
    assert q4["fallback_tensors"] > 0 and sum(q4["fallback_to"].values()) == q4["fallback_tensors"]
    assert len(q4["fallback_tensor_names"]) == q4["fallback_tensors"]
    assert "q4_K" not in {t.lower() for t in q4["tensor_types"]}
    q8 = meta["types"]["Q8_0"]
    assert q8["fallback_tensors"] == 0 and "Q8_0" in q8["tensor_types"]
    for t in TINY_QUANT_TYPES:
        assert meta["types"][t]["n_tensors"] == f16_tensors
        assert meta["types"][t]["size_bytes"] == paths.quant_gguf(t, tiny_quant_dir).stat().st_size
    assert meta["inputs"].keys() == {"f16", "imatrix"}


def test_fallback_parser_pinned_on_smollm2_output():
    """Captured `llama-quantize --imatrix ... Q4_K_M` output on SmolLM2-135M (576-wide rows)."""
    fb = quantize.parse_fallbacks((FIXTURES / "llama-quantize-smollm2-Q4_K_M.txt").read_text())
    assert (fb.count, fb.of) == (FALLBACK_COUNT, FALLBACK_OF)
    assert fb.to == FALLBACK_TO
    assert fb.tensors[0] == FIRST_FALLBACK


def test_fallback_parser_refuses_a_count_mismatch():
    out = "llama_model_quantize_impl: WARNING: 3 of 30 tensor(s) required fallback quantization\n"
    with pytest.raises(ModelError) as err:
        quantize.parse_fallbacks(out)
    assert err.value.field == "fallbacks"


def test_no_fallbacks_parses_to_zero():
    assert quantize.parse_fallbacks("llama_model_quantize_impl: model size = 1 MiB\n").count == 0


@pytest.mark.parametrize(
    ("types", "problem"), [([], "at least one"), (["Q4_K_X"], "unknown Q4_K_X"), (["Q8_0", "Q8_0"], "duplicates")]
)
def test_types_are_checked(types, problem):
    assert any(problem in p for p in quantize.Params(types=types).validate())


def test_missing_imatrix_is_refused(tiny_f16_dir, tmp_path):
    with pytest.raises(ModelError) as err:
        quantize.run(quantize.Params(), tiny_f16_dir, tmp_path / "imatrix", tmp_path / "quant")
    assert (err.value.path, err.value.param) == (str(tmp_path / "imatrix" / "imatrix.gguf"), "quantize.use_imatrix")


def test_refuses_an_out_folder_holding_a_dvc_tracked_gguf(tmp_path):
    # Regression: `quantize ... --out models/quant` over a folder holding a `dvc add`ed GGUF deleted it.
    from cmd_correct.errors import OutputError

    out = tmp_path / "models" / "quant"
    out.mkdir(parents=True)
    (out / "mine.gguf").write_bytes(b"GGUF" + bytes(16))
    (out / "mine.gguf.dvc").write_text("outs:\n- md5: 0\n  path: mine.gguf\n")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    with pytest.raises(OutputError) as err:  # before any work: no f16 or imatrix is even looked at
        quantize.run(quantize.Params(), tmp_path / "no-f16", tmp_path / "no-imatrix", out)
    assert err.value.path == str(out) and {p.name: p.read_bytes() for p in out.iterdir()} == before
