"""The row helpers templates and mistakes share: a row dict, its split group, a shell's action template."""

from __future__ import annotations

import hashlib

from . import catalogue as cat


def group_key(correction: str) -> str:
    """The split group: one per correct command text, whatever the shell or the broken form."""
    return "c-" + hashlib.sha1(correction.encode()).hexdigest()[:16]


def row(shell, family, category, tool, command, correction, edit, error) -> dict:
    """One generated row (rowcheck.SCHEMA names and checks each key)."""
    return {
        "shell": shell,
        "family": family,
        "category": category,
        "tool": tool,
        "command": command,
        "correction": correction,
        "edit": edit,
        "error": error,
        "group": group_key(correction),
    }


def action_template(action: str, shell: str) -> str | None:
    """`action`'s command template in `shell` (its own, else the POSIX one for a POSIX shell), or None."""
    per_shell = cat.ACTIONS[action][0]
    if shell in per_shell:
        return per_shell[shell]
    return per_shell.get("posix") if shell in cat.POSIX else None
