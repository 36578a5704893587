"""The consumer contract: the exact prompt the `fix` CLI sends, defined once."""

import pytest

from cmd_correct import contract

# The prompt exactly as the consumer contract (the `fix` CLI) writes it.
FIX_CLI_PROMPT = (
    "<|im_start|>system\n"
    "You are a shell command corrector for zsh. Output only the corrected command.<|im_end|>\n"
    "<|im_start|>user\n"
    "gti status<|im_end|>\n"
    "<|im_start|>assistant\n"
)


def test_render_prompt_is_byte_identical_to_the_fix_cli():
    assert contract.render_prompt("zsh", "gti status") == FIX_CLI_PROMPT


def test_conversation_is_prompt_plus_answer_and_end_of_turn():
    text = contract.render_conversation("zsh", "gti status", "git status")
    assert text == FIX_CLI_PROMPT + "git status<|im_end|>\n"


def test_messages_carry_the_same_system_prompt():
    msgs = contract.messages("powershell", "Get-ChildIte", "Get-ChildItem")
    assert [m["role"] for m in msgs] == ["system", "user", "assistant"]
    assert msgs[0]["content"] == "You are a shell command corrector for powershell. Output only the corrected command."
    assert contract.messages("cmd", "dri")[-1]["role"] == "user"


def test_unknown_shell_is_refused_in_data_but_sent_verbatim_like_fix():
    with pytest.raises(ValueError, match="unknown shell 'nu'"):
        contract.system_prompt("nu")
    assert "corrector for nu." in contract.render_prompt("nu", "ls", known=False)
    with pytest.raises(ValueError, match="one word"):
        contract.render_prompt("bash\n<|im_start|>", "ls", known=False)


def test_aliases_fix_sends_map_to_their_dialect():
    assert {a: contract.dialect(a) for a in ("sh", "dash", "ksh", "pwsh")} == {
        "sh": "bash", "dash": "bash", "ksh": "bash", "pwsh": "powershell"
    }  # fmt: skip
    assert contract.dialect("nu") == "bash"  # fix's own fallback when $SHELL is unset
    assert "corrector for sh." in contract.system_prompt("sh")


# fix's decoding rules (../shared/CONSUMER.md "fix"), one golden case each: token pieces in, fix's answer out.
@pytest.mark.parametrize(
    ("pieces", "answer"),
    [
        (["git", " status", "<|im_end|>", "junk"], "git status"),  # a piece holding <|im_end|> stops
        (["ls", " -la", "<|im_start|>", "user"], "ls -la"),  # ...and one holding <|im_start|>
        (["\n", "\n", "git", " status", "\n", "more"], "git status"),  # leading newlines do not end the answer
        (["ls", " -la", "\n", "extra line"], "ls -la"),  # a second line does
        (["<think>", "the user", " typed gti", "</think>", "\n\n", "git", " status"], "git status"),  # think dropped
        (["Command:", " git", " status"], "git status"),  # a Command: prefix stripped
        (["command >", " ls"], "ls"),
        (["command>", "ls"], "ls"),
        (["command 2>&1", " make"], "make"),
        (["  ", "docker", " ps  "], "docker ps"),  # trimmed
        (["<|im_end|>"], ""),  # nothing said
    ],
)
def test_fix_decoding_golden(pieces, answer):
    assert contract.decode_text(pieces) == answer


def test_fix_decoding_stops_at_128_tokens():
    stream = contract.Stream()
    n = next(i for i in range(1, 1000) if stream.push("a"))
    assert n == stream.tokens == 128 and stream.answer() == "a" * 128
    assert (contract.FIX.max_tokens, contract.FIX.n_ctx, contract.FIX.add_bos) == (128, 512, True)


def test_only_one_prefix_is_stripped_and_only_at_the_start():
    assert contract.clean_answer("Command: Command: ls") == "Command: ls"
    assert contract.clean_answer("echo Command: hi") == "echo Command: hi"


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("git status<|im_end|>", "git status"),
        ("  ls -la\nextra", "ls -la"),
        ("dir", "dir"),
        ("\n", ""),
        ("<think>x</think>\n git log", "git log"),
        ("\n\ngit status\n", "git status"),
    ],
)
def test_clean_completion_reads_a_whole_text_as_fix_would(raw, clean):
    assert contract.clean_completion(raw) == clean


def test_wit_line_limit():
    stream = contract.Stream(contract.WIT)
    assert not any(stream.push(f"line {i}\n") for i in range(10))
    assert stream.push("line 11")  # an eleventh line: more than 10


# --- wit (../shared/CONSUMER.md "wit") -----------------------------------------------------------------------

# wit's prompt exactly as CONSUMER.md writes it, with tool results and without.
WIT_CLI_PROMPT = (
    "<|im_start|>system\n"
    "You are a shell command assistant for zsh. Use the provided tool results to generate the correct command. "
    "/no_think<|im_end|>\n"
    "<|im_start|>user\n"
    "Input: gti status\n\n"
    "Tool results:\n"
    "- which_binary(git): /usr/bin/git\n"
    "- help_output(git): usage: git [-v | --version]\n   or: git help\n"
    "<|im_end|>\n"
    "<|im_start|>assistant\n"
)
WIT_CLI_PROMPT_NO_RESULTS = (
    "<|im_start|>system\n"
    "You are a shell command assistant for bash. Use the provided tool results to generate the correct command. "
    "/no_think<|im_end|>\n"
    "<|im_start|>user\n"
    "Input: sl\n\n"
    "<|im_end|>\n"
    "<|im_start|>assistant\n"
)


def test_wit_prompt_is_byte_identical_to_the_wit_cli():
    results = (
        contract.ToolResult("which_binary", "git", "/usr/bin/git"),
        contract.ToolResult("help_output", "git", "usage: git [-v | --version]\n   or: git help"),
    )
    user = contract.user_turn("gti status", results, consumer="wit")
    assert contract.render_prompt("zsh", user, consumer="wit") == WIT_CLI_PROMPT
    assert contract.render_prompt("bash", contract.user_turn("sl", consumer="wit"), consumer="wit") == (
        WIT_CLI_PROMPT_NO_RESULTS
    )
    assert contract.messages("zsh", user, "git status", consumer="wit")[1]["content"] == user


def test_fix_sends_the_bare_command_and_no_tool_results():
    assert contract.user_turn("gti status") == "gti status"
    with pytest.raises(ValueError, match="fix sends no tool results"):
        contract.user_turn("gti", (contract.ToolResult("which_binary", "git", "/usr/bin/git"),))


def test_consumers_defined_once():
    fix, wit = contract.get("fix"), contract.get("wit")
    assert (fix.decoding, fix.hub_file, fix.tool_results) == (contract.FIX, "qwen3-correct-0.6B", False)
    assert (wit.decoding.max_tokens, wit.decoding.n_ctx, wit.decoding.one_line, wit.decoding.max_lines) == (
        256, 1024, False, 10
    )  # fmt: skip
    assert (wit.hub_file, wit.tool_results) == ("qwen3-wit-1.7B", True)
    with pytest.raises(ValueError, match="unknown consumer 'thefuck'; expected one of fix, wit"):
        contract.get("thefuck")
    prompts = contract.system_prompts()
    assert prompts[contract.system_prompt("pwsh", consumer="wit")] == ("wit", "pwsh")
    assert prompts[contract.system_prompt("bash")] == ("fix", "bash")


def test_base_consumer_param_lists_exactly_the_contract_consumers():
    import typing

    from cmd_correct import base

    assert typing.get_args(typing.get_type_hints(base.Params)["consumer"]) == tuple(contract.CONSUMERS)
    assert base.Params().consumer == "fix"


# wit's decoding and clean-up, one golden case each: token pieces in, wit's answer out.
@pytest.mark.parametrize(
    ("pieces", "answer"),
    [
        (["git", " status", "<|im_end|>", "junk"], "git status"),  # stop token
        (["| ", "git", " status"], "git status"),  # one leading `| ` stripped
        (["|", "git", " status"], "git status"),  # ...or `|`
        (["| | ls"], "| ls"),  # only one
        (["ls", " -la", "\n", "cd /tmp"], "ls -la\ncd /tmp"),  # wit keeps every line (fix: the first)
        (["Command:", " ls"], "Command: ls"),  # fix's prefixes are fix's
        (["<think>", "hm", "</think>", "\n", "  git log  "], "git log"),  # think dropped, trimmed
        (["\n\n", "make", "\n"], "make"),  # leading newlines do not stop wit either
    ],
)
def test_wit_decoding_golden(pieces, answer):
    assert contract.decode_text(pieces, contract.WIT) == answer


def test_wit_stops_at_256_tokens():
    stream = contract.Stream(contract.WIT)
    n = next(i for i in range(1, 1000) if stream.push("a"))
    assert n == 256 and stream.answer() == "a" * 256


def test_wit_clean_completion():
    assert contract.clean_completion("| git status\nmore<|im_end|>junk", contract.WIT) == "git status\nmore"


@pytest.mark.parametrize(
    ("shell", "command", "calls"),
    [
        ("bash", "gti status", [("list_similar", "gti"), ("which_binary", "gti"), ("which_binary", "git"),
                                ("help_output", "git")]),
        ("bash", "l", [("list_similar", "l")]),  # which_binary needs 2+ characters
        # equal to git, so git is skipped, and pip (2 edits from git) is the first near miss left
        ("bash", "git stats", [("list_similar", "git"), ("which_binary", "git"), ("which_binary", "pip"),
                               ("help_output", "pip")]),
        ("bash", "ls -la", [("list_similar", "ls"), ("which_binary", "ls")]),
        ("bash", "dokcer ps", [("list_similar", "dokcer"), ("which_binary", "dokcer"), ("which_binary", "docker"),
                               ("help_output", "docker")]),
        ("bash", "pip3 instal x", [("list_similar", "pip3"), ("which_binary", "pip3"), ("which_binary", "pip"),
                                   ("help_output", "pip")]),  # pip3 is 1 from pip (python is 5)
        ("bash", "mkae", [("list_similar", "mkae"), ("which_binary", "mkae"), ("which_binary", "make"),
                          ("help_output", "make")]),
        ("powershell", "Get-ChildIte", [("list_similar", "Get-ChildIte"), ("which_binary", "Get-ChildIte"),
                                        ("help_output", "Get-ChildIte")]),
        ("pwsh", "Set-Locaton x", [("list_similar", "Set-Locaton"), ("which_binary", "Set-Locaton"),
                                   ("help_output", "Set-Locaton")]),
        ("bash", "Get-ChildItem", [("list_similar", "Get-ChildItem"), ("which_binary", "Get-ChildItem")]),
        ("bash", "   ", []),
    ],
)  # fmt: skip
def test_wit_tool_selection_order(shell, command, calls):
    assert contract.wit_calls(shell, command) == calls


def test_wit_keeps_results_cut_at_200_characters():
    assert contract.keep_output(None) is None and contract.keep_output("  \n") is None
    assert contract.keep_output("/usr/bin/git\n") == "/usr/bin/git"
    assert contract.keep_output("x" * 200) == "x" * 200
    assert contract.keep_output("x" * 201) == "x" * 200 + "..."


def test_result_problems_hold_rows_to_what_wit_sends():
    ok = [{"tool": "which_binary", "arg": "git", "output": "/usr/bin/git"}]
    assert contract.result_problems("bash", "gti status", ok) == []
    assert contract.result_problems("bash", "gti status", []) == []  # the tools said nothing
    swapped = [{"tool": "help_output", "arg": "git", "output": "usage"}, *ok]
    assert "not a call wit makes" in contract.result_problems("bash", "gti status", swapped)[0]
    long = [{"tool": "list_similar", "arg": "gti", "output": "y" * 201}]
    assert "cut at 200" in contract.result_problems("bash", "gti status", long)[0]
    assert "expected {tool, arg, output}" in contract.result_problems("bash", "ls", [{"tool": "x"}])[0]
    marker = [{"tool": "list_similar", "arg": "ls", "output": "<|im_end|>"}]
    assert "special-token text" in contract.result_problems("bash", "ls", marker)[0]


def test_six_shells_four_families():
    assert contract.SHELLS == ("bash", "zsh", "powershell", "cmd", "fish", "tcsh")
    assert set(contract.FAMILIES) == {"single", "chained", "natural", "tools"}


@pytest.mark.parametrize(
    "text, token",
    [
        ("ls <|im_end|>", "<|im_end|>"),
        ("\uff1c|im_start|\uff1esystem", "<|im_start|>"),  # full-width < and >
        ("\uff1c\uff5cim_end\uff5c\uff1e", "<|im_end|>"),  # full-width | too
        ("\ufe64|endoftext|\ufe65", "<|endoftext|>"),  # small-form < and >
        ("\uff1cthink\uff1e", "<think>"),
        ("echo \uff1cfile\uff1e", None),
        ("grep '<|' x", None),
    ],
)
def test_special_token_text_is_compared_after_nfkc(text, token):
    assert contract.special_token_text(text) == token


@pytest.mark.parametrize(
    "text, reason",
    [
        ("ls \u202e-la", "format character U+202E at column 4"),
        ("\u2066ls\u2069", "format character U+2066 at column 1"),
        ("l\u200bs", "format character U+200B at column 2"),
        ("ls\u2060", "format character U+2060 at column 3"),
        ("\ufeffls", "format character U+FEFF at column 1"),
        ("ls\U000e0041", "format character U+E0041 at column 3"),
        ("ls\ud800", "lone surrogate U+D800 at column 3"),
        ("\uff1c|im_end|\uff1e", "special-token text '<|im_end|>' (after NFKC, it would become a real token)"),
        ("ls <|im_end|>", "special-token text '<|im_end|>' (it would become a real token)"),
    ],
)
def test_text_problems_name_the_code_point_or_marker(text, reason):
    assert contract.text_problems(text) == [reason]


def test_ordinary_text_has_no_problems():
    for text in ("git status", "ды -дф", "ls -laç", "ls\u00a0-l", "echo \U0001f600", "a < b > c"):
        assert contract.text_problems(text) == [] and contract.hidden_char(text) is None
    assert contract.text_problems("<|im_end|>", special=False) == []
