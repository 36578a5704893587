"""train/common.py: the checkpoint fingerprint and resume check both local backends use, the report `train.run`
writes from a history, and the backends' one interface."""

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


def test_a_report_reads_back_as_the_history_it_was_written_from(tmp_path):
    # kaggle's backend hands `train.run` the kernel's log this way: the report it writes is the kernel's.
    history = [
        {"step": 0, "valid_loss": 2.5},
        {"step": 1, "train_loss": 2.0, "lr": 1e-3},
        {"step": 2, "train_loss": 1.5, "lr": 5e-4},
        {"step": 2, "valid_loss": 1.25},  # mlx logs its evaluation apart from the train loss at a step
        {"step": 2, "valid_loss": 1.0},  # ... and a final one at the same step: a record of its own
    ]
    common.write_report(tmp_path, history, {"valid_loss": 1.0, "seconds": 3.5, "device": "cpu"})
    assert io.read_json(tmp_path / "metrics.json") == {
        "step": 2,
        "valid_loss": 1.0,
        "train_loss": 1.5,
        "lr": 5e-4,
        "seconds": 3.5,  # the summary's numbers join the last values
    }
    again = common.read_history(tmp_path)
    assert again == [
        {"step": 0, "valid_loss": 2.5},
        {"step": 1, "train_loss": 2.0, "lr": 1e-3},
        {"step": 2, "train_loss": 1.5, "lr": 5e-4, "valid_loss": 1.25},
        {"step": 2, "valid_loss": 1.0},
    ]
    common.write_report(tmp_path / "again", again, {"valid_loss": 1.0, "seconds": 3.5})
    for tsv in (tmp_path / "plots" / "metrics").iterdir():
        assert (tmp_path / "again" / "plots" / "metrics" / tsv.name).read_text() == tsv.read_text()
    assert common.read_history(tmp_path / "nothing") == []


def test_every_backend_is_named_once_and_trains_through_the_one_interface():
    import importlib
    import inspect
    import typing

    from cmd_correct.stages import BACKENDS

    assert set(typing.get_args(typing.get_type_hints(Params)["backend"])) == set(BACKENDS)
    wanted = {"params", "seed", "data_dir", "base_dir", "work_dir", "progress"}
    for name, module in BACKENDS.items():
        signature = inspect.signature(importlib.import_module(module).train)
        assert wanted <= set(signature.parameters), name
        assert not {"adapter_dir", "report_dir"} & set(signature.parameters), f"{name} writes outputs itself"
