"""generate.source: import: another tool's rows or chat conversations, through generate -> validate -> prepare."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cmd_correct import contract, generate, prepare, validate
from cmd_correct.errors import DataError, DataErrors, OutputError
from cmd_correct.generate.rows import group_key
from cmd_correct.generate.writer import row_id

SEED = 3
IMPORT = generate.Params(source="import")
# A handful of rows cannot match generate's shell and family mix: validate keeps every row check, not the shares.
LENIENT = validate.Params(tolerance=1, family_min={}, max_trivial_share=1, max_near_duplicate_share=1)
THIRDS = prepare.Params(split={"train": 0.34, "valid": 0.33, "test": 0.33}, calibration_rows=10, heldout_rows=10)
FIX_SYSTEM = "You are a shell command corrector for {}. Output only the corrected command."
WIT_SYSTEM = (
    "You are a shell command assistant for {}. Use the provided tool results to generate the correct command. /no_think"
)


def gen_row(shell, family, category, command, correction, split, **more) -> dict:
    """A row in generate's own form (what another copy of this generator, or a tool imitating it, writes)."""
    return {
        "id": "their-own-id",
        "shell": shell,
        "family": family,
        "category": category,
        "tool": command.split()[0],
        "command": command,
        "correction": correction,
        "edit": "their-edit",
        "error": None,
        "group": group_key(correction),
        "split": split,
        "slots": {},
        **more,
    }


def chat(system: str, user: str, answer: str, **more) -> dict:
    turns = [{"role": "system", "content": system}, {"role": "user", "content": user}]
    return {"messages": [*turns, {"role": "assistant", "content": answer}], **more}


def write(folder: Path, name: str, rows: list[dict | str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows), encoding="utf-8")
    return path


def pipeline(tmp_path: Path, consumer: str = "fix", prep: prepare.Params = THIRDS) -> Path:
    """generate (import) -> validate -> prepare on tmp_path/import; returns data/final."""
    gen = generate.run(IMPORT, SEED, tmp_path / "generated", consumer=consumer, import_dir=tmp_path / "import")
    assert gen.rows > 0
    targets = (generate.Params().shell_weights, generate.Params().family_weights)
    validate.run(LENIENT, *targets, tmp_path / "generated", tmp_path / "validation.json")
    prepare.run(prep, SEED, tmp_path / "generated", tmp_path / "validation.json", tmp_path / "final", consumer=consumer)
    return tmp_path / "final"


def read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def prepared(final: Path) -> dict[str, list[dict]]:
    return {s: read(final / f"{s}.jsonl") for s in ("train", "valid", "test")}


# --- the two forms, through generate -> validate -> prepare ------------------------------------------------


def test_generate_rows_are_written_as_generate_writes_them_and_prepared(tmp_path: Path):
    rows = [
        gen_row("bash", "single", "typo", "gti status", "git status", "train", error="bash: gti: command not found"),
        gen_row("zsh", "chained", "and-chain", "cd src && mkae", "cd src && make", "valid"),
        gen_row("powershell", "natural", "nl", "list the files here", "Get-ChildItem", "test"),
        gen_row("fish", "tools", "subcommand", "docker sp", "docker ps", "train"),
        gen_row("bash", "single", "typo", "sl -la", "ls -la", "test", prompt_shell="sh"),
    ]
    write(tmp_path / "import", "theirs.jsonl", rows)
    final = pipeline(tmp_path)

    single = read(tmp_path / "generated" / "single.jsonl")  # file order kept; ids derived as generate derives them
    assert single == [{**r, "id": row_id(r["shell"], r["command"])} for r in (rows[0], rows[4])]
    assert read(tmp_path / "generated" / "natural.jsonl") == [
        {**rows[2], "id": row_id("powershell", rows[2]["command"])}
    ]
    meta = json.loads((tmp_path / "generated" / "meta.json").read_text())
    assert meta["params"] == {"source": "import", "consumer": "fix"} and meta["rows"] == 5
    assert list(meta["inputs"]) == ["theirs.jsonl"]

    got = prepared(final)  # each row goes to the split it names
    assert sorted(r["messages"][1]["content"] for r in got["train"]) == ["docker sp", "gti status"]
    assert [r["messages"] for r in got["valid"]] == [contract.messages("zsh", "cd src && mkae", "cd src && make")]
    by_command = {r["messages"][1]["content"]: r for r in got["test"]}
    assert by_command["sl -la"]["messages"] == contract.messages(
        "sh", "sl -la", "ls -la"
    )  # the alias reaches the prompt
    assert by_command["sl -la"]["prompt_shell"] == "sh" and by_command["sl -la"]["shell"] == "bash"
    assert by_command["list the files here"]["messages"][0]["content"] == FIX_SYSTEM.format("powershell")


FIX_CHATS = [
    chat(FIX_SYSTEM.format("zsh"), "gti status", "git status", family="single", category="typo", error="zsh: gti"),
    chat(FIX_SYSTEM.format("bash"), "cd src && mkae", "cd src && make", family="chained", category="and-chain"),
    chat(FIX_SYSTEM.format("powershell"), "show the files", "Get-ChildItem", family="natural", category="nl"),
    chat(FIX_SYSTEM.format("cmd"), "dri", "dir", family="tools", category="typo"),
    chat(FIX_SYSTEM.format("pwsh"), "Get-Chlditem", "Get-ChildItem -Force", family="single", category="typo"),
    chat(FIX_SYSTEM.format("fish"), "git pusj", "git push", family="tools", category="typo"),
    chat(FIX_SYSTEM.format("tcsh"), "ls -la", "ls -la", family="single", category="identity"),
    chat(FIX_SYSTEM.format("bash"), "ps aux grep node", "ps aux | grep node", family="chained", category="pipe"),
]


def test_fix_chat_rows_map_back_to_rows_and_prepare_writes_the_same_messages(tmp_path: Path):
    write(tmp_path / "import", "b.jsonl", FIX_CHATS[4:])
    write(tmp_path / "import", "a.jsonl", FIX_CHATS[:4])
    (tmp_path / "import" / "README.md").write_text("not data\n")  # ignored: not *.jsonl
    final = pipeline(tmp_path)

    single = read(tmp_path / "generated" / "single.jsonl")  # a.jsonl before b.jsonl, lines in order
    assert [r["command"] for r in single] == ["gti status", "Get-Chlditem", "ls -la"]
    gti, pwsh, ident = single
    assert gti == {
        "id": row_id("zsh", "gti status"),
        "shell": "zsh",
        "family": "single",
        "category": "typo",
        "tool": "imported",
        "command": "gti status",
        "correction": "git status",
        "edit": "imported",
        "error": "zsh: gti",
        "group": group_key("git status"),
        "split": None,
        "slots": {},
    }
    assert (pwsh["shell"], pwsh["prompt_shell"]) == ("powershell", "pwsh")  # an alias: its dialect's row
    assert ident["correction"] == ident["command"] and ident["category"] == "identity"

    got = [r for rows in prepared(final).values() for r in rows]
    assert all(prepared(final).values())  # each split holds some (by group, with these shares)
    assert sorted(json.dumps(r["messages"]) for r in got) == sorted(json.dumps(c["messages"]) for c in FIX_CHATS)
    assert {r["messages"][1]["content"]: r.get("prompt_shell") for r in got}["Get-Chlditem"] == "pwsh"


WIT_CHATS = [
    chat(
        WIT_SYSTEM.format("bash"),
        "Input: gti status\n\nTool results:\n- which_binary(git): /usr/bin/git\n"
        "- help_output(git): usage: git [-v | --version]\n\nThese are common Git commands\n",
        "git status",
        family="single",
        category="typo",
    ),
    chat(
        WIT_SYSTEM.format("zsh"), "Input: cd src && mkae\n\n", "cd src && make", family="chained", category="and-chain"
    ),
    chat(
        WIT_SYSTEM.format("pwsh"),
        "Input: show the files\n\nTool results:\n- which_binary(show): C:\\Tools\\show.exe\n",
        "Get-ChildItem",
        family="natural",
        category="nl",
    ),
    chat(
        WIT_SYSTEM.format("fish"),
        "Input: dcoker ps\n\nTool results:\n- which_binary(docker): /usr/bin/docker\n",
        "docker ps",
        family="tools",
        category="typo",
    ),
    chat(WIT_SYSTEM.format("bash"), "Input: git pusj\n\n", "git push", family="tools", category="typo"),
    chat(WIT_SYSTEM.format("tcsh"), "Input: ls -la\n\n", "ls -la", family="single", category="identity"),
    chat(WIT_SYSTEM.format("cmd"), "Input: dri\n\n", "dir", family="single", category="typo"),
    chat(
        WIT_SYSTEM.format("zsh"), "Input: ps aux grep node\n\n", "ps aux | grep node", family="chained", category="pipe"
    ),
]


def test_wit_chat_rows_read_the_command_and_tool_results_back_from_the_user_turn(tmp_path: Path):
    write(tmp_path / "import", "wit.jsonl", WIT_CHATS)
    final = pipeline(tmp_path, consumer="wit")

    gti = read(tmp_path / "generated" / "single.jsonl")[0]
    assert gti["command"] == "gti status" and gti["correction"] == "git status"
    assert gti["tool_results"] == [
        {"tool": "which_binary", "arg": "git", "output": "/usr/bin/git"},
        {"tool": "help_output", "arg": "git", "output": "usage: git [-v | --version]\n\nThese are common Git commands"},
    ]  # a result keeps its newlines; the next `- tool(arg): ` line starts the next one
    assert read(tmp_path / "generated" / "chained.jsonl")[0]["tool_results"] == []

    got = [r for rows in prepared(final).values() for r in rows]
    assert all(prepared(final).values())
    assert sorted(json.dumps(r["messages"]) for r in got) == sorted(json.dumps(c["messages"]) for c in WIT_CHATS)
    row = next(r for r in got if r["command"] == "gti status")
    assert row["tool_results"] == gti["tool_results"]  # what evaluate scores wit with and without


def test_prepare_output_imports_back_to_the_same_conversations(tmp_path: Path):
    # Chat rows with prepare's own derived fields (shell, prompt_shell, id, command, tool_results) are accepted
    # when they agree with the messages: data/final of one run is an import folder for another.
    write(tmp_path / "first" / "import", "wit.jsonl", WIT_CHATS)
    first = prepared(pipeline(tmp_path / "first", consumer="wit"))
    for split, rows in first.items():
        write(tmp_path / "second" / "import", f"{split}.jsonl", rows)
    second = prepared(pipeline(tmp_path / "second", consumer="wit"))
    flat = lambda d: sorted(json.dumps(r, sort_keys=True) for rows in d.values() for r in rows)  # noqa: E731
    assert flat(second) == flat(first)


def test_builtin_meta_is_unchanged_by_the_source_param(tmp_path: Path):
    # The default's meta.json stays the bytes it was before imports existed (checked by sha256 at 3000 rows).
    generate.run(generate.Params(rows=300), SEED, tmp_path / "gen", import_dir=tmp_path / "nowhere")
    meta = json.loads((tmp_path / "gen" / "meta.json").read_text())
    assert "source" not in meta["params"] and meta["params"]["seed"] == SEED and meta["inputs"] == {}


# --- refused input: every problem names the file, the line and the field ---------------------------------------


def problems(tmp_path: Path, consumer: str = "fix") -> list[DataError]:
    with pytest.raises(DataErrors) as e:
        generate.run(IMPORT, SEED, tmp_path / "generated", consumer=consumer, import_dir=tmp_path / "import")
    assert not (tmp_path / "generated").exists()  # nothing that looks finished
    return e.value.problems


def where(p: DataError) -> tuple[str, int | None, str | None]:
    return Path(p.path).name, p.line, p.field


WHICH_GIT = {"tool": "which_binary", "arg": "git", "output": "/usr/bin/git"}


def test_bad_chat_rows_are_all_named_by_file_line_and_field(tmp_path: Path):
    good = FIX_CHATS[0]
    write(
        tmp_path / "import",
        "bad.jsonl",
        [
            good,
            chat(WIT_SYSTEM.format("bash"), "gti status", "git status", family="single", category="typo"),  # 2
            chat(FIX_SYSTEM.format("nu"), "gti status", "git status", family="single", category="typo"),  # 3
            chat("You are a helpful assistant.", "gti status", "git status", family="single", category="typo"),  # 4
            chat(FIX_SYSTEM.format("bash"), "sl", "ls", category="typo"),  # 5: no family
            '{"messages": [{"role": "system", "content": "You are"}',  # 6: malformed JSON
            chat(FIX_SYSTEM.format("bash"), "gti log", "git log<|im_end|>", family="single", category="typo"),  # 7
            {"messages": good["messages"][:2], "family": "single", "category": "typo"},  # 8: no assistant turn
            chat(FIX_SYSTEM.format("bash"), "gti diff", "git diff", family="single", category="typo", shell="zsh"),  # 9
            chat(FIX_SYSTEM.format("bash"), "gti add", "git add", family="single", category="typo", source="x"),  # 10
            chat(
                FIX_SYSTEM.format("bash"),
                "gti mv",
                "git mv",
                family="single",
                category="typo",
                tool_results=[WHICH_GIT],
            ),
        ],
    )
    got = {where(p): p.reason for p in problems(tmp_path)}
    assert set(got) == {
        ("bad.jsonl", 2, "messages[0].content"),
        ("bad.jsonl", 3, "messages[0].content"),
        ("bad.jsonl", 4, "messages[0].content"),
        ("bad.jsonl", 5, "family"),
        ("bad.jsonl", 6, None),
        ("bad.jsonl", 7, "messages[2].content"),
        ("bad.jsonl", 8, "messages"),
        ("bad.jsonl", 9, "shell"),
        ("bad.jsonl", 10, "source"),
        ("bad.jsonl", 11, "tool_results"),  # fix's prompt carries none
    }
    assert "wit's system prompt" in got[("bad.jsonl", 2, "messages[0].content")]
    assert "unknown shell 'nu'" in got[("bad.jsonl", 3, "messages[0].content")]
    assert got[("bad.jsonl", 4, "messages[0].content")].startswith("not fix's system prompt")
    assert got[("bad.jsonl", 5, "family")] == "missing field"
    assert got[("bad.jsonl", 6, None)].startswith("invalid JSON")
    assert "special-token text '<|im_end|>'" in got[("bad.jsonl", 7, "messages[2].content")]
    assert got[("bad.jsonl", 10, "source")] == "unknown field"


def test_bad_generate_rows_are_named_by_file_line_and_field(tmp_path: Path):
    ok = gen_row("bash", "single", "typo", "gti status", "git status", "train")
    no_fix = {k: v for k, v in gen_row("bash", "single", "typo", "sl", "ls", "train").items() if k != "correction"}
    write(
        tmp_path / "import",
        "rows.jsonl",
        [
            ok,
            gen_row("nu", "single", "typo", "gti log", "git log", "train"),  # 2: unknown shell
            no_fix,  # 3: missing field
            gen_row("bash", "single", "typo", "gti add", "git add", "train", tool_results=[WHICH_GIT]),  # 4: fix
            gen_row("bash", "single", "typo", "gti\x1b[0m", "git", "train", tool="git"),  # 5: an ANSI escape
        ],
    )
    got = {where(p): p.reason for p in problems(tmp_path)}
    assert set(got) == {
        ("rows.jsonl", 2, "shell"),
        ("rows.jsonl", 3, "correction"),
        ("rows.jsonl", 4, "tool_results"),
        ("rows.jsonl", 5, "command"),
    }
    assert "unknown shell 'nu'" in got[("rows.jsonl", 2, "shell")]
    assert got[("rows.jsonl", 3, "correction")] == "missing field"
    assert "control character" in got[("rows.jsonl", 5, "command")]


def test_wit_user_turns_and_rows_it_cannot_read_back_are_refused(tmp_path: Path):
    system = WIT_SYSTEM.format("bash")
    write(
        tmp_path / "import",
        "wit.jsonl",
        [
            chat(system, "gti status", "git status", family="single", category="typo"),  # fix's user turn
            chat(
                system,
                "Input: gti status\n\nTool results:\n- help_output(gti): usage\n",
                "git status",
                family="single",
                category="typo",
            ),  # wit asks help_output of a near-miss tool (git here), never of the typed word
            chat(
                system,
                "Input: gti status\n\nTool results:\n- which_binary(git): /usr/bin/git",
                "git status",
                family="single",
                category="typo",
            ),  # fmt: skip
            gen_row("bash", "single", "typo", "gti status", "git status", "train"),  # a wit row needs tool_results
        ],
    )
    got = {where(p): p.reason for p in problems(tmp_path, consumer="wit")}
    assert set(got) == {
        ("wit.jsonl", 1, "messages[1].content"),
        ("wit.jsonl", 2, "messages[1].content"),
        ("wit.jsonl", 3, "messages[1].content"),
        ("wit.jsonl", 4, "tool_results"),
    }
    assert "is not a call wit makes" in got[("wit.jsonl", 2, "messages[1].content")]
    assert got[("wit.jsonl", 4, "tool_results")].startswith("missing field")


def test_a_missing_or_empty_folder_and_an_output_inside_it_are_refused(tmp_path: Path):
    with pytest.raises(DataError, match="folder not found") as e:
        generate.run(IMPORT, SEED, tmp_path / "out", import_dir=tmp_path / "import")
    assert e.value.path == str(tmp_path / "import")
    write(tmp_path / "import", "notes.txt", ["{}"])
    with pytest.raises(DataError, match=r"no \*\.jsonl"):
        generate.run(IMPORT, SEED, tmp_path / "out", import_dir=tmp_path / "import")
    write(tmp_path / "import", "rows.jsonl", FIX_CHATS)
    with pytest.raises(OutputError, match="inside the input"):
        generate.run(IMPORT, SEED, tmp_path / "import" / "generated", import_dir=tmp_path / "import")
    (tmp_path / "import" / "empty.jsonl").write_text("")
    assert [where(p) for p in problems(tmp_path)] == [("empty.jsonl", None, None)]


def test_cli_reads_the_source_param_and_the_import_folder(tmp_path: Path, capsys: pytest.CaptureFixture):
    write(tmp_path / "mine", "rows.jsonl", FIX_CHATS)
    (tmp_path / "params.yaml").write_text("generate: {source: import}\n")
    args = [str(tmp_path / "gen"), "--import-dir", str(tmp_path / "mine"), "--params", str(tmp_path / "params.yaml")]
    assert generate.main(args) == 0
    assert f"8 rows imported from {tmp_path / 'mine'}" in capsys.readouterr().out
    assert sum(1 for f in contract.FAMILIES for _ in read(tmp_path / "gen" / f"{f}.jsonl")) == 8
