"""generate for wit: each row's tool results from a simulated machine, as wit's tools would print them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import DATA_ROWS, DATA_SEED

from cmd_correct import contract, generate, validate
from cmd_correct.generate import machine

TARGETS = (generate.Params().shell_weights, generate.Params().family_weights)


def _row(shell: str, command: str, correction: str, **kw) -> dict:
    return {"id": f"{shell}-{command}", "shell": shell, "command": command, "correction": correction, **kw}


@pytest.fixture(scope="module")
def wit_generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wit") / "generated"
    generate.run(generate.Params(rows=DATA_ROWS), DATA_SEED, out, consumer="wit")
    return out


def _rows(folder: Path) -> list[dict]:
    return [json.loads(line) for f in contract.FAMILIES for line in (folder / f"{f}.jsonl").open()]


def test_wit_rows_are_fix_rows_plus_tool_results(wit_generated: Path, small_generated: Path):
    wit, fix = _rows(wit_generated), _rows(small_generated)
    assert [{k: v for k, v in r.items() if k != "tool_results"} for r in wit] == fix
    assert all("tool_results" not in r for r in fix) and all(isinstance(r["tool_results"], list) for r in wit)
    meta = json.loads((wit_generated / "meta.json").read_text())["params"]
    assert meta["consumer"] == "wit" and meta["machine"] == {
        "intended_missing": 0.08, "optional_installed": 0.5, "lookalike_share": 0.3, "macos_share": 0.3,
        "pwsh_linux_share": 0.2,
    }  # fmt: skip
    assert "consumer" not in json.loads((small_generated / "meta.json").read_text())["params"]


def test_wit_rows_pass_validate_and_cover_the_honest_cases(wit_generated: Path, tmp_path: Path):
    validate.run(validate.Params(), *TARGETS, wit_generated, tmp_path / "validation.json")
    rows = _rows(wit_generated)
    assert any(not r["tool_results"] for r in rows)  # the tools said nothing
    assert any(r["tool_results"] and all(t["tool"] != "which_binary" or t["arg"] != r["command"].split()[0]
               for t in r["tool_results"]) for r in rows)  # fmt: skip
    assert any(t["tool"] == "help_output" for r in rows for t in r["tool_results"])
    for r in rows:  # every result is what wit would keep, in its order
        assert contract.result_problems(r.get("prompt_shell") or r["shell"], r["command"], r["tool_results"]) == []


def test_the_same_seed_gives_the_same_results(wit_generated: Path, tmp_path: Path):
    again = tmp_path / "generated"
    generate.run(generate.Params(rows=DATA_ROWS), DATA_SEED, again, consumer="wit")
    for f in contract.FAMILIES:
        assert (again / f"{f}.jsonl").read_bytes() == (wit_generated / f"{f}.jsonl").read_bytes()


def test_a_typo_lists_nothing_and_is_not_installed():
    row = _row("bash", "gti status", "git status")
    results = machine.tool_results(machine.Params(intended_missing=0, lookalike_share=0), 1, row)
    assert [(t["tool"], t["arg"]) for t in results] == [("which_binary", "git"), ("help_output", "git")]
    assert results[0]["output"] == "/usr/bin/git" or results[0]["output"].endswith("/bin/git")
    assert results[1]["output"].startswith("usage: git [-v | --version]")


def test_the_intended_program_can_be_missing():
    row = _row("bash", "dokcer ps", "docker ps")
    results = machine.tool_results(machine.Params(intended_missing=1, optional_installed=0), 1, row)
    assert results == []  # docker absent: no path, no help, and the typo lists nothing


def test_a_lookalike_is_installed_and_is_not_the_fix():
    row = _row("bash", "sl", "ls")
    results = machine.tool_results(machine.Params(lookalike_share=1, macos_share=0), 3, row)
    assert {"tool": "which_binary", "arg": "sl", "output": "/usr/games/sl"} in results


def test_list_similar_is_by_prefix_sorted_and_capped():
    m = machine.Machine("linux", "bash", {n: f"/usr/bin/{n}" for n in ["mkdir", "mktemp", "mkfifo", "ls", "lsof"]})
    assert m.list_similar("mk") == "mkdir\nmkfifo\nmktemp"
    assert m.list_similar("mkdri") is None
    many = machine.Machine("linux", "bash", {f"a{i:02}": "/x" for i in range(30)})
    assert len(many.list_similar("a").splitlines()) == machine.LIST_MAX


def test_windows_and_powershell_answer_as_they_do():
    params = machine.Params(pwsh_linux_share=0, intended_missing=0)
    row = _row("powershell", "Get-ChildItem -Recurse", "Get-ChildItem -Recurse", category="identity")
    results = {(t["tool"], t["arg"]): t["output"] for t in machine.tool_results(params, 1, row)}
    assert results[("which_binary", "Get-ChildItem")] == "Microsoft.PowerShell.Management"  # Get-Command's Source
    assert results[("help_output", "Get-ChildItem")].startswith("NAME\n    Get-ChildItem\n\nSYNOPSIS")
    typo = _row("powershell", "Get-ChildItme", "Get-ChildItem")
    assert not any(t["tool"] == "help_output" for t in machine.tool_results(params, 1, typo))  # Get-Help fails
    stub = machine.draw(machine.Params(optional_installed=0), 1, _row("cmd", "pyhton app.py", "python app.py"))
    assert stub.which_binary("python").endswith(r"\WindowsApps\python.exe") or "Python312" in stub.which_binary(
        "python"
    )


def test_near_miss_help_heads_are_the_tools_own():
    for tool in contract.NEAR_MISS_TOOLS:
        m = machine.Machine("linux", "bash", {tool: f"/usr/bin/{tool}"})
        head = m.help_output(tool)
        assert head and tool in head.lower()[:120], tool
