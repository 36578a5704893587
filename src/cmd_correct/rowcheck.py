"""The per-row checks of the dataset, defined once: every row validate and prepare read (`validate.read_rows`)
and every row generate imports from another tool (`generate.importer`) goes through `check_row`.

Its own module, below validate and generate: validate imports generate (its mutations and Params), so
generate's importer can run these checks only from here without an import circle.
"""

from __future__ import annotations

import re
from pathlib import Path

from . import contract
from .errors import DataError
from .paths import SPLITS

# field -> allowed types; `error` may be null, everything else is a non-empty string.
SCHEMA: dict[str, tuple[type, ...]] = {
    "id": (str,),
    "shell": (str,),
    "family": (str,),
    "category": (str,),
    "tool": (str,),
    "command": (str,),
    "correction": (str,),
    "edit": (str,),
    "error": (str, type(None)),
    "group": (str,),  # the split group (generate.rows.group_key): prepare keeps a group in one split
    "split": (str, type(None)),  # the split the row's slot values belong to; null: prepare places it by group
    "slots": (dict,),  # slot name -> the value the row shows (generate.slots); {} when none
}
# C0 and C1 controls but tab and newline (a newline is its own "spans lines" problem), which covers ANSI
# escapes and a bare \r, plus the Unicode line and paragraph separators that split lines elsewhere.
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
# Optional fields: the prompt's shell name on alias rows (contract.ALIASES); on wit rows, what wit's tools said
# ([{tool, arg, output}], contract.result_problems: the calls, order and cut wit makes).
OPTIONAL: dict[str, tuple[type, ...]] = {"prompt_shell": (str,), "tool_results": (list,)}
PROMPT_FIELDS = ("command", "correction")  # the text that reaches the prompt, the answer and calibration.txt
SPECIAL_FIELDS = (*PROMPT_FIELDS, "error")  # refused special-token text (contract.text_problems); Cf/Cs: every text
SHOW_CHARS = 40  # a value quoted in a problem is cut to about this many characters


def quoted(value: object) -> str:
    """A value as a problem quotes it: a string's repr (escapes name odd characters) cut to SHOW_CHARS, and
    only the type of anything else (a huge or deeply nested value must not make the message itself huge)."""
    if not isinstance(value, str):
        return "null" if value is None else type(value).__name__
    text = repr(value[: SHOW_CHARS + 1])
    return text if len(value) <= SHOW_CHARS else f"{text[:-1]}...{text[-1]} ({len(value)} characters)"


def field_name(key: str) -> str:
    """An unknown field's name as a problem names it: itself when plain, else quoted and cut."""
    return key if key.isidentifier() and key.isascii() and len(key) <= SHOW_CHARS else quoted(key)


def check_row(
    path: Path, line: int, row: dict, family: str | None, limits: dict[str, int] | None = None
) -> list[DataError]:
    """Every schema and content problem of one row (empty when the row is fine); `limits`: field -> max chars."""
    out = []
    for name, types in SCHEMA.items():
        if name not in row:
            out.append(DataError(path, line, name, "missing field"))
            continue
        value = row[name]
        if not isinstance(value, types):
            want = " or ".join("null" if t is type(None) else t.__name__ for t in types)
            got = "null" if value is None else type(value).__name__
            reason = "null correction" if name == "correction" and value is None else f"expected {want}, got {got}"
            out.append(DataError(path, line, name, reason))
        elif isinstance(value, str):
            if name != "error" and not value.strip():
                out.append(DataError(path, line, name, "empty"))
            if m := CONTROL.search(value):
                out.append(DataError(path, line, name, f"control character {m.group(0)!r} at column {m.start() + 1}"))
            special = name in SPECIAL_FIELDS
            out += [DataError(path, line, name, why) for why in contract.text_problems(value, special=special)]
            if limits and name in limits and len(value) > limits[name]:
                key = "max_error_chars" if name == "error" else "max_chars"
                out.append(DataError(path, line, name, f"{len(value)} characters > validate.{key} {limits[name]}"))
    out += [DataError(path, line, field_name(k), "unknown field") for k in row if k not in SCHEMA and k not in OPTIONAL]
    if isinstance(row.get("shell"), str) and row["shell"] not in contract.SHELLS:
        out.append(DataError(path, line, "shell", f"unknown shell {quoted(row['shell'])}"))
    if "prompt_shell" in row:
        alias = row["prompt_shell"]
        if not isinstance(alias, str) or contract.ALIASES.get(alias) != row.get("shell"):
            reason = f"{quoted(alias)} is not an alias of {quoted(row.get('shell'))}"
            out.append(DataError(path, line, "prompt_shell", reason))
    fam = row.get("family")
    if isinstance(fam, str):
        if fam not in contract.FAMILIES:
            out.append(DataError(path, line, "family", f"unknown family {quoted(fam)}"))
        elif family is not None and fam != family:
            out.append(DataError(path, line, "family", f"{fam!r} row in the {family!r} file"))
    cmd, fix = row.get("command"), row.get("correction")
    split, slots = row.get("split"), row.get("slots")
    if isinstance(split, str) and split not in SPLITS:
        reason = f"unknown split {quoted(split)} (one of {', '.join(SPLITS)} or null)"
        out.append(DataError(path, line, "split", reason))
    if isinstance(slots, dict):
        if slots and "split" in row and split is None:
            out.append(DataError(path, line, "split", "null, but the row has slot values: they need their split"))
        for key, value in slots.items():
            name = field_name(key)  # slot names go into VALIDATION_JSON: the same characters are refused there
            out += [DataError(path, line, "slots", f"slot name {name}: {why}") for why in contract.text_problems(key)]
            if not isinstance(value, str) or not value.strip():
                out.append(DataError(path, line, "slots", f"{name}: expected a non-empty string, got {quoted(value)}"))
                continue
            out += [DataError(path, line, "slots", f"{name}: {why}") for why in contract.text_problems(value)]
            if isinstance(cmd, str) and isinstance(fix, str) and value not in cmd and value not in fix:
                out.append(
                    DataError(path, line, "slots", f"{name} value {quoted(value)} is in neither command nor correction")
                )
    if isinstance(cmd, str) and isinstance(fix, str):
        identity = row.get("category") == contract.IDENTITY
        if cmd.strip() == fix.strip() and not identity:
            out.append(DataError(path, line, "correction", "equals the input (null correction)"))
        if identity and cmd != fix:
            out.append(DataError(path, line, "correction", "an identity row must map its command to itself"))
        if "\n" in fix:
            out.append(DataError(path, line, "correction", "spans lines (one command per answer)"))
        if "\n" in cmd:
            out.append(DataError(path, line, "command", "spans lines"))
    if "tool_results" in row and isinstance(cmd, str):
        out += _tool_result_problems(path, line, row, cmd)
    return out


def _tool_result_problems(path: Path, line: int, row: dict, cmd: str) -> list[DataError]:
    """A wit row's tool results against the contract: the calls wit makes, in its order, kept as it keeps them,
    no control character but a newline, and a prompt `contract.render_prompt` renders for wit."""
    name = row.get("prompt_shell") or row.get("shell")
    out = [
        DataError(path, line, "tool_results", why)
        for why in contract.result_problems(str(name), cmd, row["tool_results"])
    ]
    if out:
        return out
    for i, r in enumerate(row["tool_results"]):
        if m := CONTROL.search(r["output"]):
            where = f"[{i}].output"
            out.append(
                DataError(path, line, "tool_results", f"{where}: control character {m.group(0)!r} at {m.start() + 1}")
            )
    try:
        user = contract.user_turn(cmd, contract.tool_results(row["tool_results"]), consumer="wit")
        contract.render_prompt(str(name), user, consumer="wit")
    except ValueError as e:  # an unknown shell: reported once, by the shell check
        if row.get("shell") in contract.SHELLS:
            out.append(DataError(path, line, "tool_results", str(e)))
    return out
