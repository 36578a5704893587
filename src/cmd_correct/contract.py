"""The consumer contract, defined once: shells, families, and the two programs that load the released model,
`fix` (command in, command out) and `wit` (command plus what the user's machine says): each one's exact
prompt, user turn, decoding, clean-up and default Hub file (`CONSUMERS`, `Stream`, `clean_answer`).

Training data (prepare), evaluation, the baseline and every inference helper build their prompts and
read their answers here; `base.consumer` in params.yaml chooses one per run. The facts come from the
CLIs' own source (../shared/CONSUMER.md).
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
WIT_SYSTEM_TEMPLATE = (
    "You are a shell command assistant for {shell}. Use the provided tool results to generate the correct command. "
    "/no_think"
)
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
    cleanup: str = "fix"  # fix: strip a `Command:`-like prefix, keep the first line; wit: strip one leading `|`


FIX = Decoding(max_tokens=128, n_ctx=512)  # fix's decoding (CONSUMER.md "fix")
WIT = Decoding(max_tokens=256, n_ctx=1024, one_line=False, max_lines=10, cleanup="wit")  # CONSUMER.md "wit"
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


def system_prompt(shell: str, *, known: bool = True, consumer: str = "fix") -> str:
    """The system message `consumer` sends for `shell`. With `known` (data, training, evaluation) the name
    must be one of PROMPT_SHELLS; without it (the `correct` command, as the CLIs do) any one-word name is put
    in verbatim."""
    if known and shell not in PROMPT_SHELLS:
        raise ValueError(f"unknown shell {shell!r}; expected one of {', '.join(PROMPT_SHELLS)}")
    if not known and not SHELL_NAME.fullmatch(shell):
        raise ValueError(f"shell name {shell!r}: expected one word of letters, digits, '.', '_', '+', '-'")
    return get(consumer).system_template.format(shell=shell)


def messages(shell: str, user: str, correction: str | None = None, *, consumer: str = "fix") -> list[dict[str, str]]:
    """Chat messages (the `messages` jsonl format mlx-lm and transformers read). `user` is the user turn as
    the consumer sends it: fix's is the command, wit's is `user_turn(command, results)`."""
    out = [
        {"role": "system", "content": system_prompt(shell, consumer=consumer)},
        {"role": "user", "content": user},
    ]
    if correction is not None:
        out.append({"role": "assistant", "content": correction})
    return out


def render_prompt(shell: str, user: str, *, known: bool = True, consumer: str = "fix") -> str:
    """The exact text the consumer's CLI feeds llama.cpp for the user turn `user`, ending where the assistant
    starts to answer."""
    system = system_prompt(shell, known=known, consumer=consumer)
    return f"{IM_START}system\n{system}{IM_END}\n{IM_START}user\n{user}{IM_END}\n{IM_START}assistant\n"


def render_answer(correction: str) -> str:
    """The assistant turn as the chat template closes it: correction, end-of-turn, newline (what training learns)."""
    return f"{correction}{IM_END}\n"


def render_conversation(shell: str, user: str, correction: str, *, consumer: str = "fix") -> str:
    """A whole ChatML conversation: the prompt, the answer and the closing end-of-turn token."""
    return render_prompt(shell, user, consumer=consumer) + render_answer(correction)


# --- wit's tools (CONSUMER.md "wit"): which it runs, how a result is kept and rendered ---------------------

TOOLS: tuple[str, ...] = ("list_similar", "which_binary", "help_output")
# The tools wit checks a near miss against, in its order: the first within NEAR_MISS_DISTANCE of the first word.
NEAR_MISS_TOOLS: tuple[str, ...] = ("git", "docker", "npm", "cargo", "python", "pip", "kubectl", "make")
NEAR_MISS_DISTANCE = 2
RESULT_CHARS = 200  # a kept result is cut to this many characters, then `...` is appended
RESULT_CUT = "..."


@dataclass(frozen=True)
class ToolResult:
    """One tool call wit made and what it printed (already kept: successful and non-empty)."""

    tool: str  # one of TOOLS
    arg: str  # the argument it was called with
    output: str  # what it printed, as kept (`keep_output`)

    def line(self) -> str:
        return f"- {self.tool}({self.arg}): {self.output}\n"


def levenshtein(a: str, b: str) -> int:
    """Edit distance (insert, delete, substitute one character), as wit compares a first word to its tools."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def wit_calls(shell: str, command: str) -> list[tuple[str, str]]:
    """The (tool, arg) calls wit makes for `command`, in its order of selection (results keep this order)."""
    words = command.split()
    if not words:
        return []
    first = words[0]
    calls = [("list_similar", first)]
    if len(first) >= 2:
        calls.append(("which_binary", first))
    near = next((t for t in NEAR_MISS_TOOLS if t != first and levenshtein(first, t) <= NEAR_MISS_DISTANCE), None)
    if near:
        calls += [("which_binary", near), ("help_output", near)]
    if dialect(shell) in ("powershell", "cmd") and first.startswith(("Get-", "Set-")):
        calls.append(("help_output", first))
    return calls


def keep_output(output: str | None) -> str | None:
    """A tool's output as wit keeps it: None for a failed or empty call (left out of the prompt), else the
    trimmed text (newlines kept) cut at RESULT_CHARS characters plus `...`."""
    if output is None or not output.strip():
        return None
    text = output.strip()
    return text[:RESULT_CHARS] + RESULT_CUT if len(text) > RESULT_CHARS else text


def tool_results(raw: object) -> tuple[ToolResult, ...]:
    """A row's `tool_results` field (a list of {tool, arg, output}; None: none) as ToolResults. The row checks
    (`result_problems`) run first in validate; this only reads."""
    return tuple(ToolResult(r["tool"], r["arg"], r["output"]) for r in raw or ())


def _is_str(value: object) -> bool:
    return isinstance(value, str)


def result_problems(shell: str, command: str, raw: object) -> list[str]:
    """Why a row's `tool_results` is not what wit would send for `command` on `shell`: not a list of
    {tool, arg, output} strings; a call wit does not make, or out of its order; an output wit would leave out
    (empty) or would have cut (over RESULT_CHARS without `...`); text that must not reach a prompt."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        return ["expected a list of {tool, arg, output}"]
    out, calls = [], wit_calls(shell, command)
    at = 0
    for i, r in enumerate(raw):
        if (
            not isinstance(r, dict)
            or set(r) != {"tool", "arg", "output"}
            or not all(isinstance(v, str) for v in r.values())
        ):
            out.append(f"[{i}]: expected {{tool, arg, output}} strings")
            continue
        call = (r["tool"], r["arg"])
        if call not in calls[at:]:
            out.append(f"[{i}]: {r['tool']}({r['arg']}) is not a call wit makes for this command here (order: {calls})")
            continue
        at = calls.index(call, at) + 1
        if keep_output(r["output"]) != r["output"]:
            out.append(f"[{i}]: output is not as wit keeps it (trimmed, non-empty, cut at {RESULT_CHARS} + '...')")
        out += [f"[{i}].output: {why}" for why in text_problems(r["output"])]
    return out


def user_turn(command: str, results: tuple[ToolResult, ...] | list[ToolResult] = (), *, consumer: str = "fix") -> str:
    """The user turn `consumer` sends: fix's is the command; wit's is `Input: {command}` and a blank line, then
    `Tool results:` and one line per kept result when any exists. fix sends no tool results."""
    if not get(consumer).tool_results:
        if results:
            raise ValueError(f"{consumer} sends no tool results")
        return command
    text = f"Input: {command}\n\n"
    if results:
        text += "Tool results:\n" + "".join(r.line() for r in results)
    return text


@dataclass(frozen=True)
class Consumer:
    """A program that loads the released GGUF: its prompt, decoding and the Hub file its CLI downloads."""

    name: str
    system_template: str  # the system message, `{shell}` filled with the shell name
    decoding: Decoding
    hub_file: str  # the model name (`<hub_file>.gguf` at the repo root) its CLI downloads by default
    tool_results: bool  # whether the user turn carries tool results (`user_turn`)


CONSUMERS: dict[str, Consumer] = {
    "fix": Consumer("fix", SYSTEM_TEMPLATE, FIX, "qwen3-correct-0.6B", tool_results=False),
    "wit": Consumer("wit", WIT_SYSTEM_TEMPLATE, WIT, "qwen3-wit-1.7B", tool_results=True),
}


def get(name: str) -> Consumer:
    """The consumer called `name` (params.yaml `base.consumer`); ValueError naming the known ones."""
    if name not in CONSUMERS:
        raise ValueError(f"unknown consumer {name!r}; expected one of {', '.join(CONSUMERS)}")
    return CONSUMERS[name]


def system_prompts() -> dict[str, tuple[str, str]]:
    """Every system message a training row may carry -> (consumer, shell name)."""
    return {system_prompt(s, consumer=c): (c, s) for c in CONSUMERS for s in PROMPT_SHELLS}


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
        return clean_answer(self.text, self.decoding)


def clean_answer(text: str, decoding: Decoding = FIX) -> str:
    """The consumer's clean-up. fix: trim; strip one leading `command >`, `command>`, `command 2>&1` or
    `Command:`; trim; keep the first line; trim. wit: trim; strip one leading `| ` or `|`; trim (the last
    trim is ours: CONSUMER.md does not say, and the scorer compares trimmed text anyway). wit keeps lines."""
    text = text.strip()
    if decoding.cleanup == "wit":
        for prefix in ("| ", "|"):
            if text.startswith(prefix):
                return text[len(prefix) :].strip()
        return text
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


def clean_completion(text: str, decoding: Decoding = FIX) -> str:
    """A whole completion text read as the consumer reads it (the thefuck baseline and llama.cpp CLI outputs):
    cut at a stop text, `<think>` blocks dropped, then `clean_answer`."""
    for stop in decoding.stop_texts:
        text = text.split(stop, 1)[0]
    text = re.sub(r"<think>.*?(</think>\s*|$)", "", text, flags=re.S)
    return clean_answer(text, decoding)
