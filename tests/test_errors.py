"""errors.py: every user-facing error is a CmdCorrectError and a built-in, and carries the things it names."""

from __future__ import annotations

import pytest

from cmd_correct import cli, contract, errors, generate, params, toolchain, validate
from cmd_correct.errors import ExhaustedError, ParamsError


def test_every_error_class_lives_in_errors_py_and_is_a_builtin_too():
    # Regression: ExhaustedError and ValidationError lived in their stage modules, ToolchainError outside the family.
    classes = [c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, Exception)]
    for cls in classes:
        assert cls.__module__ == "cmd_correct.errors"
        if cls is not errors.CmdCorrectError:
            assert issubclass(cls, errors.CmdCorrectError) and set(cls.__mro__) & {ValueError, RuntimeError, OSError}
    assert generate.ExhaustedError is ExhaustedError and validate.ValidationError is errors.ValidationError
    assert toolchain.ToolchainError is errors.ToolchainError


def test_params_error_names_every_key_at_fault(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text("train:\n  rank: 0\n  lr: fast\ngenerate:\n  rows: many\ntrian: {}\n")
    with pytest.raises(ParamsError) as err:
        params.load(path)
    assert err.value.path == str(path)
    # per-file shape problems first: unknown keys, types, values out of their range
    assert set(err.value.params) == {"trian", "train.rank", "train.lr", "generate.rows"}
    path.write_text("train:\n  warmup: 500\n  target_modules: []\n")
    with pytest.raises(ParamsError) as err:
        params.load(path)
    assert err.value.params == ("train.warmup", "train.target_modules")  # a section's own cross-field checks


def test_exhausted_generation_names_the_cell_and_exits_1(tmp_path, capsys, monkeypatch):
    p = tmp_path / "params.yaml"
    p.write_text("generate:\n  rows: 3000\n  max_draws: 1\n  max_per_target: 1\n")
    with pytest.raises(ExhaustedError) as err:
        generate.run(params.section("generate", path=p), 1, tmp_path / "gen")
    e = err.value
    assert e.got < e.want and e.shell in contract.SHELLS and e.family in contract.FAMILIES
    monkeypatch.setenv("CMD_CORRECT_NO_PROGRESS", "1")
    assert cli.main(["generate", str(tmp_path / "gen2"), "--params", str(p)]) == 1
    assert capsys.readouterr().err.count("\n") == 1  # one stderr line
