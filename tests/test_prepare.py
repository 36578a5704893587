"""prepare: leak-free group splits in the contract's chat format; bad input refused with file:line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import BAD_ROWS, DATA_ROWS, DATA_SEED, corrupt_generated

from cmd_correct import contract, generate, prepare, validate
from cmd_correct.errors import DataError, DataErrors, OutputError
from cmd_correct.io import sha256_file

TARGETS = (generate.Params().shell_weights, generate.Params().family_weights)


@pytest.fixture(scope="module")
def validation(small_generated: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("val") / "validation.json"
    validate.run(validate.Params(), *TARGETS, small_generated, out)
    return out


@pytest.fixture(scope="module")
def final(small_generated: Path, validation: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("final") / "final"
    prepare.run(prepare.Params(calibration_rows=50, heldout_rows=20), DATA_SEED, small_generated, validation, out)
    return out


def rows(final: Path, split: str) -> list[dict]:
    return [json.loads(line) for line in (final / f"{split}.jsonl").open()]


def source(small_generated: Path) -> dict[str, dict]:
    return {r["id"]: r for f in contract.FAMILIES for r in map(json.loads, (small_generated / f"{f}.jsonl").open())}


def test_files_and_format(final: Path, small_generated: Path):
    assert sorted(p.name for p in final.iterdir()) == sorted(
        ["train.jsonl", "valid.jsonl", "test.jsonl", "calibration.txt", "heldout.txt", "meta.json"]
    )
    gen = source(small_generated)
    total = 0
    for split in ("train", "valid", "test"):
        for r in rows(final, split):
            g = gen[r["id"]]
            assert set(r) - {"prompt_shell"} == {"messages", "shell", "family", "category", "id", "error"}
            assert r.get("prompt_shell") == g.get("prompt_shell")  # an alias row keeps the name fix sends
            name = g.get("prompt_shell") or g["shell"]
            assert r["messages"] == contract.messages(name, g["command"], g["correction"])
            assert (r["shell"], r["family"], r["category"], r["error"]) == (
                g["shell"],
                g["family"],
                g["category"],
                g["error"],
            )
            total += 1
    assert total == DATA_ROWS
    meta = json.loads((final / "meta.json").read_text())
    assert meta["stage"] == "prepare" and sum(meta["rows"].values()) == DATA_ROWS


def test_no_correct_command_in_two_splits(final: Path):
    targets = {s: {r["messages"][-1]["content"] for r in rows(final, s)} for s in ("train", "valid", "test")}
    assert not targets["train"] & targets["test"]
    assert not targets["train"] & targets["valid"] and not targets["valid"] & targets["test"]
    n = {s: len(rows(final, s)) for s in targets}
    assert 0.85 < n["train"] / DATA_ROWS < 0.95 and n["valid"] > 0 and n["test"] > 0


def test_calibration_from_train_and_heldout_from_test(final: Path):
    train = {
        contract.render_conversation(
            r.get("prompt_shell") or r["shell"], r["messages"][1]["content"], r["messages"][2]["content"]
        )
        for r in rows(final, "train")
    }
    test = {
        contract.render_conversation(
            r.get("prompt_shell") or r["shell"], r["messages"][1]["content"], r["messages"][2]["content"]
        )
        for r in rows(final, "test")
    }

    def conversations(name: str) -> list[str]:
        text = (final / name).read_text()
        parts = text.split(contract.IM_START + "system\n")[1:]
        return [contract.IM_START + "system\n" + p for p in parts]

    calib, held = conversations("calibration.txt"), conversations("heldout.txt")
    assert len(calib) == 50 and len(held) == 20
    assert set(calib) <= train and not set(calib) & test
    assert set(held) <= test and not set(held) & train


def test_deterministic(final: Path, small_generated: Path, validation: Path, tmp_path: Path):
    again = tmp_path / "again"
    prepare.run(prepare.Params(calibration_rows=50, heldout_rows=20), DATA_SEED, small_generated, validation, again)
    for f in final.iterdir():
        assert sha256_file(f) == sha256_file(again / f.name), f.name


def test_refuses_a_test_target_leaking_into_train(final: Path, small_generated: Path, validation: Path, tmp_path: Path):
    """A hand edit gives a test row a correction that lives in train: refused at that row."""
    test_id = rows(final, "test")[0]["id"]
    train_target = rows(final, "train")[0]["messages"][-1]["content"]
    gen = tmp_path / "gen"
    shutil.copytree(small_generated, gen)
    for family in contract.FAMILIES:
        path = gen / f"{family}.jsonl"
        lines = path.read_text().splitlines()
        for i, line in enumerate(lines):
            row = json.loads(line)
            if row["id"] == test_id:
                row["correction"] = train_target
                lines[i] = json.dumps(row)
                path.write_text("\n".join(lines) + "\n")
                where = (str(path), i + 1)
    with pytest.raises(DataErrors) as exc:
        prepare.run(prepare.Params(), DATA_SEED, gen, validation, tmp_path / "out")
    [problem] = [p for p in exc.value.problems if p.line is not None]  # besides: the file is not the judged one
    assert (problem.path, problem.line, problem.field) == (*where, "correction")
    assert "test target also in train" in problem.reason
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("kind", sorted(BAD_ROWS))
def test_refuses_bad_rows(kind: str, small_generated: Path, validation: Path, tmp_path: Path):
    gen = tmp_path / "gen"
    path, line = corrupt_generated(small_generated, gen, kind, family="natural", line=9)
    with pytest.raises(DataErrors) as exc:
        prepare.run(prepare.Params(), DATA_SEED, gen, validation, tmp_path / "out")
    field = BAD_ROWS[kind][0]
    assert any(p.path == str(path) and p.line == line and p.field == field for p in exc.value.problems)
    assert not (tmp_path / "out").exists()


def test_needs_a_passing_validation(small_generated: Path, tmp_path: Path):
    missing = tmp_path / "missing.json"
    with pytest.raises(DataError) as exc:
        prepare.run(prepare.Params(), DATA_SEED, small_generated, missing, tmp_path / "out")
    err = exc.value
    assert (err.path, err.line, err.field, err.reason) == (str(missing), None, None, "file not found")
    assert not (tmp_path / "out").exists()


def test_split_assignment_is_by_group():
    split = prepare.Params().split
    assert prepare.assign("c-abc", 1, split) == prepare.assign("c-abc", 1, split)
    names = [prepare.assign(f"c-{i}", 1, split) for i in range(4000)]
    assert 0.87 < names.count("train") / 4000 < 0.93 and names.count("test") > 100


# -- issue 10 --------------------------------------------------------------------------------------------


def test_refuses_data_that_differs_from_what_validate_judged(small_generated: Path, validation: Path, tmp_path: Path):
    # Regression: prepare trusted any data/validation.json that said "pass", whatever data it had judged.
    gen = tmp_path / "gen"
    shutil.copytree(small_generated, gen)
    with (gen / "chained.jsonl").open("a") as f:
        f.write("\n")  # the same rows, other bytes: still not the judged file
    with pytest.raises(DataErrors) as exc:
        prepare.run(prepare.Params(), DATA_SEED, gen, validation, tmp_path / "out")
    assert [(p.path, p.line) for p in exc.value.problems] == [(str(gen / "chained.jsonl"), None)]
    assert not (tmp_path / "out").exists()
    old = tmp_path / "old-validation.json"  # a verdict from before validate recorded hashes
    old.write_text(json.dumps({k: v for k, v in json.loads(validation.read_text()).items() if k != "data_sha256"}))
    with pytest.raises(DataErrors) as exc:
        prepare.run(prepare.Params(), DATA_SEED, small_generated, old, tmp_path / "out")
    assert [p.field for p in exc.value.problems] == ["data_sha256"]


def test_refuses_a_leak_that_differs_only_in_surrounding_space(
    final: Path, small_generated: Path, validation: Path, tmp_path: Path
):
    # Regression: a test target equal to a train target plus a trailing space passed; the scorer strips it.
    test_id = rows(final, "test")[0]["id"]
    train_target = rows(final, "train")[0]["messages"][-1]["content"]
    gen = tmp_path / "gen"
    shutil.copytree(small_generated, gen)
    for family in contract.FAMILIES:
        path = gen / f"{family}.jsonl"
        lines = path.read_text().splitlines()
        for i, line in enumerate(lines):
            row = json.loads(line)
            if row["id"] == test_id:
                row["correction"] = train_target + " "
                lines[i] = json.dumps(row)
                path.write_text("\n".join(lines) + "\n")
                where = (str(path), i + 1)
    with pytest.raises(DataErrors) as exc:
        prepare.run(prepare.Params(), DATA_SEED, gen, validation, tmp_path / "out")
    assert any((p.path, p.line, p.field) == (*where, "correction") for p in exc.value.problems)


def test_refuses_an_output_folder_it_did_not_write(small_generated: Path, validation: Path, tmp_path: Path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "thesis.tex").write_text("mine")
    with pytest.raises(OutputError) as err:
        prepare.run(prepare.Params(), DATA_SEED, small_generated, validation, out)
    assert err.value.path == str(out) and (out / "thesis.tex").read_text() == "mine"
    with pytest.raises(OutputError):  # the generated folder itself: an input
        prepare.run(prepare.Params(), DATA_SEED, small_generated, validation, small_generated)


def test_rows_go_to_the_split_their_slot_values_come_from(final: Path, small_generated: Path):
    """Issue 14: a row's slot values come from one split's lane, and prepare puts the row in that split."""
    gen = source(small_generated)
    values = {s: set() for s in ("train", "valid", "test")}
    for split in values:
        for r in rows(final, split):
            g = gen[r["id"]]
            assert split == (g["split"] or prepare.assign(g["group"], DATA_SEED, prepare.Params().split))
            values[split].update(g["slots"].values())
    assert values["test"] and not values["test"] & values["train"] and not values["valid"] & values["train"]
    meta = json.loads((final / "meta.json").read_text())
    assert 0 < meta["placed_by_lane"]["test"] <= meta["rows"]["test"]


# -- issue 23, item 7: rows validate never passed are refused by prepare too, cleanly ---------------------


def _unvalidated(small_generated: Path, tmp_path: Path, edit) -> tuple[Path, Path, Path, int]:
    """Copy the data, apply `edit(lines)` to natural.jsonl (returns the 1-based line it broke), and forge a
    passing verdict that judged exactly these files (an older validate, or one never run on them)."""
    gen = tmp_path / "gen"
    shutil.copytree(small_generated, gen)
    path = gen / "natural.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines()
    line = edit(lines)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    forged = tmp_path / "validation.json"
    forged.write_text(json.dumps({"verdict": "pass", "stage": "validate", "data_sha256": validate.data_hashes(gen)}))
    return gen, forged, path, line


def _set(field: str, value):
    def edit(lines: list[str]) -> int:
        row = json.loads(lines[8])
        row[field] = value(row)
        lines[8] = json.dumps(row)
        return 9

    return edit


UNVALIDATED = {  # kind -> (field, edit)
    "bidi": ("command", _set("command", lambda r: r["command"] + " \u202e")),
    "zero-width": ("correction", _set("correction", lambda r: "\u200b" + r["correction"])),
    "tag-character": ("correction", _set("correction", lambda r: r["correction"] + "\U000e0041")),
    "full-width-special-token": ("command", _set("command", lambda r: "\uff1c|im_start|\uff1e" + r["command"])),
    "lone-surrogate": ("correction", _set("correction", lambda r: r["correction"] + "\ud800")),
    "lone-surrogate-in-id": ("id", _set("id", lambda r: r["id"] + "\udfff")),
}


@pytest.mark.parametrize("kind", sorted(UNVALIDATED))
def test_refuses_hidden_and_look_alike_text_it_was_not_meant_to_see(kind: str, small_generated: Path, tmp_path: Path):
    # Regression (issue 23): these reached train.jsonl and calibration.txt; a lone surrogate crashed prepare
    # with a UnicodeEncodeError traceback while writing.
    field, edit = UNVALIDATED[kind]
    gen, forged, path, line = _unvalidated(small_generated, tmp_path, edit)
    with pytest.raises(DataErrors) as exc:
        prepare.run(prepare.Params(), DATA_SEED, gen, forged, tmp_path / "out")
    assert [(p.path, p.line, p.field) for p in exc.value.problems] == [(str(path), line, field)], [
        str(p) for p in exc.value.problems
    ]
    assert "U+" in exc.value.problems[0].reason or "<|im_start|>" in exc.value.problems[0].reason
    assert not (tmp_path / "out").exists()


def test_refuses_a_json_line_too_deep_to_read(small_generated: Path, tmp_path: Path):
    # Regression (issue 23): a 100,000-deep line crashed with a RecursionError.
    def deep(lines: list[str]) -> int:
        lines[8] = "[" * 100_000
        return 9

    gen, forged, path, line = _unvalidated(small_generated, tmp_path, deep)
    with pytest.raises(DataErrors) as exc:
        prepare.run(prepare.Params(), DATA_SEED, gen, forged, tmp_path / "out")
    assert [(p.path, p.line, p.field) for p in exc.value.problems] == [(str(path), line, None)]
    assert not (tmp_path / "out").exists()


def test_refuses_a_validation_file_too_deep_to_read(small_generated: Path, tmp_path: Path):
    deep = tmp_path / "validation.json"
    deep.write_text("[" * 100_000)
    with pytest.raises(DataError) as exc:
        prepare.run(prepare.Params(), DATA_SEED, small_generated, deep, tmp_path / "out")
    assert exc.value.path == str(deep) and "nested too deeply" in exc.value.reason
    assert not (tmp_path / "out").exists()
