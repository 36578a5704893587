"""imatrix: from the train-split calibration text only, ChatML parsed as special tokens (real llama-imatrix)."""

import json

import pytest

from cmd_correct import contract, gguf, imatrix, paths
from cmd_correct.errors import DataError


def test_imatrix_writes_a_gguf_imatrix_and_meta(tiny_imatrix_dir):
    assert sorted(p.name for p in tiny_imatrix_dir.iterdir()) == ["imatrix.gguf", "meta.json"]
    facts = gguf.verify_imatrix(paths.imatrix_gguf(tiny_imatrix_dir))
    assert facts["keys"]["imatrix.chunk_count"] == 4
    meta = json.loads((tiny_imatrix_dir / "meta.json").read_text())
    assert meta["chunks"] == 4 and meta["params"]["ctx"] == 64 and set(meta["inputs"]) == {"f16", "calibration"}


def test_heldout_conversation_in_calibration_is_refused(tiny_f16_dir, tiny_final_dir, tmp_path):
    final = tmp_path / "final"
    final.mkdir()
    heldout = (tiny_final_dir / paths.HELDOUT).read_text()
    leaked = contract.render_conversation("fish", "gti status", "git status")
    (final / paths.HELDOUT).write_text(heldout + leaked)
    (final / paths.CALIBRATION).write_text((tiny_final_dir / paths.CALIBRATION).read_text() + leaked)
    with pytest.raises(DataError, match="1 held-out conversation") as err:
        imatrix.run(imatrix.Params(ctx=64, chunks=2), tiny_f16_dir, final, tmp_path / "out")
    assert err.value.path == str(final / paths.CALIBRATION) and isinstance(err.value.line, int)
    assert not (tmp_path / "out").exists()


def test_missing_calibration_text_is_refused(tiny_f16_dir, tmp_path):
    final = tmp_path / "final"  # an empty data/final: beside the output, not around it
    final.mkdir()
    with pytest.raises(DataError) as err:
        imatrix.run(imatrix.Params(), tiny_f16_dir, final, tmp_path / "out")
    assert err.value.path == str(final / paths.CALIBRATION)


def test_conversations_split_at_system_turns():
    a = contract.render_conversation("bash", "sl", "ls")
    b = contract.render_conversation("cmd", "dri", "dir")
    assert imatrix.conversations(a + b) == {a.strip(), b.strip()}


@pytest.mark.parametrize(("field", "value"), [("ctx", 8), ("chunks", 0), ("threads", 0)])
def test_params_are_checked(field, value):
    assert any(p.startswith(field) for p in imatrix.Params(**{field: value}).validate())
