"""train/common.py: the checkpoint fingerprint and resume check both local backends use."""

from dataclasses import replace
from pathlib import Path

from cmd_correct import io
from cmd_correct.train import Params, common


def _inputs(tmp_path: Path) -> tuple[Path, Path]:
    data, base = tmp_path / "final", tmp_path / "base"
    data.mkdir()
    base.mkdir()
    for split in ("train", "valid"):
        (data / f"{split}.jsonl").write_text(f'{{"split": "{split}"}}\n')
    (base / "meta.json").write_text('{"stage": "base"}\n')
    return data, base


def test_fingerprint_follows_what_training_reads_but_not_eval_interval(tmp_path):
    data, base = _inputs(tmp_path)
    p = Params()
    first = common.fingerprint(p, 1, data, base)
    assert common.fingerprint(p, 1, data, base) == first
    assert common.fingerprint(replace(p, eval_interval=7), 1, data, base) == first  # logging only
    assert common.fingerprint(replace(p, lr=0.5), 1, data, base) != first
    assert common.fingerprint(p, 2, data, base) != first
    (data / "valid.jsonl").write_text('{"split": "other"}\n')
    assert common.fingerprint(p, 1, data, base) != first


def test_resumable_state_keeps_this_runs_checkpoint_and_drops_another(tmp_path):
    ckpt = tmp_path / ".adapter.torch-checkpoint"
    assert common.resumable_state(ckpt, "abc") == {}  # nothing saved yet
    io.write_json(ckpt / common.CHECKPOINT / common.STATE, {"step": 3, "fingerprint": "abc"})
    assert common.resumable_state(ckpt, "abc") == {"step": 3, "fingerprint": "abc"}
    assert common.resumable_state(ckpt, "other") == {}
    assert not ckpt.exists()  # another run's state is removed: training starts over
