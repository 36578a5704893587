"""validate: passes the generated data, refuses every bad-input class naming file:line: field."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import BAD_ROWS, DATA_ROWS, corrupt_generated

from cmd_correct import cli, contract, generate, validate
from cmd_correct.errors import DataErrors

TARGETS = (generate.Params().shell_weights, generate.Params().family_weights)


def run(gen: Path, out: Path, **overrides) -> validate.Result:
    return validate.run(validate.Params(**overrides), *TARGETS, gen, out)


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
    with pytest.raises(DataErrors, match=r"tcsh share 0\.0000 is not within 0\.01"):
        run(gen, tmp_path / "v.json")
    with pytest.raises(DataErrors, match="natural share .* < 0.5"):
        run(small_generated, tmp_path / "v.json", family_min={"natural": 0.5})


def test_trivial_edit_limit(small_generated: Path, tmp_path: Path):
    with pytest.raises(DataErrors, match="one-character-edit share"):
        run(small_generated, tmp_path / "v.json", max_trivial_share=0.0)


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
    with pytest.raises(DataErrors, match="near-duplicate share"):
        run(gen, tmp_path / "v.json", tolerance=0.05)


def test_missing_file(small_generated: Path, tmp_path: Path):
    gen = tmp_path / "gen"
    shutil.copytree(small_generated, gen)
    (gen / "tools.jsonl").unlink()
    with pytest.raises(DataErrors, match="tools.jsonl: file not found"):
        run(gen, tmp_path / "v.json")


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
    assert first["template"] != other["template"]
    other["correction"] = first["correction"]
    lines[40] = json.dumps(other)
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataErrors) as exc:
        run(gen, tmp_path / "v.json")
    [problem] = [p for p in exc.value.problems if p.field == "template"]
    assert (problem.path, problem.line) == (str(path), 41) and f"{path}:1" in problem.reason
