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


def test_unknown_shell_is_refused():
    with pytest.raises(ValueError, match="unknown shell 'sh'"):
        contract.system_prompt("sh")


@pytest.mark.parametrize(
    ("raw", "clean"),
    [("git status<|im_end|>", "git status"), ("  ls -la\nextra", "ls -la"), ("dir", "dir"), ("\n", "")],
)
def test_clean_completion_stops_at_end_of_turn_or_newline(raw, clean):
    assert contract.clean_completion(raw) == clean


def test_six_shells_four_families():
    assert contract.SHELLS == ("bash", "zsh", "powershell", "cmd", "fish", "tcsh")
    assert set(contract.FAMILIES) == {"single", "chained", "natural", "tools"}
