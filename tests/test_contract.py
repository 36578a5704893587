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


def test_wit_style_line_limit():
    wit = contract.Decoding(max_tokens=256, n_ctx=1024, one_line=False, max_lines=10)
    stream = contract.Stream(wit)
    assert not any(stream.push(f"line {i}\n") for i in range(10))
    assert stream.push("line 11")


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
