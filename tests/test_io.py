"""Atomic writes and line-numbered jsonl reading."""

import json

import pytest

from cmd_correct import io
from cmd_correct.errors import DataError


def test_atomic_write_leaves_nothing_when_interrupted(tmp_path):
    target = tmp_path / "out.json"
    target.write_text("old")
    with pytest.raises(RuntimeError), io.atomic_write(target) as f:
        f.write("half")
        raise RuntimeError("interrupted")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_atomic_dir_replaces_only_on_success(tmp_path):
    target = tmp_path / "model"
    with io.atomic_dir(target) as d:
        (d / "a.txt").write_text("1")
    with pytest.raises(KeyboardInterrupt), io.atomic_dir(target) as d:
        (d / "b.txt").write_text("2")
        raise KeyboardInterrupt
    assert sorted(p.name for p in target.iterdir()) == ["a.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]


def test_iter_jsonl_names_file_and_line(tmp_path):
    path = tmp_path / "rows.jsonl"
    path.write_text('{"a": 1}\n\n{"a": 2\n')
    rows = io.iter_jsonl(path)
    assert next(rows) == (1, {"a": 1})
    with pytest.raises(DataError) as err:
        next(rows)
    assert err.value.line == 3 and str(path) in str(err.value)


def test_iter_jsonl_refuses_non_objects(tmp_path):
    path = tmp_path / "rows.jsonl"
    path.write_text("[1, 2]\n")
    with pytest.raises(DataError, match=r"rows.jsonl:1: expected a JSON object, got list"):
        list(io.iter_jsonl(path))


def test_write_json_is_stable(tmp_path):
    io.write_json(tmp_path / "a.json", {"b": 1, "a": [1, 2]})
    io.write_json(tmp_path / "b.json", {"a": [1, 2], "b": 1})
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()
    assert json.loads((tmp_path / "a.json").read_text()) == {"a": [1, 2], "b": 1}


def test_sha256_tree_changes_with_any_file(tmp_path):
    (tmp_path / "x").write_text("1")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "y").write_text("2")
    before = io.sha256_tree(tmp_path)
    (tmp_path / "sub" / "y").write_text("3")
    assert io.sha256_tree(tmp_path) != before


def test_atomic_outputs_get_the_usual_modes_not_private_temp_modes(tmp_path):
    # Regression: mkstemp/mkdtemp make 0600/0700, which leaked into release bundles and caches.
    with io.atomic_write(tmp_path / "f.txt") as f:
        f.write("x")
    with io.atomic_dir(tmp_path / "d"):
        pass
    mask = io._umask()
    assert (tmp_path / "f.txt").stat().st_mode & 0o777 == 0o666 & ~mask
    assert (tmp_path / "d").stat().st_mode & 0o777 == 0o777 & ~mask
