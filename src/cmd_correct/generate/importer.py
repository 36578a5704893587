"""generate.source: import: rows another tool wrote, read from the *.jsonl files of one folder (data/import).

Each line is one of two forms (a line with `messages` is a chat row, any other a generate row):
- a generate row: exactly the fields generate writes (`rowcheck.SCHEMA`: id, shell, family, category, tool,
  command, correction, edit, error, group, split, slots; `prompt_shell` on alias rows; `tool_results` on
  every row when base.consumer is wit, and on none when it is fix);
- a chat row, as prepare writes it: `messages` [system, user, assistant] in the chosen consumer's format
  (contract.CONSUMERS), with `family` and `category` (validate holds the data to generate's family mix and
  to the identity rule) and `error` (null when left out). The shell is the system prompt's (one of
  contract.PROMPT_SHELLS; an alias becomes `prompt_shell`), the command is the user turn (wit's: its
  `Input:` line, and its tool results read back in wit's order), the correction the assistant turn.
  prepare's other fields may be there: shell, prompt_shell, command and tool_results must say what the
  messages say, and id is derived again. A chat row gets `tool` and `edit` "imported" (unknown), its group
  by its correction (`rows.group_key`), no split (prepare places it by group) and no slots.

Every row goes through validate's row checks (`rowcheck.check_row`) here, so a problem names the imported
file, its line and the field (a chat row's as its messages hold it); every problem is collected, then one
DataErrors. Lengths and the dataset checks (shares, duplicates, groups) are the validate stage's, on the
written data. Files are read in sorted name order, lines in order; files not named *.jsonl (the folder's
README.md) are ignored; ids are derived as generate derives them (shell + hash of the input).
"""

from __future__ import annotations

from pathlib import Path

from .. import contract
from ..errors import DataError, DataErrors
from ..io import iter_jsonl_lenient
from ..progress import Progress, noop_progress
from ..rowcheck import check_row, field_name, quoted
from .rows import group_key
from .writer import row_id

IMPORTED = "imported"  # a chat row's `tool` and `edit`: the other tool does not say
ROLES = ("system", "user", "assistant")
CHAT_FIELDS = ("messages", "family", "category", "error")  # what a chat row carries beside prepare's derived fields
DERIVED = ("shell", "prompt_shell", "command", "tool_results", "id")  # prepare writes them: checked, or derived (id)
INPUT, RESULTS = "Input: ", "Tool results:\n"  # wit's user turn (contract.user_turn renders it)


def files(folder: str | Path) -> list[Path]:
    """The *.jsonl files in `folder`, sorted by name; DataError when the folder is missing or holds none."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(folder, None, None, "folder not found (generate.source is import: put the *.jsonl here)")
    found = sorted((p for p in folder.iterdir() if p.name.endswith(".jsonl")), key=lambda p: p.name)
    if not found:
        raise DataError(folder, None, None, "no *.jsonl file to import (generate.source is import)")
    return found


def read(paths: list[Path], consumer: str, progress: Progress = noop_progress) -> tuple[dict[str, list[dict]], int]:
    """Rows per family from `paths`, in file and line order, and the row count; DataErrors listing every problem."""
    families: dict[str, list[dict]] = {f: [] for f in contract.FAMILIES}
    problems: list[DataError] = []
    done = 0
    for path in paths:
        if not path.is_file():
            problems.append(DataError(path, None, None, "not a file"))
            continue
        lines = 0
        try:
            for line, obj in iter_jsonl_lenient(path):
                lines += 1
                if isinstance(obj, DataError):
                    problems.append(obj)
                    continue
                read_one = from_chat if "messages" in obj else from_row
                row, bad = read_one(path, line, obj, consumer)
                problems += bad
                if not bad:
                    families[row["family"]].append(row)
                    done += 1
                    if done % 10000 == 0:
                        progress("generate: import", done, None)
        except UnicodeDecodeError as e:
            problems.append(DataError(path, None, None, f"not UTF-8: {e.reason}"))
            continue
        if lines == 0:
            problems.append(DataError(path, None, None, "empty file (no rows)"))
    if problems:
        raise DataErrors(problems)
    progress("generate: import", done, done)
    return families, done


def from_row(path: Path, line: int, obj: dict, consumer: str) -> tuple[dict, list[DataError]]:
    """A generate row as it stands, with validate's row checks and the consumer's rule on `tool_results`."""
    problems = check_row(path, line, obj, None)
    if contract.get(consumer).tool_results and "tool_results" not in obj:
        reason = f"missing field (base.consumer is {consumer!r}: what its tools said, [] when nothing)"
        problems.append(DataError(path, line, "tool_results", reason))
    return obj, problems + _results_not_sent(path, line, obj, consumer)


def _results_not_sent(path: Path, line: int, obj: dict, consumer: str) -> list[DataError]:
    """A row with tool results under a consumer whose prompt carries none (fix), which prepare refuses too."""
    if contract.get(consumer).tool_results or not obj.get("tool_results"):
        return []
    return [DataError(path, line, "tool_results", f"base.consumer is {consumer!r}, whose prompt carries none")]


def from_chat(path: Path, line: int, obj: dict, consumer: str) -> tuple[dict, list[DataError]]:
    """A chat row mapped back to a generate row, with validate's row checks under the messages' field names."""
    problems = [
        DataError(path, line, field_name(k), "unknown field") for k in obj if k not in CHAT_FIELDS and k not in DERIVED
    ]
    turns = _turns(obj["messages"])
    if isinstance(turns, str):
        return obj, [*problems, DataError(path, line, "messages", turns)]
    system, user, answer = turns
    try:
        name = prompt_shell(system, consumer)
    except ValueError as e:
        return obj, [*problems, DataError(path, line, "messages[0].content", str(e))]
    wit = contract.get(consumer).tool_results
    try:
        command, results = parse_user_turn(user, name) if wit else (user, None)
    except ValueError as e:
        return obj, [*problems, DataError(path, line, "messages[1].content", str(e))]
    shell = contract.dialect(name)
    row = {
        "id": row_id(shell, command),
        "shell": shell,
        **{k: obj[k] for k in ("family", "category") if k in obj},  # missing: the row check names it
        "tool": IMPORTED,
        "command": command,
        "correction": answer,
        "edit": IMPORTED,
        "error": obj.get("error"),
        "group": group_key(answer),
        "split": None,
        "slots": {},
        **({"prompt_shell": name} if name != shell else {}),
        **({"tool_results": results} if wit else {}),
    }
    said = {"shell": shell, "prompt_shell": row.get("prompt_shell"), "command": command}
    if wit:
        said["tool_results"] = results
    problems += _results_not_sent(path, line, obj, consumer)
    for key, value in said.items():
        if key in obj and obj[key] != value:
            what = "the tool results in the user turn" if key == "tool_results" else quoted(value)
            problems.append(DataError(path, line, key, f"{quoted(obj[key])}, but the messages say {what}"))
    where = {
        "shell": "messages[0].content",
        "prompt_shell": "messages[0].content",
        "command": "messages[1].content: Input" if wit else "messages[1].content",
        "tool_results": "messages[1].content: Tool results",
        "correction": "messages[2].content",
    }
    problems += [
        DataError(p.path, p.line, where.get(p.field, p.field), p.reason) for p in check_row(path, line, row, None)
    ]
    return row, problems


def _turns(messages: object) -> tuple[str, str, str] | str:
    """The system, user and assistant texts of `messages`, or why they are not those three turns."""
    if not isinstance(messages, list) or len(messages) != len(ROLES):
        got = f"{len(messages)} turns" if isinstance(messages, list) else quoted(messages)
        return f"expected [system, user, assistant] turns, got {got}"
    texts = []
    for i, (turn, role) in enumerate(zip(messages, ROLES, strict=True)):
        if not isinstance(turn, dict) or set(turn) != {"role", "content"}:
            return f"[{i}]: expected {{role, content}}"
        if turn["role"] != role:
            return f"[{i}].role: expected {role!r}, got {quoted(turn['role'])}"
        if not isinstance(turn["content"], str):
            return f"[{i}].content: expected str, got {quoted(turn['content'])}"
        texts.append(turn["content"])
    return tuple(texts)


def prompt_shell(system: str, consumer: str) -> str:
    """The shell name in `consumer`'s system prompt `system` (one of contract.PROMPT_SHELLS); ValueError saying
    why not: another consumer's prompt, an unknown shell, or not the prompt at all."""
    before, after = contract.get(consumer).system_template.split("{shell}")
    if system.startswith(before) and system.endswith(after) and len(system) > len(before) + len(after):
        name = system[len(before) : len(system) - len(after)]
        if name not in contract.PROMPT_SHELLS:
            raise ValueError(f"unknown shell {quoted(name)} (one of {', '.join(contract.PROMPT_SHELLS)})")
        return name
    other = contract.system_prompts().get(system)
    if other:
        raise ValueError(f"{other[0]}'s system prompt, but base.consumer is {consumer!r}")
    raise ValueError(f"not {consumer}'s system prompt ({quoted(contract.get(consumer).system_template)})")


def parse_user_turn(user: str, shell: str) -> tuple[str, list[dict]]:
    """wit's user turn read back: the command and its tool results [{tool, arg, output}]. The results are read
    against the calls wit makes for that command, in its order, and the turn must render back to itself
    (contract.user_turn), so the format stays defined there; ValueError saying why not."""
    if not user.startswith(INPUT) or "\n\n" not in user:
        raise ValueError(f"expected wit's user turn: {INPUT!r}, the command, a blank line, then any {RESULTS!r}")
    command, rest = user[len(INPUT) :].split("\n\n", 1)
    results: list[dict] = []
    if rest:
        if not rest.startswith(RESULTS):
            raise ValueError(f"after the command's blank line: expected {RESULTS!r} or nothing")
        body, calls, at = rest[len(RESULTS) :], contract.wit_calls(shell, command), 0
        while body:
            header = next(
                (i for i in range(at, len(calls)) if body.startswith(f"- {calls[i][0]}({calls[i][1]}): ")), None
            )
            if header is None:
                first = body.split("\n", 1)[0]
                raise ValueError(
                    f"tool result {quoted(first)} is not a call wit makes for this command (in order: {calls})"
                )
            tool, arg = calls[header]
            body = body[len(f"- {tool}({arg}): ") :]
            ends = [e for t, a in calls[header + 1 :] if (e := body.find(f"\n- {t}({a}): ")) >= 0]
            end = min(ends) if ends else len(body) - 1  # the last result runs to the turn's final newline
            results.append({"tool": tool, "arg": arg, "output": body[:end]})
            body, at = body[end + 1 :], header + 1
    if contract.user_turn(command, contract.tool_results(results), consumer="wit") != user:
        raise ValueError("not as wit renders its user turn (`- tool(arg): output` lines, each ending in a newline)")
    return command, results
