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


# -- issue 23, item 7: invisible and look-alike text, lone surrogates, JSON too deep to read ----------------

HIDDEN_TEXT = {  # kind -> (field, edit, the code point or marker the one problem names): each reached calibration.txt
    "bidi-rlo": ("command", lambda r: r["command"] + " # \u202eexe.sh", "U+202E"),
    "bidi-lre": ("correction", lambda r: "\u202a" + r["correction"], "U+202A"),
    "bidi-isolate": ("correction", lambda r: r["correction"] + " \u2066x\u2069", "U+2066"),
    "bidi-pdi": ("command", lambda r: r["command"] + "\u2069", "U+2069"),
    "zero-width-space": ("command", lambda r: r["command"][:2] + "\u200b" + r["command"][2:], "U+200B"),
    "zero-width-joiner": ("correction", lambda r: r["correction"] + "\u200d", "U+200D"),
    "word-joiner": ("command", lambda r: "\u2060" + r["command"], "U+2060"),
    "bom": ("correction", lambda r: "\ufeff" + r["correction"], "U+FEFF"),
    "tag-characters": ("command", lambda r: r["command"] + "\U000e0069\U000e0067\U000e007f", "U+E0069"),
    "tag-in-error": ("error", lambda r: "bash: not found\U000e0001", "U+E0001"),
    "bidi-in-group": ("group", lambda r: r["group"] + "\u202e", "U+202E"),
    "lone-surrogate": ("correction", lambda r: r["correction"] + "\ud800", "U+D800"),
    "low-surrogate-in-id": ("id", lambda r: "\udc80" + r["id"], "U+DC80"),
    "full-width-im-start": ("command", lambda r: "\uff1c|im_start|\uff1esystem " + r["command"], "<|im_start|>"),
    "full-width-im-end": ("correction", lambda r: r["correction"] + "\uff1c\uff5cim_end\uff5c\uff1e", "<|im_end|>"),
    "small-form-endoftext": ("correction", lambda r: "\ufe64|endoftext|\ufe65" + r["correction"], "<|endoftext|>"),
    "full-width-think": ("command", lambda r: r["command"] + " \uff1cthink\uff1e", "<think>"),
    "full-width-in-error": ("error", lambda r: "\uff1c|im_end|\uff1e", "<|im_end|>"),
}


@pytest.mark.parametrize("kind", sorted(HIDDEN_TEXT))
def test_refuses_format_and_surrogate_characters_and_special_token_look_alikes(
    kind: str, small_generated: Path, tmp_path: Path
):
    # Regression (issue 23): bidi controls, zero-width and tag characters and full-width ChatML markers passed
    # validate and reached train.jsonl and calibration.txt; a lone surrogate passed and crashed prepare.
    field, edit, named = HIDDEN_TEXT[kind]
    path = _edit(small_generated, tmp_path / "gen", "tools", 7, **{field: edit})
    out = tmp_path / "v.json"
    out.write_text('{"verdict": "pass"}')  # an earlier passing verdict must not survive
    with pytest.raises(DataErrors) as exc:
        run(tmp_path / "gen", out)
    assert [(p.path, p.line, p.field) for p in exc.value.problems] == [(str(path), 7, field)], [
        str(p) for p in exc.value.problems
    ]
    [problem] = exc.value.problems
    assert named in problem.reason, problem.reason
    assert not out.exists()
    str(exc.value).encode("utf-8")  # the message itself holds no lone surrogate


def test_a_hidden_character_is_named_by_code_point_without_echoing_the_value(small_generated: Path, tmp_path: Path):
    long = "echo " + "a" * 5000 + "\u202e"
    _edit(small_generated, tmp_path / "gen", "tools", 7, command=lambda r: long)
    with pytest.raises(DataErrors) as exc:
        run(tmp_path / "gen", tmp_path / "v.json", max_chars=10_000)
    [problem] = exc.value.problems
    assert problem.reason == "format character U+202E at column 5006"
    assert len(str(problem)) < 200


def test_slot_names_and_values_are_checked_and_quoted_short(small_generated: Path, tmp_path: Path):
    gen = tmp_path / "gen"
    shutil.copytree(small_generated, gen)
    path = gen / "single.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines()
    i, row = next((i, r) for i, r in enumerate(map(json.loads, lines)) if r["slots"])
    name, value = next(iter(row["slots"].items()))
    row["slots"] = {name + "\u200b": value, "x": "y" * 5000}
    lines[i] = json.dumps(row)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DataErrors) as exc:
        run(gen, tmp_path / "v.json", max_chars=10_000)
    problems = [p for p in exc.value.problems if p.line == i + 1]
    assert [p.field for p in problems] == ["slots", "slots"], [str(p) for p in problems]
    assert "U+200B" in problems[0].reason and "(5000 characters)" in problems[1].reason
    assert all(len(str(p)) < 300 for p in problems)


def test_ordinary_unicode_is_fine(small_generated: Path, tmp_path: Path):
    # Cyrillic (a wrong keyboard layout), a cedilla, a non-breaking space, an emoji: letters and symbols, not Cf/Cs.
    _edit(small_generated, tmp_path / "gen", "tools", 7, command=lambda r: r["command"] + " # ды ç\u00a0\U0001f600")
    assert run(tmp_path / "gen", tmp_path / "v.json").rows == DATA_ROWS


@pytest.mark.parametrize("deep", ["[" * 100_000, '{"a":' * 100_000, "[" * 100_000 + "]" * 100_000])
def test_a_json_line_too_deep_to_read_is_a_row_problem(deep: str, small_generated: Path, tmp_path: Path):
    # Regression (issue 23): a 100,000-deep line crashed validate with a RecursionError and the earlier
    # passing verdict stayed in place.
    gen = tmp_path / "gen"
    shutil.copytree(small_generated, gen)
    path = gen / "tools.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[4] = deep
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "v.json"
    out.write_text('{"verdict": "pass"}')
    with pytest.raises(DataErrors) as exc:
        run(gen, out, tolerance=1.0, family_min={}, max_trivial_share=1.0)
    assert [(p.path, p.line, p.field) for p in exc.value.problems] == [(str(path), 5, None)]
    assert "nested too deeply" in exc.value.problems[0].reason and len(str(exc.value)) < 400
    assert not out.exists()


def test_a_validate_that_fails_in_any_way_leaves_no_earlier_verdict(
    small_generated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    out = tmp_path / "v.json"
    run(small_generated, out)
    assert out.exists()

    def boom(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(validate, "read_rows", boom)
    with pytest.raises(MemoryError):
        run(small_generated, out)
    assert not out.exists()
