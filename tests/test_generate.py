"""generate: determinism, schema, distribution, shell syntax, error messages, one-character edits."""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from pathlib import Path

import pytest
from conftest import DATA_ROWS, DATA_SEED

from cmd_correct import contract, generate, params, prepare
from cmd_correct.errors import ParamsError
from cmd_correct.generate import mistakes, shellerrors, slots
from cmd_correct.generate.mutations import ADJACENT, typo, within_one_edit
from cmd_correct.generate.templates import Builder
from cmd_correct.generate.writer import FIELDS
from cmd_correct.io import sha256_file


def load(folder: Path) -> list[dict]:
    return [json.loads(line) for f in contract.FAMILIES for line in (folder / f"{f}.jsonl").open()]


@pytest.fixture(scope="module")
def rows(small_generated: Path) -> list[dict]:
    return load(small_generated)


def test_files_and_meta(small_generated: Path):
    names = sorted(p.name for p in small_generated.iterdir())
    assert names == sorted([f"{f}.jsonl" for f in contract.FAMILIES] + ["meta.json"])
    meta = json.loads((small_generated / "meta.json").read_text())
    assert meta["stage"] == "generate" and meta["rows"] == DATA_ROWS
    assert meta["params"]["seed"] == DATA_SEED
    assert sum(meta["families"].values()) == DATA_ROWS


def test_same_seed_gives_identical_bytes(small_generated: Path, tmp_path: Path):
    again = tmp_path / "again"
    generate.run(generate.Params(rows=DATA_ROWS), DATA_SEED, again)
    for f in small_generated.iterdir():
        assert sha256_file(f) == sha256_file(again / f.name), f.name
    other = tmp_path / "other"
    generate.run(generate.Params(rows=DATA_ROWS), DATA_SEED + 1, other)
    assert sha256_file(other / "single.jsonl") != sha256_file(small_generated / "single.jsonl")


def test_schema_and_invariants(rows: list[dict], small_generated: Path):
    assert len(rows) == DATA_ROWS
    for family in contract.FAMILIES:
        for line in (small_generated / f"{family}.jsonl").open():
            assert json.loads(line)["family"] == family
    for r in rows:
        assert tuple(r) == FIELDS + (("prompt_shell",) if "prompt_shell" in r else ())
        assert r["shell"] in contract.SHELLS and r["family"] in contract.FAMILIES
        assert r["command"] and r["correction"]
        assert (r["command"] == r["correction"]) == (r["category"] == "identity")
        assert "\n" not in r["correction"] and "\n" not in r["command"]
        assert r["error"] is None or isinstance(r["error"], str)
    assert len({r["id"] for r in rows}) == len(rows)
    assert len({(r["shell"], r["command"]) for r in rows}) == len(rows)


def test_distribution_is_exact(rows: list[dict]):
    p = generate.Params()
    shells, families = Counter(r["shell"] for r in rows), Counter(r["family"] for r in rows)
    for s, w in p.shell_weights.items():
        assert abs(shells[s] / len(rows) - w) < 0.001
    for f, w in p.family_weights.items():
        assert abs(families[f] / len(rows) - w) < 0.001
    assert families["chained"] / len(rows) >= 0.20 and families["natural"] / len(rows) >= 0.30


def test_allocate_sums_exactly():
    p = generate.Params()
    for total in (1, 7, 999, 150_000):
        counts = generate.allocate(total, p.shell_weights, p.family_weights)
        assert sum(counts.values()) == total


def test_one_character_edits_are_rare(rows: list[dict]):
    trivial = sum(r["category"] != "identity" and within_one_edit(r["command"], r["correction"]) for r in rows)
    assert trivial / len(rows) < 0.05


def test_trivial_share_zero_means_none(tmp_path: Path):
    """With no allowance, no slip the generator adds is a one-character edit; the only ones left are the
    mistake classes whose real slip is one character (cd.., npminstall, sed 's/a/b')."""
    generate.run(generate.Params(rows=1200, trivial_share=0.0), 3, tmp_path / "g")
    one = [
        r
        for r in load(tmp_path / "g")
        if r["category"] != "identity" and within_one_edit(r["command"], r["correction"])
    ]
    assert one and {r["category"] for r in one} <= set(mistakes.SINGLE) | set(mistakes.TOOLS)
    p = generate.Params(rows=1200, trivial_share=0.0)
    p.single_categories = {k: w for k, w in p.single_categories.items() if k not in mistakes.SINGLE}
    p.tools_categories = {k: w for k, w in p.tools_categories.items() if k not in mistakes.TOOLS}
    generate.run(p, 3, tmp_path / "h")
    assert not any(
        r["category"] != "identity" and within_one_edit(r["command"], r["correction"]) for r in load(tmp_path / "h")
    )


@pytest.mark.parametrize(
    ("a", "b", "one"),
    [
        ("git status", "git status", True),
        ("gti status", "git status", True),  # transposition
        ("git stauts", "git status", True),
        ("git statu", "git status", True),  # deletion
        ("git statuss", "git status", True),  # insertion
        ("git ststus", "git status", True),  # substitution
        ("gti stauts", "git status", False),
        ("git st", "git status", False),
        ("ls", "dir", False),
    ],
)
def test_within_one_edit(a: str, b: str, one: bool):
    assert within_one_edit(a, b) is one
    assert within_one_edit(b, a) is one


def test_typo_kinds_change_the_word():
    rng = random.Random(0)
    for kind in ("adjacent-key", "transpose", "deletion", "insertion"):
        out = typo("status", kind, rng)
        assert out and out != "status"
    assert "s" in ADJACENT["a"] and "q" in ADJACENT["a"]
    with pytest.raises(ValueError):
        typo("status", "nope", rng)


def test_targets_use_each_shells_syntax(rows: list[dict]):
    def corrections(shell: str, category: str | None = None, family: str | None = None) -> list[str]:
        return [
            r["correction"]
            for r in rows
            if r["shell"] == shell and (category in (None, r["category"])) and (family in (None, r["family"]))
        ]

    fish_chains = corrections("fish", "and-chain")
    assert fish_chains and all(" && " not in c for c in fish_chains)
    assert any("; and " in c for c in fish_chains)
    ps_chains = corrections("powershell", "and-chain")
    assert ps_chains and all(" && " not in c for c in ps_chains) and any("; if ($?) {" in c for c in ps_chains)
    ps_all, cmd_all = corrections("powershell"), corrections("cmd")
    assert any("$env:" in c for c in ps_all) and any(c.split()[0].count("-") == 1 and c[0].isupper() for c in ps_all)
    assert any("%" in c for c in cmd_all) and not any(c.startswith("sudo ") for c in cmd_all + ps_all)
    assert any(c.startswith("setenv ") for c in corrections("tcsh"))
    assert any(c.startswith("set -x ") for c in corrections("fish"))
    assert not any(c.startswith("export ") for c in corrections("fish") + corrections("tcsh"))


def test_error_messages_match_the_shell(rows: list[dict]):
    seen = Counter()
    for r in rows:
        if r["category"] != "typo" or not r["error"]:
            continue
        first = r["command"].split()[0]
        if r["error"] == shellerrors.not_found(r["shell"], first):
            seen[r["shell"]] += 1
    assert set(seen) == set(contract.SHELLS)  # every shell has command-not-found rows in its own words
    assert shellerrors.not_found("zsh", "gti") == "zsh: command not found: gti"
    assert shellerrors.not_found("cmd", "gti").startswith("'gti' is not recognized as an internal or external command")
    assert "The term 'gti' is not recognized" in shellerrors.not_found("powershell", "gti")
    assert any(r["error"] is None for r in rows if r["family"] == "natural")
    assert all(r["error"] is None for r in rows if r["family"] == "natural")


def test_categories_and_tools_are_covered(rows: list[dict]):
    cats = {(r["family"], r["category"]) for r in rows}
    for want in [
        ("single", "typo"),
        ("single", "flag"),
        ("single", "sudo"),
        ("single", "quoting"),
        ("single", "redirect"),
        ("single", "foreign"),
        ("tools", "subcommand"),
        ("chained", "pipe"),
        ("chained", "and-chain"),
        ("chained", "chain-operator"),
        ("natural", "nl"),
    ]:
        assert want in cats, want
    tools = {r["tool"] for r in rows if r["family"] == "tools"}
    assert {"git", "docker", "kubectl", "npm", "pip", "cargo"} <= tools and len(tools) >= 60


def test_params_are_checked():
    with pytest.raises(ParamsError) as exc:
        params.build(generate.Params, {"shell_weights": {"bash": 1.0}}, where="generate")
    assert exc.value.params == ("generate.shell_weights",)
    with pytest.raises(ParamsError) as exc:
        params.build(generate.Params, {"rows": "many"}, where="generate")
    assert exc.value.params == ("generate.rows",)


def test_progress_and_cli(tmp_path: Path, capsys: pytest.CaptureFixture):
    calls = []
    generate.run(generate.Params(rows=600), 1, tmp_path / "a", progress=lambda *a: calls.append(a))
    assert calls[-1] == ("generate", 600, 600)
    (tmp_path / "params.yaml").write_text("base: {seed: 1}\ngenerate: {rows: 600}\n")
    assert generate.main([str(tmp_path / "b"), "--params", str(tmp_path / "params.yaml")]) == 0
    assert sha256_file(tmp_path / "a" / "tools.jsonl") == sha256_file(tmp_path / "b" / "tools.jsonl")
    assert "600 rows" in capsys.readouterr().out


def test_catalogue_covers_the_top_clis():
    from cmd_correct.generate import catalogue
    from cmd_correct.generate.templates import program_of

    programs = {program_of(t) for _, temps in catalogue.TOOLS.values() for t in temps}
    want = {"git", "docker", "kubectl", "npm", "pip", "cargo", "apt", "brew", "systemctl", "terraform", "helm"}
    assert want <= programs and len(programs) >= 100


def test_identical_across_processes(tmp_path: Path):
    """Set iteration order (PYTHONHASHSEED) must never reach the output."""
    import os
    import subprocess
    import sys

    (tmp_path / "params.yaml").write_text("base: {seed: 5}\ngenerate: {rows: 600}\n")
    digests = []
    for hashseed in ("1", "2"):
        out = tmp_path / f"g{hashseed}"
        env = {**os.environ, "PYTHONHASHSEED": hashseed, "CMD_CORRECT_NO_PROGRESS": "1"}
        cmd = [sys.executable, "-m", "cmd_correct", "generate", str(out), "--params", str(tmp_path / "params.yaml")]
        subprocess.run(cmd, env=env, check=True, capture_output=True)
        digests.append([sha256_file(out / f"{f}.jsonl") for f in contract.FAMILIES])
    generate.run(generate.Params(rows=600), 5, tmp_path / "inproc")
    assert digests[0] == digests[1] == [sha256_file(tmp_path / "inproc" / f"{f}.jsonl") for f in contract.FAMILIES]


def test_refuses_a_folder_that_holds_other_things(tmp_path: Path, capsys: pytest.CaptureFixture, monkeypatch):
    # Regression: `generate <folder that holds other things>` deleted the folder and all it held.
    from cmd_correct import cli

    monkeypatch.delenv("CMD_CORRECT_DEBUG", raising=False)
    (tmp_path / "params.yaml").write_text("base: {seed: 1}\ngenerate: {rows: 600}\n")
    home = tmp_path / "home"
    home.mkdir()
    (home / "notes.txt").write_text("mine")
    assert cli.main(["generate", str(home), "--params", str(tmp_path / "params.yaml")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"error: {home}: exists and is not an output of `generate`")
    assert sorted(p.name for p in home.iterdir()) == ["notes.txt"] and (home / "notes.txt").read_text() == "mine"
    out = tmp_path / "gen"  # its own earlier output is replaced as before
    assert cli.main(["generate", str(out), "--params", str(tmp_path / "params.yaml")]) == 0
    assert cli.main(["generate", str(out), "--params", str(tmp_path / "params.yaml")]) == 0


# ---- open-ended slot values, kept apart between splits ------------------------------------------------


@pytest.fixture(scope="module")
def wide(tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    """20k rows: enough to see whether slot values repeat."""
    out = tmp_path_factory.mktemp("wide") / "g"
    generate.run(generate.Params(rows=20_000), DATA_SEED, out)
    return load(out)


def test_slot_values_rarely_repeat(wide: list[dict]):
    values: dict[str, list[str]] = {}
    for r in wide:
        for name, value in r["slots"].items():
            values.setdefault(name, []).append(value)
    share = {name: len(set(v)) / len(v) for name, v in values.items()}
    # The old closed lists had 30 files, 20 folders, 15 branches and messages: a share of 0.01 or less here.
    for name, low in {
        "file": 0.9,
        "dir": 0.7,
        "branch": 0.85,
        "msg": 0.9,
        "url": 0.95,
        "image": 0.6,
        "pod": 0.9,
    }.items():
        assert share[name] >= low, (name, share[name])
    assert len(set(values["file"])) > 3000 and len(set(values["dir"])) > 1500
    assert sum(len(set(v)) for v in values.values()) > 12_000  # 20k rows


def test_no_test_value_is_seen_in_train(wide: list[dict]):
    lanes = slots.Lanes(DATA_SEED, prepare.Params().split)
    seen: dict[str, set] = {}
    home: dict[str, str | None] = {}
    for r in wide:
        assert (r["split"] is None) == (not r["slots"])  # a lane exactly when the row shows slot values
        for value in r["slots"].values():
            assert lanes.lane(value) == r["split"]  # every value from the row's own lane
            seen.setdefault(r["split"], set()).add(value)
        assert home.setdefault(r["correction"], r["split"]) == r["split"]  # one correct command, one split
    assert not seen["test"] & seen["train"] and not seen["valid"] & seen["train"] and not seen["test"] & seen["valid"]
    rows = {s: sum(r["split"] == s for r in wide) for s in ("train", "valid", "test")}
    assert 0.03 < rows["test"] / len(wide) < 0.07 and 0.03 < rows["valid"] / len(wide) < 0.07


def test_the_input_shows_every_value_of_the_correction(wide: list[dict]):
    """Nothing to guess: a request names every file, host or branch its answer uses."""
    for r in wide:
        for value in r["slots"].values():
            assert value in r["command"], r
    downloads = [r for r in wide if "-OutFile" in r["correction"] and r["family"] == "natural"]
    assert downloads and all(r["correction"].endswith(r["slots"]["url"].rsplit("/", 1)[-1]) for r in downloads)


def test_slot_values_are_plain_words(wide: list[dict]):
    # Unquoted in some template: no space, quote, expansion or control character (msg/pat sit in quotes).
    forbidden = set(" \"'`$!%&|;<>*?\t")
    longest = generate.Params().max_chars
    for r in wide:
        assert len(r["command"]) <= longest and len(r["correction"]) <= longest
        for name, value in r["slots"].items():
            bad = forbidden - {" "} if name in ("msg", "pat") else forbidden
            assert not set(value) & bad, (name, value)
            assert value == value.strip() and len(value) <= 90
        if r["shell"] in ("bash", "zsh", "fish", "tcsh"):
            assert not any("\\" in v for k, v in r["slots"].items() if k in ("file", "dir")), r
    ps = [v for r in wide if r["shell"] == "powershell" for k, v in r["slots"].items() if k == "npmpkg"]
    assert ps and not any(v.startswith("@") for v in ps)  # PowerShell reads a leading @ as splatting


def test_plan_reads_kind_and_form_from_the_template():
    plan = slots.plan
    assert plan("mv {file} old_{file}")["file"] == slots.Spec("", "bare")
    assert plan('export PATH="$PATH:$HOME/{dir}"')["dir"].form == "rel"
    assert plan("scp {user}@{server}:~/{file} .")["file"].form == "rel"
    assert plan("cd {dir}")["dir"].form == "any"
    assert plan("python {file}")["file"].kind == "py"
    conda = plan("conda create -n {dir} python={version}")
    assert (conda["dir"].kind, conda["version"].kind) == ("env", "python")
    assert "bad" not in plan("git: '{bad}' is not a git command")  # not a slot: left as written


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_values_fit_their_template(seed: int):
    lanes = slots.Lanes(seed, {"train": 1.0})
    rng = random.Random(seed)
    posix, ps = slots.Where("bash", False), slots.Where("powershell", True)
    for _ in range(300):
        assert "/" not in lanes.value("file", slots.plan("mv {file} old_{file}")["file"], rng, "train", posix)
        assert lanes.value("file", slots.plan("python {file}")["file"], rng, "train", posix).endswith(".py")
        assert not lanes.value("dir", slots.Spec("", "rel"), rng, "train", posix).startswith(("/", "~"))
        assert "/" not in lanes.value("dir", slots.plan("conda activate {dir}")["dir"], rng, "train", posix)
        assert "/" not in lanes.value("dir", slots.Spec("", "any"), rng, "train", ps)  # C:\Users\..., src\api
        assert " " in lanes.value("msg", slots.Spec("spaced", "any"), rng, "train", posix)
        assert re.fullmatch(r"[a-z0-9][a-z0-9-]*", lanes.value("ns", slots.Spec("", "any"), rng, "train", posix))


def test_lanes_split_values_by_their_shares_and_a_tiny_vocabulary_gives_no_value(monkeypatch):
    lanes = slots.Lanes(42, {"train": 0.9, "valid": 0.05, "test": 0.05})
    got = Counter(lanes.lane(f"value-{i}") for i in range(20_000))
    assert abs(got["test"] / 20_000 - 0.05) < 0.01 and abs(got["train"] / 20_000 - 0.9) < 0.01
    again = slots.Lanes(42, {"train": 0.9, "valid": 0.05, "test": 0.05})
    assert all(lanes.lane(f"v{i}") == again.lane(f"v{i}") for i in range(100))  # a value's lane is stable
    moved = slots.Lanes(43, {"train": 0.9, "valid": 0.05, "test": 0.05})
    assert any(lanes.lane(f"v{i}") != moved.lane(f"v{i}") for i in range(100))  # and depends on the seed
    only = "py"
    lane = lanes.lane(only)
    other = next(s for s in ("train", "valid", "test") if s != lane)
    monkeypatch.setitem(slots.GENERATORS, "ext", lambda rng, spec, where: only)
    assert lanes.value("ext", slots.Spec("", "any"), random.Random(0), lane, slots.Where("bash", False)) == only
    with pytest.raises(slots.NoValue):
        lanes.value("ext", slots.Spec("", "any"), random.Random(0), other, slots.Where("bash", False))


def test_identity_rows_are_valid_commands_no_row_takes_as_input(rows: list[dict]):
    # fix sends the last command whether or not it failed: valid commands must map to themselves, and no
    # mistake row may teach the opposite for the same command in the same dialect.
    identity = [r for r in rows if r["category"] == "identity"]
    assert 0.03 < len(identity) / len(rows) < 0.08
    assert {r["family"] for r in identity} == {"single", "tools", "chained"}
    inputs = Counter((r["shell"], r["command"]) for r in rows)
    assert all(r["command"] == r["correction"] and r["edit"] == "identity" for r in identity)
    assert all(inputs[(r["shell"], r["command"])] == 1 for r in identity)
    # each is a correction the generator also writes for a broken input, or could: a canonical form
    corrections = {(r["shell"], r["correction"]) for r in rows if r["category"] != "identity"}
    assert sum((r["shell"], r["command"]) in corrections for r in identity) > 0


def test_alias_rows_carry_the_name_fix_sends_in_their_dialect(rows: list[dict]):
    aliased = [r for r in rows if "prompt_shell" in r]
    assert {r["prompt_shell"] for r in aliased} == set(contract.ALIASES)
    assert all(contract.ALIASES[r["prompt_shell"]] == r["shell"] for r in aliased)
    ps = [r for r in rows if r["shell"] == "powershell"]
    assert 0.15 < sum(r.get("prompt_shell") == "pwsh" for r in ps) / len(ps) < 0.35  # alias_shares pwsh 0.25


def test_aliases_draw_from_their_own_stream_and_leave_every_row_as_drawn(tmp_path: Path):
    # The alias draw has its own random stream: switching aliases on only adds `prompt_shell` to some rows.
    # And a zero-weight identity category is never drawn.
    def run(name: str, aliases: bool) -> list[dict]:
        p = generate.Params(rows=1200)
        if not aliases:
            p.alias_shares = {a: 0.0 for a in contract.ALIASES}
        for mix in (p.single_categories, p.tools_categories, p.chained_categories):
            mix["identity"] = 0.0
        generate.run(p, 5, tmp_path / name)
        return load(tmp_path / name)

    plain, aliased = run("plain", False), run("aliased", True)
    assert not any(r["category"] == "identity" or "prompt_shell" in r for r in plain)
    assert any("prompt_shell" in r for r in aliased)
    assert [{k: v for k, v in r.items() if k != "prompt_shell"} for r in aliased] == plain


def test_git_unstage_is_corrected_to_restore_staged():
    # Regression: `git unstage F` was corrected to `git restore F`, which discards the change instead of unstaging it.
    builder = Builder("bash", generate.Params())
    words, literal = ["git", "restore", "notes.txt"], [True, True, False]
    fixes = set()
    for seed in range(200):
        got = builder._subcommand(list(words), literal, "git", random.Random(seed))
        if got is not None and got["command"].split()[1:] == ["unstage", "notes.txt"]:
            fixes.add(got["correction"])
        elif got is not None and got["command"].split()[1:] == ["undo", "notes.txt"]:
            assert got["correction"] == "git restore notes.txt"  # undo: discarding is what it asks for
    assert fixes == {"git restore --staged notes.txt"}


def test_pwsh_is_not_the_prompt_of_inputs_powershell_7_runs(tmp_path: Path):
    # Regression: `a && b` and `ls -lt` rows got the prompt name pwsh, though PowerShell 7 runs them as typed.
    p = generate.Params(rows=240, alias_shares={"pwsh": 1.0})
    p.shell_weights = {s: float(s == "powershell") for s in contract.SHELLS}
    p.family_weights = {"single": 0.3, "chained": 0.4, "natural": 0.0, "tools": 0.3}
    p.single_categories, p.tools_categories = {"foreign": 1.0}, {"python-version": 1.0}
    p.chained_categories = {"chain-operator": 0.5, "and-chain": 0.5}
    generate.run(p, 3, tmp_path / "ps")
    rows = load(tmp_path / "ps")
    pwsh = {r["command"]: r.get("prompt_shell") == "pwsh" for r in rows}
    by_cat = {c: [r for r in rows if r["category"] == c] for c in ("chain-operator", "and-chain", "foreign")}
    assert by_cat["chain-operator"] and not any(pwsh[r["command"]] for r in by_cat["chain-operator"])
    assert by_cat["and-chain"] and all(pwsh[r["command"]] for r in by_cat["and-chain"])  # `; if ($?) { ... }`
    unix = [r for r in by_cat["foreign"] if r["command"].split()[0] in ("ls", "curl", "grep", "sort", "tail")]
    builtin = [r for r in by_cat["foreign"] if r["command"].split()[0] in ("export", "unset", "source", "alias")]
    assert unix and not any(pwsh[r["command"]] for r in unix)  # the native program runs on Linux
    assert builtin and all(pwsh[r["command"]] for r in builtin)  # bash builtins fail in pwsh everywhere
    py3 = [r for r in rows if r["edit"] == "python3-on-windows"]
    py2 = [r for r in rows if r["category"] == "python-version" and r["edit"] != "python3-on-windows"]
    assert py3 and py2 and not any(pwsh[r["command"]] for r in py3) and all(pwsh[r["command"]] for r in py2)


@pytest.fixture(scope="module")
def case_builder() -> Builder:
    """Every short flag slip a wrong case (no --f), kept even when it is one character."""
    return Builder("bash", generate.Params(short_flag_double_dash=0.0, trivial_share=1.0))


@pytest.mark.parametrize(
    ("command", "valid"),
    [("git branch -d feat", "-D"), ('grep -i "x" notes.txt', "-I"), ("tail -f app.log", "-F"),
     ("curl -s https://a.io", "-S"), ("df -h", "-H"), ("cp -r src backup", "-R"),
     ("docker run -d -p 80:80 nginx", "-P"), ("watch -n 5 df -h", "-H")],
)  # fmt: skip
def test_flag_case_slip_never_makes_another_valid_flag(case_builder: Builder, command: str, valid: str):
    # Regression: the flag-case mistake turned `git branch -d` into `-D` (and grep -I, tail -F, curl -S, df -H):
    # a valid, different command taught as broken.
    words = command.split()
    got = [case_builder._flag(words, [True] * len(words), words[0], random.Random(s), "tools") for s in range(40)]
    assert not any(valid in r["command"].split() for r in got if r is not None)


def test_flag_case_slip_stays_where_the_other_case_is_no_flag(case_builder: Builder):
    words = ["docker", "run", "-d", "-p", "80:80", "nginx"]  # docker run -D is no flag, -P is
    got = [case_builder._flag(words, [True] * 5 + [False], "docker", random.Random(s), "tools") for s in range(40)]
    assert {r["command"] for r in got if r is not None} == {"docker run -D -p 80:80 nginx"}
    head = case_builder._flag(["head", "-n", "5", "x.md"], [True, True, False, False], "head", random.Random(0), "")
    assert head is not None and head["command"] == "head -N 5 x.md"


def test_fish_gets_no_chain_operator_rows(tmp_path: Path):
    # Regression: fish rows corrected `a && b` to `a; and b`, though fish 3.0 and later run `a && b` as typed.
    p = generate.Params(rows=120)
    p.shell_weights = {s: float(s == "fish") for s in contract.SHELLS}
    p.family_weights = {"single": 0.0, "chained": 1.0, "natural": 0.0, "tools": 0.0}
    p.chained_categories = {"chain-operator": 0.5, "and-chain": 0.5}
    generate.run(p, 3, tmp_path / "fish")
    rows = load(tmp_path / "fish")
    assert len(rows) == 120 and {r["category"] for r in rows} == {"and-chain"}
    assert not any("&&" in r["command"] for r in rows)
