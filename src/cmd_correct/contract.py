"""The consumer contract, defined once: shells, families, and the exact prompt the `fix` CLI sends.

Training data (prepare), evaluation and every inference helper build their prompts here.
"""

from __future__ import annotations

import re

# Shell ids, in the order the mission lists them; their target weights live in params.yaml.
SHELLS: tuple[str, ...] = ("bash", "zsh", "powershell", "cmd", "fish", "tcsh")

# Dataset families: single-command fixes, chained/piped commands, natural language -> command,
# and fixes to the top-100 CLI tools.
FAMILIES: tuple[str, ...] = ("single", "chained", "natural", "tools")

SYSTEM_TEMPLATE = "You are a shell command corrector for {shell}. Output only the corrected command."
IM_START, IM_END = "<|im_start|>", "<|im_end|>"
# Greedy decoding stops at the end-of-turn token or at the first newline (one command per answer).
STOP = (IM_END, "\n")

# Text a tokenizer turns into a special token: every `<|...|>` form (ChatML, <|endoftext|>, Qwen's
# <|fim_prefix|> ...), plus the base models' other added tokens (SmolLM2's StarCoder markers, Qwen3's
# think/tool tags). imatrix reads calibration.txt with --parse-special, so in data they become real tokens.
SPECIAL_TOKEN_TEXT = re.compile(
    r"<\|[^\s<>|]{1,64}\|>"
    r"|</?(?:think|tool_call|tool_response)>"
    r"|<(?:repo_name|reponame|file_sep|filename|gh_stars|issue_start|issue_comment|issue_closed|jupyter_start"
    r"|jupyter_text|jupyter_code|jupyter_output|jupyter_script|empty_output|fim_prefix|fim_middle|fim_suffix"
    r"|fim_pad)>"
)


def system_prompt(shell: str) -> str:
    """The system message for `shell`; raises ValueError for a shell outside SHELLS."""
    if shell not in SHELLS:
        raise ValueError(f"unknown shell {shell!r}; expected one of {', '.join(SHELLS)}")
    return SYSTEM_TEMPLATE.format(shell=shell)


def messages(shell: str, command: str, correction: str | None = None) -> list[dict[str, str]]:
    """Chat messages (the `messages` jsonl format mlx-lm and transformers read)."""
    out = [
        {"role": "system", "content": system_prompt(shell)},
        {"role": "user", "content": command},
    ]
    if correction is not None:
        out.append({"role": "assistant", "content": correction})
    return out


def render_prompt(shell: str, command: str) -> str:
    """The exact text the `fix` CLI feeds llama.cpp, ending where the assistant starts to answer."""
    return f"{IM_START}system\n{system_prompt(shell)}{IM_END}\n{IM_START}user\n{command}{IM_END}\n{IM_START}assistant\n"


def render_answer(correction: str) -> str:
    """The assistant turn as the chat template closes it: correction, end-of-turn, newline (what training learns)."""
    return f"{correction}{IM_END}\n"


def render_conversation(shell: str, command: str, correction: str) -> str:
    """A whole ChatML conversation: the prompt, the answer and the closing end-of-turn token."""
    return render_prompt(shell, command) + render_answer(correction)


def special_token_text(text: str) -> str | None:
    """The first special-token text inside `text` (see SPECIAL_TOKEN_TEXT), or None."""
    m = SPECIAL_TOKEN_TEXT.search(text)
    return m.group(0) if m else None


def normalise_target(text: str) -> str:
    """A correction as the scorer compares it: surrounding whitespace stripped (evaluate.exact.is_exact)."""
    return text.strip()


def clean_completion(text: str) -> str:
    """Cut a raw completion at the first stop string and strip surrounding whitespace."""
    for stop in STOP:
        text = text.split(stop, 1)[0]
    return text.strip()
