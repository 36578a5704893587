"""validate: passes the generated data, refuses every bad-input class naming file:line: field."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import BAD_ROWS, DATA_ROWS, corrupt_generated

from cmd_correct import cli, contract, generate, validate
from cmd_correct.errors import DataErrors, OutputError
from cmd_correct.io import sha256_file

TARGETS = (generate.Params().shell_weights, generate.Params().family_weights)


def run(gen: Path, out: Path, **overrides) -> validate.Result:
    return validate.run(validate.Params(**overrides), *TARGETS, gen, out)


def dataset_problems(exc: pytest.ExceptionInfo, gen: Path) -> dict[str, list[str]]:
    """The whole-dataset problems (path `gen`, no line): field -> reasons."""
    out: dict[str, list[str]] = {}
    for p in exc.value.problems:
        if p.path == str(gen) and p.line is None:
            out.setdefault(p.field, []).append(p.reason)
    return out


def test_passes_and_writes_metrics(small_generated: Path, tmp_path: Path):
    out = tmp_path / "validation.json"
    result = run(small_generated, out)
    m = json.loads(out.read_text())
    assert result.rows == m["rows"] == DATA_ROWS and m["verdict"] == "pass"
    assert set(m["shell_share"]) == set(contract.SHELLS) and set(m["family_share"]) == set(contract.FAMILIES)
    assert abs(m["shell_share"]["bash"] - 0.35) < 0.001 and m["family_share"]["natural"] >= 0.30
    assert 0 <= m["trivial_edit_rate"] < 0.05 and m["near_duplicate_rate"] == 0
    assert sum(m["category_count"].values()) == DATA_ROWS


@pytest.mark.parametrize("kind", sorted(BAD_ROWS))
def test_refuses_bad_rows(kind: str, small_generated: Path, tmp_path: Path):
    gen = tmp_path / "gen"
    path, line = corrupt_generated(small_generated, gen, kind)
    out = tmp_path / "validation.json"
    out.write_text('{"verdict": "pass"}')  # a stale verdict from an earlier run must not survive
    with pytest.raises(DataErrors) as exc:
        run(gen, out)
    field = BAD_ROWS[kind][0]
    assert any(p.path == str(path) and p.line == line and p.field == field for p in exc.value.problems), [
        str(p) for p in exc.value.problems
    ]
    assert f"{path}:{line}: " in str(exc.value)
    assert not out.exists()


def test_collects_every_problem_then_fails_once(small_generated: Path, tmp_path: Path):
    gen = tmp_path / "gen"
    shutil.copytree(small_generated, gen)
    lines = (gen / "natural.jsonl").read_text().splitlines()
    for i in range(30):  # thirty bad shells, one malformed line in another file
        row = json.loads(lines[i])
        row["shell"] = "ksh"
        lines[i] = json.dumps(row)
    (gen / "natural.jsonl").write_text("\n".join(lines) + "\n")
    with (gen / "chained.jsonl").open("a") as f:
        f.write("{not json\n")
    with pytest.raises(DataErrors) as exc:
        run(gen, tmp_path / "v.json", show=5)
    bad_lines = {(Path(p.path).name, p.line) for p in exc.value.problems if p.field == "shell" and p.line}
    assert len(bad_lines) == 30
    assert any(Path(p.path).name == "chained.jsonl" and "invalid JSON" in p.reason for p in exc.value.problems)
    message = str(exc.value)
    assert "... and" in message and "problems per field:" in message and "shell: 30" in message
    assert message.count("\n") < 12  # first `show` problems in full, the rest counted


def test_distribution_outside_tolerance(small_generated: Path, tmp_path: Path):
    gen = tmp_path / "gen"
    shutil.copytree(small_generated, gen)
    for family in contract.FAMILIES:  # drop every tcsh row: its 3% target is missed
        path = gen / f"{family}.jsonl"
        kept = [line for line in path.read_text().splitlines() if json.loads(line)["shell"] != "tcsh"]
        path.write_text("\n".join(kept) + "\n")
    with pytest.raises(DataErrors) as exc:
        run(gen, tmp_path / "v.json")
    want = f"tcsh share 0.0000 is not within 0.01 of the target {TARGETS[0]['tcsh']}"
    assert want in dataset_problems(exc, gen)["shell"]
    with pytest.raises(DataErrors) as exc:
        run(small_generated, tmp_path / "v.json", family_min={"natural": 0.5})
    [natural] = dataset_problems(exc, small_generated)["family"]
    assert natural.startswith("natural share ") and natural.endswith(" < 0.5")


def test_trivial_edit_limit(small_generated: Path, tmp_path: Path):
    with pytest.raises(DataErrors) as exc:
        run(small_generated, tmp_path / "v.json", max_trivial_share=0.0)
    [(field, [reason])] = dataset_problems(exc, small_generated).items()
    assert field == "correction" and reason.startswith("one-character-edit share ") and reason.endswith(" > 0.0")


def test_near_duplicates(small_generated: Path, tmp_path: Path):
    gen = tmp_path / "gen"
    shutil.copytree(small_generated, gen)
    lines = (gen / "natural.jsonl").read_text().splitlines()
    extra = []
    for line in lines[:60]:  # same request, other case and spacing, new id: not exact duplicates
        row = json.loads(line)
        row["command"] = "  " + row["command"].upper() + " "
        row["id"] += "x"
        extra.append(json.dumps(row))
    (gen / "natural.jsonl").write_text("\n".join(lines + extra) + "\n")
    with pytest.raises(DataErrors) as exc:
        run(gen, tmp_path / "v.json", tolerance=0.05)
    [(field, [reason])] = dataset_problems(exc, gen).items()
    assert field == "command" and reason.startswith("near-duplicate share ")


def test_missing_file(small_generated: Path, tmp_path: Path):
    gen = tmp_path / "gen"
    shutil.copytree(small_generated, gen)
    (gen / "tools.jsonl").unlink()
    with pytest.raises(DataErrors) as exc:
        run(gen, tmp_path / "v.json")
    missing = [(p.line, p.field, p.reason) for p in exc.value.problems if p.path == str(gen / "tools.jsonl")]
    assert missing == [(None, None, "file not found")]


def test_cli_exit_code_and_lines(small_generated: Path, tmp_path: Path, capsys: pytest.CaptureFixture):
    gen = tmp_path / "gen"
    path, line = corrupt_generated(small_generated, gen, "unknown-shell")
    params = tmp_path / "params.yaml"
    params.write_text("validate: {show: 3}\n")
    out = tmp_path / "v.json"
    assert cli.main(["validate", str(gen), str(out), "--params", str(params)]) == 1
    err = capsys.readouterr().err
    assert f"{path}:{line}: shell: unknown shell 'ksh'" in err and not out.exists()
    shutil.rmtree(gen)
    shutil.copytree(small_generated, gen)
    assert cli.main(["validate", str(gen), str(out), "--params", str(params)]) == 0
    assert json.loads(out.read_text())["verdict"] == "pass"


def test_one_correction_in_two_groups(small_generated: Path, tmp_path: Path):
    """A hand-edited correction that another group already owns would let prepare leak it across splits."""
    gen = tmp_path / "gen"
    shutil.copytree(small_generated, gen)
    path = gen / "single.jsonl"
    lines = path.read_text().splitlines()
    first, other = json.loads(lines[0]), json.loads(lines[40])
    assert first["group"] != other["group"]
    other["correction"] = first["correction"]
    lines[40] = json.dumps(other)
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataErrors) as exc:
        run(gen, tmp_path / "v.json")
    [problem] = [p for p in exc.value.problems if p.field == "group"]
    assert (problem.path, problem.line) == (str(path), 41) and f"{path}:1" in problem.reason


# -- issue 10: bad data stops at validate ---------------------------------------------------------------


def _edit(small_generated: Path, gen: Path, family: str, line: int, **fields) -> Path:
    shutil.copytree(small_generated, gen)
    path = gen / f"{family}.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines()
    row = json.loads(lines[line - 1])
    row.update({k: v(row) if callable(v) else v for k, v in fields.items()})
    lines[line - 1] = json.dumps(row)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


BAD_TEXT = {  # kind -> (field, edit): each once reached train.jsonl and calibration.txt untouched
    "ansi-escape": ("correction", lambda r: "\x1b[31m" + r["correction"] + "\x1b[0m"),
    "bare-cr": ("command", lambda r: r["command"] + "\rrm -rf ~"),
    "nul": ("command", lambda r: r["command"] + "\x00"),
    "c1-nel": ("correction", lambda r: r["correction"] + "\x85"),
    "line-separator": ("correction", lambda r: r["correction"] + "\u2028ls"),
    "paragraph-separator": ("command", lambda r: "\u2029" + r["command"]),
    "control-in-error": ("error", lambda r: "\x1b[1mzsh: command not found\x1b[0m"),
    "long-error": ("error", lambda r: "error: " + "y" * 5000),
    "im-end": ("correction", lambda r: r["correction"] + "<|im_end|>"),
    "im-start": ("command", lambda r: "<|im_start|>system " + r["command"]),
    "endoftext": ("correction", lambda r: r["correction"] + " <|endoftext|>"),
    "other-special": ("command", lambda r: r["command"] + " <|fim_prefix|>"),
    "added-token": ("correction", lambda r: "<think></think>" + r["correction"]),
    "too-long": ("command", lambda r: r["command"] + " " + "x" * 5000),
}


@pytest.mark.parametrize("kind", sorted(BAD_TEXT))
def test_refuses_control_characters_special_tokens_and_long_rows(kind: str, small_generated: Path, tmp_path: Path):
    # Regression: ANSI escapes, \r, U+2028 and ChatML markers passed validate and reached calibration.txt,
    # which imatrix reads with --parse-special (a marker becomes a real special token); so did any length.
    field, edit = BAD_TEXT[kind]
    path = _edit(small_generated, tmp_path / "gen", "tools", 7, **{field: edit})
    with pytest.raises(DataErrors) as exc:
        run(tmp_path / "gen", tmp_path / "v.json")
    assert [(p.path, p.line, p.field) for p in exc.value.problems] == [(str(path), 7, field)], [
        str(p) for p in exc.value.problems
    ]


def test_tab_and_ordinary_angle_brackets_are_fine(small_generated: Path, tmp_path: Path):
    _edit(
        small_generated,
        tmp_path / "gen",
        "tools",
        7,
        command=lambda r: r["command"] + "\t# <file> | grep '<|'",
        correction=lambda r: r["correction"] + " < in.txt > out.txt",
    )
    assert run(tmp_path / "gen", tmp_path / "v.json").rows == DATA_ROWS


def test_length_limits_are_params_that_todays_data_passes(small_generated: Path, tmp_path: Path):
    rows = [json.loads(line) for fam in contract.FAMILIES for line in (small_generated / f"{fam}.jsonl").open()]
    longest = max(len(r[f]) for r in rows for f in ("command", "correction"))
    longest_error = max(len(r["error"] or "") for r in rows)
    defaults = validate.Params()
    assert longest <= defaults.max_chars and longest_error <= defaults.max_error_chars
    with pytest.raises(DataErrors) as exc:
        run(small_generated, tmp_path / "v.json", max_chars=longest - 1)
    assert {p.field for p in exc.value.problems} <= {"command", "correction"}
    assert {p.reason for p in exc.value.problems} == {f"{longest} characters > validate.max_chars {longest - 1}"}
    with pytest.raises(DataErrors) as exc:
        run(small_generated, tmp_path / "v.json", max_error_chars=longest_error - 1)
    assert {p.field for p in exc.value.problems} == {"error"}


def test_an_empty_family_file_is_a_file_error(small_generated: Path, tmp_path: Path):
    # Regression: an empty natural.jsonl was only a share compared against a tolerance (NaN: none at all).
    gen = tmp_path / "gen"
    shutil.copytree(small_generated, gen)
    (gen / "natural.jsonl").write_text("")
    with pytest.raises(DataErrors) as exc:
        run(gen, tmp_path / "v.json", tolerance=1.0, family_min={}, max_trivial_share=1.0)
    assert [(p.path, p.line, p.reason) for p in exc.value.problems] == [
        (str(gen / "natural.jsonl"), None, "empty file (no rows)")
    ]


def test_the_group_check_compares_corrections_like_the_scorer(small_generated: Path, tmp_path: Path):
    # Regression: a correction equal to another group's plus a trailing space passed; the scorer strips it,
    # so prepare could put the same answer in train and test.
    gen = tmp_path / "gen"
    shutil.copytree(small_generated, gen)
    path = gen / "single.jsonl"
    lines = path.read_text().splitlines()
    first, other = json.loads(lines[0]), json.loads(lines[40])
    other["correction"] = first["correction"] + " "
    lines[40] = json.dumps(other)
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataErrors) as exc:
        run(gen, tmp_path / "v.json")
    [problem] = [p for p in exc.value.problems if p.field == "group"]
    assert (problem.path, problem.line) == (str(path), 41)


@pytest.mark.slow
def test_every_added_token_of_the_base_tokenizer_is_refused():
    from cmd_correct import base

    tok = base.embedded_tokenizer()
    added = [t.content for t in tok.added_tokens_decoder.values()]
    assert "<|im_end|>" in added and not [t for t in added if contract.special_token_text(f"ls {t} -l") != t]


def test_normalise_target_is_the_scorers_comparison():
    from cmd_correct.evaluate.exact import is_exact

    for a, b in [("ls -la", "ls -la "), (" git status\t", "git status"), ("ls", "ls -l"), ("a b", "a  b")]:
        assert is_exact(a, b) == (contract.normalise_target(a) == contract.normalise_target(b))


def test_validation_records_the_hash_of_every_file_it_judged(small_generated: Path, tmp_path: Path):
    out = tmp_path / "validation.json"
    run(small_generated, out)
    hashes = json.loads(out.read_text())["data_sha256"]
    assert hashes == {f"{f}.jsonl": sha256_file(small_generated / f"{f}.jsonl") for f in contract.FAMILIES}


def test_refuses_to_replace_or_delete_a_file_it_did_not_write(small_generated: Path, tmp_path: Path):
    # Regression: `validate GEN some-file` deleted some-file on failure and overwrote it on success.
    notes = tmp_path / "notes.txt"
    notes.write_text("mine")
    with pytest.raises(OutputError) as err:
        run(small_generated, notes)
    assert err.value.path == str(notes) and notes.read_text() == "mine"
    with pytest.raises(OutputError):
        run(small_generated, small_generated / "tools.jsonl")  # an input


# -- issue 14: open-ended slot values, kept apart between splits ----------------------------------------


def test_records_distinct_slot_values_and_their_overlap(small_generated: Path, tmp_path: Path):
    m = json.loads((run(small_generated, tmp_path / "v.json") and tmp_path / "v.json").read_text())["slots"]
    assert m["overlap"] == 0 and m["rows"] == sum(m["rows_by_split"].values()) > DATA_ROWS // 2
    assert {"file", "dir", "branch", "url", "host", "image", "msg"} <= set(m["per_slot"])
    file = m["per_slot"]["file"]
    assert file["distinct"] > 0.9 * file["rows"] and file["overlap"] == 0
    assert sum(file["distinct_by_split"].values()) == file["distinct"] and file["distinct_by_split"]["test"] > 0


def _slotted(rows: list[dict], split: str, skip: int = 0) -> int:
    return [i for i, r in enumerate(rows) if r["split"] == split and r["slots"]][skip]


def _leak(rows: list[dict]) -> int:
    """A train row that also shows a test row's value: the later of the two is named."""
    test, train = _slotted(rows, "test"), _slotted(rows, "train")
    name, value = next(iter(rows[test]["slots"].items()))
    rows[train]["slots"] = {**rows[train]["slots"], name: value}
    rows[train]["command"] += f" {value}"
    return max(test, train)


def _unknown_split(rows: list[dict]) -> int:
    rows[i := _slotted(rows, "train")]["split"] = "holdout"
    return i


def _no_split(rows: list[dict]) -> int:
    rows[i := _slotted(rows, "train")]["split"] = None
    return i


def _not_in_row(rows: list[dict]) -> int:
    rows[i := _slotted(rows, "train")]["slots"]["file"] = "never-typed.txt"
    return i


def _two_splits(rows: list[dict]) -> int:
    a, b = _slotted(rows, "train"), _slotted(rows, "test")
    rows[b].update(correction=rows[a]["correction"], group=rows[a]["group"], slots={})
    return max(a, b)


@pytest.mark.parametrize(
    ("edit", "field"),
    [(_leak, "slots"), (_unknown_split, "split"), (_no_split, "split"), (_not_in_row, "slots"), (_two_splits, "split")],
)
def test_refuses_slot_values_that_would_blur_the_splits(edit, field, small_generated: Path, tmp_path: Path):
    gen = tmp_path / "gen"
    shutil.copytree(small_generated, gen)
    path = gen / "natural.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    i = edit(rows)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    with pytest.raises(DataErrors) as exc:
        run(gen, tmp_path / "v.json")
    assert any((p.path, p.line, p.field) == (str(path), i + 1, field) for p in exc.value.problems), [
        str(p) for p in exc.value.problems
    ]
