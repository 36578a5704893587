"""generate/mistakes: the field's mistake classes: rows in every shell a class claims, the real messages,
the catalogue page, and a default-shaped run that validate passes."""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path

import pytest

from cmd_correct import contract, generate, params, validate
from cmd_correct.errors import ParamsError
from cmd_correct.generate import mistakes
from cmd_correct.generate import shellerrors as err
from cmd_correct.generate.templates import Builder

FAMILY = {**{c: "single" for c in mistakes.SINGLE}, **{c: "tools" for c in mistakes.TOOLS}}


def draw(shell: str, category: str, n: int = 400, seed: int = 0) -> list[dict]:
    """`n` draws of one category in one shell, straight from its builder (None draws dropped)."""
    builder, rng = Builder(shell, generate.Params()), random.Random(f"{seed}:{shell}:{category}")
    build = {**mistakes.SINGLE, **mistakes.TOOLS}[category]
    return [r for r in (build(builder, rng) for _ in range(n)) if r is not None]


@pytest.mark.parametrize("category", sorted(FAMILY))
def test_each_class_builds_rows_in_every_shell_it_claims_and_none_elsewhere(category: str):
    claimed = mistakes.WHERE.get(category, contract.SHELLS)
    for shell in contract.SHELLS:
        rows = draw(shell, category)
        if shell not in claimed:
            assert rows == [], (shell, category)
            continue
        assert len({r["command"] for r in rows}) >= 5, (shell, category)
        for r in rows:
            assert (r["shell"], r["family"], r["category"]) == (shell, FAMILY[category], category)
            assert r["command"] and r["correction"] and r["command"] != r["correction"]
            assert "\n" not in r["command"] + r["correction"]
            assert r["error"] is None or r["error"].strip()


# (shell, category, command) -> (correction, error): inputs built from the builders' own fixed lists.
NOT_FOUND_CMD = "is not recognized as an internal or external command,\noperable program or batch file."
REAL = {
    ("bash", "script-path", "deploy.sh"): ("./deploy.sh", "bash: deploy.sh: command not found"),
    ("cmd", "script-path", "./build.bat"): ("build.bat", f"'.' {NOT_FOUND_CMD}"),
    ("zsh", "cd-glued", "cd.."): ("cd ..", "zsh: command not found: cd.."),
    ("tcsh", "cd-glued", "cd.."): ("cd ..", "cd..: Command not found."),
    ("fish", "cd-glued", "cd-"): ("cd -", "fish: Unknown command: cd-"),
    ("bash", "file-extension", "java Main.class"): (
        "java Main",
        "Error: Could not find or load main class Main.class\nCaused by: java.lang.ClassNotFoundException: Main.class",
    ),
    ("cmd", "file-extension", "javac App"): (
        "javac App.java",
        "error: Class names, 'App', are only accepted if annotation processing is explicitly requested\n1 error",
    ),
    ("zsh", "file-extension", "go run main"): ("go run main.go", "package main is not in std (/usr/local/go/src/main)"),
    ("bash", "python-version", "pip list"): ("pip3 list", "bash: pip: command not found"),
    ("cmd", "python-version", "python3 app.py"): (
        "py app.py",
        "Python was not found; run without arguments to install from the Microsoft Store, or disable this "
        "shortcut from Settings > Manage App Execution Aliases.",
    ),
    ("fish", "arg-order", "chmod run.sh +x"): (
        "chmod +x run.sh",
        "chmod: invalid mode: 'run.sh'\nTry 'chmod --help' for more information.",
    ),
    ("bash", "other-verb", "apt-get list --installed"): ("apt list --installed", "E: Invalid operation list"),
    ("zsh", "other-verb", "npm build"): ("npm run build", 'Unknown command: "build"'),
    ("powershell", "other-verb", "git remote delete origin"): (
        "git remote remove origin",
        "error: unknown subcommand: `delete'",
    ),
    ("tcsh", "glued-subcommand", "mandiff"): ("man diff", "mandiff: Command not found."),
}


@pytest.mark.parametrize(("shell", "category", "command"), sorted(REAL))
def test_rows_carry_the_real_message(shell: str, category: str, command: str):
    rows = {r["command"]: r for r in draw(shell, category, n=3000)}
    assert command in rows, f"no {command!r} in {sorted(rows)[:10]}"
    assert (rows[command]["correction"], rows[command]["error"]) == REAL[(shell, category, command)]


def test_messages_follow_the_argument_and_the_shell():
    """Every directory-arg, mkdir-parents, prompt-prefix and sed row says the shell's or tool's own words."""
    for r in draw("bash", "directory-arg", 600) + draw("zsh", "directory-arg", 600):
        words = r["command"].split()
        if words[0] == "rm":
            assert r["error"] == f"rm: cannot remove '{words[-1]}': Is a directory"
        elif words[0] == "cp":
            assert r["error"] == f"cp: -r not specified; omitting directory '{words[1]}'"
        elif words[0] == "cat":
            assert (r["error"], r["correction"]) == (f"cat: {words[1]}: Is a directory", f"ls {words[1]}")
    for r in draw("cmd", "directory-arg", 300):
        if r["command"].startswith(("rmdir ", "rd ")):
            assert r["error"] == "The directory is not empty." and " /s /q " in r["correction"]
    for r in draw("powershell", "directory-arg", 300):
        if r["command"].startswith("Remove-Item"):
            assert "-Recurse" in r["correction"] and "the Recurse parameter was not specified" in r["error"]
    for r in draw("fish", "mkdir-parents"):
        assert r["correction"].startswith("mkdir -p")
        assert r["error"] == f"mkdir: cannot create directory '{r['command'].split()[-1]}': No such file or directory"
    dollar = {
        "bash": "bash: $: command not found",
        "zsh": "zsh: command not found: $",
        "fish": "fish: Expected a variable name after this $.",
        "tcsh": "Illegal variable name.",
        "cmd": f"'$' {NOT_FOUND_CMD}",
    }
    for shell, message in dollar.items():
        rows = [r for r in draw(shell, "prompt-prefix") if r["command"].startswith("$ ")]
        assert rows and all(r["error"] == message for r in rows), shell
    ps = draw("powershell", "prompt-prefix")
    assert all(r["command"].startswith("PS C:\\> ") and 'name "C:\\"' in r["error"] for r in ps)
    for r in draw("bash", "sed-unterminated"):
        expr = r["command"].split("'")[1]
        assert r["correction"] == r["command"].replace(f"'{expr}'", f"'{expr}/'")
        assert r["error"] == f"sed: -e expression #1, char {len(expr)}: unterminated `s' command"
    for r in draw("powershell", "script-path"):
        assert r["correction"] == ".\\" + r["command"]
        assert r["error"] == err.not_found("powershell", r["command"]) + err.PS_SCRIPT_HERE.format(name=r["command"])
    sudo = [r for r in draw("bash", "glued-subcommand", 2000) if r["command"].startswith("sudo ")]
    assert sudo and all(r["error"] == f"sudo: {r['command'].split()[1]}: command not found" for r in sudo)
    layout = [r for r in draw("bash", "keyboard-layout") if r["edit"] == "wrong-layout"]
    assert layout and all(r["command"] == r["correction"].translate(mistakes.RU_LAYOUT) for r in layout)
    assert all(r["error"] == err.not_found("bash", r["command"].split(" ")[0]) for r in layout)
    assert "ls -la".translate(mistakes.RU_LAYOUT) == "ды -дф"


def test_corrections_keep_what_was_right():
    """Only the broken part changes: the prompt goes, the doubled word goes, the glued space comes back."""
    for shell in contract.SHELLS:
        for r in draw(shell, "prompt-prefix"):
            assert r["command"].endswith(" " + r["correction"])
        for r in draw(shell, "doubled-word"):
            assert r["command"] == f"{r['tool']} {r['correction']}" or r["command"].startswith("git clone git clone ")
        for r in draw(shell, "glued-subcommand"):
            fixed = r["correction"]
            spaces = [i for i, ch in enumerate(fixed) if ch == " "]
            assert any(fixed[:i] + j + fixed[i + 1 :] == r["command"] for i in spaces for j in ("", "-"))


def test_the_catalogue_page_is_the_table_and_names_real_categories():
    page = Path(mistakes.__file__).with_name("mistakes.md").read_text()
    assert page == mistakes.render(), "regenerate: mistakes.md from mistakes.render()"
    mixes = {
        "single": generate.Params().single_categories,
        "tools": generate.Params().tools_categories,
        "chained": generate.Params().chained_categories,
    }
    for m in mistakes.CATALOGUE:
        assert m.name in page and all(s in page for s in m.sources)
        if m.covered_by:
            family, category = m.covered_by.split("/")
            assert mixes[family].get(category, 0) > 0, m.covered_by  # a category with a share in params
            assert not m.needs_output, m.name  # the contract gives the model the command alone
        else:
            assert m.note, m.name  # a left-out class says why
    covered = {m.covered_by for m in mistakes.CATALOGUE}
    assert {f"{FAMILY[c]}/{c}" for c in FAMILY} <= covered  # every new category is a catalogued class
    rules = Counter(s.split(":", 1)[1] for m in mistakes.CATALOGUE for s in m.sources if s.startswith("thefuck:"))
    assert set(rules) == set(mistakes.THEFUCK_RULES) and set(rules.values()) == {1}  # every rule placed, once
    assert len(mistakes.THEFUCK_RULES) == len(set(mistakes.THEFUCK_RULES)) == 168


def test_params_yaml_gives_every_new_category_a_share_and_unknown_names_are_refused():
    raw = params.load(Path(__file__).parents[1] / "params.yaml")
    prm = params.section("generate", raw, path="params.yaml", cls=generate.Params)
    assert prm.single_categories == generate.Params().single_categories
    assert prm.tools_categories == generate.Params().tools_categories
    for category, family in FAMILY.items():
        assert getattr(prm, f"{family}_categories")[category] > 0
    with pytest.raises(ParamsError) as exc:
        params.build(generate.Params, {"single_categories": {"typo": 1.0, "nope": 1.0}}, where="generate")
    assert exc.value.params == ("generate.single_categories",)
    assert exc.value.problems == ["generate: single_categories: unknown category nope"]


def test_a_default_shaped_run_has_the_classes_and_passes_validate(small_generated: Path, tmp_path: Path):
    rows = [json.loads(line) for f in contract.FAMILIES for line in (small_generated / f"{f}.jsonl").open()]
    seen = Counter(r["category"] for r in rows if r["family"] in ("single", "tools"))
    assert all(seen[c] > 0 for c in FAMILY), {c: seen[c] for c in FAMILY}
    g = generate.Params()
    result = validate.run(validate.Params(), g.shell_weights, g.family_weights, small_generated, tmp_path / "v.json")
    assert result.rows == len(rows) and json.loads((tmp_path / "v.json").read_text())["verdict"] == "pass"
