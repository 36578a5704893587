"""The consumer contract, defined once: shells, families, and the exact prompt the `fix` CLI sends.

Training data (prepare), evaluation and every inference helper build their prompts here.
"""

from __future__ import annotations

# Shell ids, in the order the mission lists them; their target weights live in params.yaml.
SHELLS: tuple[str, ...] = ("bash", "zsh", "powershell", "cmd", "fish", "tcsh")

# Dataset families: single-command fixes, chained/piped commands, natural language -> command,
# and fixes to the top-100 CLI tools.
FAMILIES: tuple[str, ...] = ("single", "chained", "natural", "tools")

SYSTEM_TEMPLATE = "You are a shell command corrector for {shell}. Output only the corrected command."
IM_START, IM_END = "<|im_start|>", "<|im_end|>"
# Greedy decoding stops at the end-of-turn token or at the first newline (one command per answer).
STOP = (IM_END, "\n")


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


def render_conversation(shell: str, command: str, correction: str) -> str:
    """A whole ChatML conversation: the prompt, the answer and the closing end-of-turn token."""
    return f"{render_prompt(shell, command)}{correction}{IM_END}\n"


def clean_completion(text: str) -> str:
    """Cut a raw completion at the first stop string and strip surrounding whitespace."""
    for stop in STOP:
        text = text.split(stop, 1)[0]
    return text.strip()
