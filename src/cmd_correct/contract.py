"""The consumer contract, defined once: shells, families, the exact prompt the `fix` CLI sends, and how
fix decodes and cleans the answer (`FIX`, `Stream`, `clean_answer`).

Training data (prepare), evaluation, the baseline and every inference helper build their prompts and
read their answers here. The facts come from fix's own source (../shared/CONSUMER.md).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Shell ids, in the order the mission lists them; their target weights live in params.yaml.
SHELLS: tuple[str, ...] = ("bash", "zsh", "powershell", "cmd", "fish", "tcsh")

# Dataset families: single-command fixes, chained/piped commands, natural language -> command,
# and fixes to the top-100 CLI tools.
FAMILIES: tuple[str, ...] = ("single", "chained", "natural", "tools")
# The category of rows whose input is a valid command that must come back unchanged (fix sends the last
# command whether or not it failed, and says "No correction needed" when the answer equals it).
IDENTITY = "identity"

# fix puts the basename of $SHELL into the prompt verbatim. These common names are trained and scored
# under their own name, with the rows of the dialect they speak (sh, dash, ksh: POSIX, served by the bash
# rows, which use no bash-only syntax beyond what ksh and most sh accept; pwsh: PowerShell 7).
ALIASES: dict[str, str] = {"sh": "bash", "dash": "bash", "ksh": "bash", "pwsh": "powershell"}
# Every name the model is trained on: the six dialects and their aliases.
PROMPT_SHELLS: tuple[str, ...] = SHELLS + tuple(ALIASES)
# A name any other program could send (`nu`, `xonsh`, `elvish`): one word, no spaces or markup. Such a
# name goes into the prompt as fix sends it; its dialect is bash, fix's own fallback when $SHELL is unset.
SHELL_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,31}")

SYSTEM_TEMPLATE = "You are a shell command corrector for {shell}. Output only the corrected command."
IM_START, IM_END = "<|im_start|>", "<|im_end|>"
THINK_OPEN, THINK_CLOSE = "<think>", "</think>"
# The prefixes fix strips (once, after trimming) from the front of an answer, in the order it tries them.
ANSWER_PREFIXES: tuple[str, ...] = ("command >", "command>", "command 2>&1", "Command:")


@dataclass(frozen=True)
class Decoding:
    """How a consumer decodes: greedy, at most `max_tokens` new tokens in an `n_ctx` context, BOS added and
    special tokens parsed in the prompt; stop at EOS or a piece holding one of `stop_texts`; drop
    `<think>` blocks; stop once the trimmed answer holds a newline (`one_line`) or more than `max_lines`."""

    max_tokens: int
    n_ctx: int
    n_batch: int = 512
    add_bos: bool = True
    stop_texts: tuple[str, ...] = (IM_END, IM_START)
    one_line: bool = True  # fix: the first line is the answer; stop as soon as a second one starts
    max_lines: int | None = None  # wit: stop after more than this many output lines


FIX = Decoding(max_tokens=128, n_ctx=512)  # fix's decoding (CONSUMER.md "fix")
# Kept for the card's llama.cpp snippet and llama-cpp-python's `stop=`: what ends fix's answer.
STOP = (IM_END, IM_START, "\n")

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


def dialect(shell: str) -> str:
    """The dialect a prompt's shell name speaks: itself for the six, the alias's dialect, else bash."""
    return shell if shell in SHELLS else ALIASES.get(shell, "bash")


def system_prompt(shell: str, *, known: bool = True) -> str:
    """The system message for `shell`. With `known` (data, training, evaluation) the name must be one of
    PROMPT_SHELLS; without it (the `correct` command, as fix does) any one-word name is put in verbatim."""
    if known and shell not in PROMPT_SHELLS:
        raise ValueError(f"unknown shell {shell!r}; expected one of {', '.join(PROMPT_SHELLS)}")
    if not known and not SHELL_NAME.fullmatch(shell):
        raise ValueError(f"shell name {shell!r}: expected one word of letters, digits, '.', '_', '+', '-'")
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


def render_prompt(shell: str, command: str, *, known: bool = True) -> str:
    """The exact text the `fix` CLI feeds llama.cpp, ending where the assistant starts to answer."""
    system = system_prompt(shell, known=known)
    return f"{IM_START}system\n{system}{IM_END}\n{IM_START}user\n{command}{IM_END}\n{IM_START}assistant\n"


def render_answer(correction: str) -> str:
    """The assistant turn as the chat template closes it: correction, end-of-turn, newline (what training learns)."""
    return f"{correction}{IM_END}\n"


def render_conversation(shell: str, command: str, correction: str) -> str:
    """A whole ChatML conversation: the prompt, the answer and the closing end-of-turn token."""
    return render_prompt(shell, command) + render_answer(correction)


def special_token_text(text: str) -> str | None:
    """The first special-token text inside `text` or inside its NFKC form (see SPECIAL_TOKEN_TEXT), or None.

    NFKC folds the look-alikes (full-width `＜｜im_start｜＞`, small-form `﹤`) onto the ASCII markers: text a
    normaliser, a copy-paste or a reader takes for the marker is refused like the marker itself."""
    m = SPECIAL_TOKEN_TEXT.search(text) or SPECIAL_TOKEN_TEXT.search(unicodedata.normalize("NFKC", text))
    return m.group(0) if m else None


# Unicode categories no row text may hold: Cf (format: bidi controls U+202A-202E and U+2066-2069, zero-width
# U+200B-200D, U+2060, U+FEFF, tag characters U+E0000-E007F, soft hyphen ...: invisible, or reordering what
# a reader sees) and Cs (a lone surrogate: not text, and UTF-8 cannot write it).
HIDDEN_CATEGORIES = {"Cf": "format character", "Cs": "lone surrogate"}


def hidden_char(text: str) -> tuple[int, str] | None:
    """(index, character) of the first Cf or Cs character in `text` (see HIDDEN_CATEGORIES), or None."""
    if text.isascii():
        return None
    for i, ch in enumerate(text):
        if unicodedata.category(ch) in HIDDEN_CATEGORIES:
            return i, ch
    return None


def text_problems(text: str, *, special: bool = True) -> list[str]:
    """Why `text` must not reach a prompt, an answer or calibration.txt: a Cf or Cs character (named as
    U+XXXX with its column, never echoing the text) and, with `special`, special-token text, also after
    NFKC. Empty when the text is fine. validate's row check (which prepare runs too) uses it."""
    out = []
    if found := hidden_char(text):
        i, ch = found
        out.append(f"{HIDDEN_CATEGORIES[unicodedata.category(ch)]} U+{ord(ch):04X} at column {i + 1}")
    if special and (tok := special_token_text(text)):
        how = "" if tok in text else "after NFKC, "
        out.append(f"special-token text {tok!r} ({how}it would become a real token)")
    return out


def normalise_target(text: str) -> str:
    """A correction as the scorer compares it: surrounding whitespace stripped (evaluate.exact.is_exact)."""
    return text.strip()


class Stream:
    """fix's decoding loop over the text pieces of sampled tokens, one `push` per token.

    `push` returns True when decoding stops (that piece, if it holds a stop text, is not kept): a piece
    holding a stop text; the token cap; and, for a one-line consumer, a trimmed answer that holds a newline
    (leading newlines do not end it). Text from `<think>` to `</think>` is dropped, and whitespace-only
    pieces right after `</think>` are skipped. `answer()` is the cleaned answer (`clean_answer`).
    """

    def __init__(self, decoding: Decoding = FIX):
        self.decoding = decoding
        self.text = ""  # what fix keeps, before clean-up
        self.tokens = 0  # pieces pushed (tokens sampled, a stop token included)
        self._in_think = self._after_think = False

    def push(self, piece: str) -> bool:
        d = self.decoding
        self.tokens += 1
        if any(stop in piece for stop in d.stop_texts):
            return True
        if THINK_OPEN in piece:
            self._in_think = True
        elif self._in_think:
            if THINK_CLOSE in piece:
                self._in_think, self._after_think = False, True
        elif self._after_think and not piece.strip():
            pass
        else:
            self._after_think = False
            self.text += piece
            trimmed = self.text.strip()
            if d.one_line and trimmed and "\n" in trimmed:
                return True
            if d.max_lines is not None and trimmed.count("\n") + 1 > d.max_lines:
                return True
        return self.tokens >= d.max_tokens

    def answer(self) -> str:
        return clean_answer(self.text)


def clean_answer(text: str) -> str:
    """fix's clean-up: trim; strip one leading `command >`, `command>`, `command 2>&1` or `Command:`; trim;
    keep the first line; trim."""
    text = text.strip()
    for prefix in ANSWER_PREFIXES:
        if text.startswith(prefix):
            text = text[len(prefix) :].strip()
            break
    return text.split("\n", 1)[0].strip() if text else ""


def decode_text(pieces: list[str], decoding: Decoding = FIX) -> str:
    """The answer fix would print for a model that generates `pieces`, one per token (golden tests)."""
    stream = Stream(decoding)
    for piece in pieces:
        if stream.push(piece):
            break
    return stream.answer()


def clean_completion(text: str) -> str:
    """A whole completion text read as fix reads it (the thefuck baseline and llama.cpp CLI outputs):
    cut at a stop text, `<think>` blocks dropped, then `clean_answer`."""
    for stop in FIX.stop_texts:
        text = text.split(stop, 1)[0]
    text = re.sub(r"<think>.*?(</think>\s*|$)", "", text, flags=re.S)
    return clean_answer(text)
