"""Atomic writes and line-numbered jsonl reading."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cmd_correct import io
from cmd_correct.errors import CmdCorrectError, DataError, OutputError


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
    with pytest.raises(DataError) as err:
        list(io.iter_jsonl(path))
    assert (err.value.path, err.value.line, err.value.field) == (str(path), 1, None)


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


# -- output guard (issue 10): no command deletes what it did not create ---------------------------------


def _meta(folder, stage):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "meta.json").write_text(json.dumps({"stage": stage}))


def test_atomic_dir_refuses_a_folder_it_did_not_write_before_the_work(tmp_path):
    # Regression: `generate <folder that holds other things>` deleted the folder and everything in it.
    target = tmp_path / "photos"
    target.mkdir()
    (target / "holiday.jpg").write_bytes(b"\xff\xd8")
    ran = []
    with pytest.raises(OutputError) as err, io.atomic_dir(target, stage="generate"):
        ran.append(1)
    assert isinstance(err.value, CmdCorrectError) and err.value.path == str(target)
    assert "\n" not in str(err.value) and str(target) in str(err.value)
    assert ran == [] and (target / "holiday.jpg").read_bytes() == b"\xff\xd8"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["photos"]  # no temp folder left either


def test_atomic_dir_replaces_its_own_stage_output_but_not_another_stages(tmp_path):
    ours, theirs = tmp_path / "gen", tmp_path / "f16"
    _meta(ours, "generate")
    _meta(theirs, "convert")
    (theirs / "model-f16.gguf").write_bytes(b"GGUF")
    with io.atomic_dir(ours, stage="generate") as d:
        (d / "new.jsonl").write_text("{}\n")
    assert sorted(p.name for p in ours.iterdir()) == ["new.jsonl"]
    with pytest.raises(OutputError, match="names stage 'convert'") as err:  # says whose folder it is
        io.check_output(theirs, stage="quantize")
    assert err.value.path == str(theirs)
    assert (theirs / "model-f16.gguf").read_bytes() == b"GGUF"
    empty = tmp_path / "empty"
    empty.mkdir()
    assert io.check_output(empty, stage="quantize") == empty  # an empty folder holds nothing to lose


@pytest.mark.parametrize("where", ["cwd", "parent-of-cwd", "repo-root", "inside-git", "input", "parent-of-input"])
def test_never_the_working_dir_a_repo_root_git_or_an_input(where, tmp_path, monkeypatch):
    # Regression: `release --dry-run --out .` replaced the whole repository, .git included.
    repo = tmp_path / "repo"
    (repo / ".git" / "objects").mkdir(parents=True)
    (repo / "data" / "in").mkdir(parents=True)
    (repo / "work").mkdir()
    monkeypatch.chdir(repo / "work")
    target = {
        "cwd": Path("."),
        "parent-of-cwd": Path(".."),
        "repo-root": repo,
        "inside-git": repo / ".git" / "objects",
        "input": repo / "data" / "in",
        "parent-of-input": repo / "data",
    }[where]
    _meta(repo / "data", "generate")  # even a folder that looks like our own output: it holds an input
    with pytest.raises(OutputError):
        io.check_output(target, stage="generate", inputs=[repo / "data" / "in"])
    assert (repo / ".git" / "objects").is_dir() and (repo / "data" / "in").is_dir()


@pytest.mark.parametrize("kind", ["dir", "file"])
def test_an_output_inside_an_input_is_refused_like_the_reverse(kind, tmp_path):
    # Regression (issue 23): an input inside the output was refused, but `--out data/generated/final` (an
    # output inside the stage's own input) was written there, changing the input the stage had just read.
    inp = tmp_path / "data" / "generated"
    inp.mkdir(parents=True)
    (inp / "single.jsonl").write_text("{}\n")
    (tmp_path / "link").symlink_to(inp)
    for target in (inp / "final", inp / "deeper" / "final", tmp_path / "link" / "final"):
        with pytest.raises(OutputError, match="is inside the input") as err:
            io.check_output(target, stage="prepare", inputs=[inp], kind=kind)
        assert err.value.path == str(target)
    with (
        pytest.raises(OutputError, match="is inside the input"),
        io.atomic_dir(inp / "final", stage="prepare", inputs=[inp]),
    ):
        pass
    assert [p.name for p in inp.iterdir()] == ["single.jsonl"]  # nothing written into the input
    beside = tmp_path / "data" / "final"  # a sibling of the input, as in the pipeline: still fine
    assert io.check_output(beside, stage="prepare", inputs=[inp], kind=kind) == beside


def test_an_existing_file_is_never_replaced_by_a_folder(tmp_path):
    # Regression: `--out models/quant` over a file deleted it (it was a DVC-tracked GGUF).
    target = tmp_path / "quant"
    target.write_bytes(b"GGUF")
    with pytest.raises(OutputError) as err, io.atomic_dir(target, stage="quantize"):
        pass
    assert err.value.path == str(target)
    assert target.read_bytes() == b"GGUF"


def test_an_impossible_output_path_is_a_user_error_not_a_traceback(tmp_path):
    # Regression: a path under a file raised NotADirectoryError (a traceback) from mkdir.
    blocker = tmp_path / "file"
    blocker.write_text("x")
    for guard in (
        lambda: io.atomic_dir(blocker / "out", stage="generate").__enter__(),
        lambda: io.atomic_dir(blocker / "out").__enter__(),
        lambda: io.write_json(blocker / "v.json", {}),
        lambda: io.check_output(blocker / "v.json", stage="validate", kind="file"),
    ):
        with pytest.raises(OutputError) as err:
            guard()
        assert isinstance(err.value, CmdCorrectError) and str(blocker) in str(err.value)


def test_leftover_temp_folders_of_killed_runs_are_cleaned_by_the_next_run(tmp_path):
    # Regression: a killed run left `.<name>.<random>.tmp` folders beside its output forever.
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(dead.stdout)
    target = tmp_path / "final"
    leftovers = [f".final.{dead_pid}.abcd1234.tmp", ".final.k9x_2mqa.tmp", f".final.{dead_pid}.old"]
    for name in leftovers:
        (tmp_path / name).mkdir()
        (tmp_path / name / "train.jsonl").write_text("half")
    live = tmp_path / f".final.{os.getpid()}.zzzz9999.tmp"  # a run still going (this process)
    live.mkdir()
    other = tmp_path / ".other.abcd1234.tmp"  # another output's leftover: not this stage's to clean
    other.mkdir()
    with io.atomic_dir(target, stage="prepare") as d:
        (d / "train.jsonl").write_text("ok")
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted(["final", live.name, other.name])


def test_without_a_stage_only_what_the_run_rewrites_may_be_replaced(tmp_path):
    # Older callers (no stage=): a folder is replaced when this run rewrites all of it (or meta.json names a
    # stage), never when it would lose files this run did not write.
    target = tmp_path / "report"
    with io.atomic_dir(target) as d:
        (d / "predictions.jsonl").write_text("1")
    with io.atomic_dir(target) as d:
        (d / "predictions.jsonl").write_text("2")
    assert (target / "predictions.jsonl").read_text() == "2"
    (target / "notes.txt").write_text("mine")
    with pytest.raises(OutputError, match="notes.txt"), io.atomic_dir(target) as d:
        (d / "predictions.jsonl").write_text("3")
    assert (target / "notes.txt").read_text() == "mine" and (target / "predictions.jsonl").read_text() == "2"


def test_a_file_output_replaces_only_its_own_stage_file(tmp_path):
    ours, theirs = tmp_path / "validation.json", tmp_path / "notes.json"
    ours.write_text(json.dumps({"stage": "validate", "verdict": "pass"}))
    theirs.write_text(json.dumps({"mine": 1}))
    assert io.check_output(ours, stage="validate", kind="file") == ours
    with pytest.raises(OutputError) as err:
        io.check_output(theirs, stage="validate", kind="file")
    assert err.value.path == str(theirs)
    with pytest.raises(OutputError) as err:
        io.check_output(tmp_path, stage="validate", kind="file")
    assert err.value.path == str(tmp_path)


def test_a_replaced_output_folder_keeps_dvcs_gitignore(tmp_path):
    # Regression: evaluate's folder holds DVC's committed .gitignore (its outs are inside it); replacing the
    # folder refused it as "not an output of evaluate", and the old code deleted the tracked file.
    out = tmp_path / "report"
    out.mkdir()
    (out / ".gitignore").write_text("/predictions.jsonl\n")
    (out / "predictions.jsonl").write_text("old\n")
    with io.atomic_dir(out, stage="evaluate", recognise=io.holds_only("predictions.jsonl")) as tmp:
        (tmp / "predictions.jsonl").write_text("new\n")
    assert (out / ".gitignore").read_text() == "/predictions.jsonl\n"
    assert (out / "predictions.jsonl").read_text() == "new\n"
