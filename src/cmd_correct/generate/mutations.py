"""Word-level mutations that turn a correct command into a plausible broken one, and the edit measure.

Every mutation takes a `random.Random` and returns a new word (or None when it cannot apply), so the
generator stays deterministic for a seed.
"""

from __future__ import annotations

import random
import re

# QWERTY neighbours: the keys a finger slips onto.
_ROWS = ("1234567890-", "qwertyuiop[", "asdfghjkl;'", "zxcvbnm,./")
ADJACENT: dict[str, str] = {}
for r, row in enumerate(_ROWS):
    for c, ch in enumerate(row):
        near = [row[c - 1] if c else "", row[c + 1] if c + 1 < len(row) else ""]
        for rr in (r - 1, r + 1):
            if 0 <= rr < len(_ROWS):
                near += [_ROWS[rr][cc] for cc in (c - 1, c, c + 1) if 0 <= cc < len(_ROWS[rr])]
        ADJACENT[ch] = "".join(sorted({n for n in near if n.isalpha()}))

TYPOS = ("adjacent-key", "transpose", "deletion", "insertion")


def _letters(word: str) -> list[int]:
    return [i for i, ch in enumerate(word) if ch.isalpha()]


def typo(word: str, kind: str, rng: random.Random) -> str | None:
    """One keyboard slip of `kind` in `word`; None when the word is too short or the slip is a no-op."""
    idx = _letters(word)
    if len(idx) < 2:
        return None
    if kind == "adjacent-key":
        i = rng.choice(idx)
        near = ADJACENT.get(word[i].lower(), "")
        if not near:
            return None
        out = word[:i] + rng.choice(near) + word[i + 1 :]
    elif kind == "transpose":
        pairs = [i for i in idx if i + 1 < len(word) and word[i + 1].isalpha() and word[i] != word[i + 1]]
        if not pairs:
            return None
        i = rng.choice(pairs)
        out = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    elif kind == "deletion":
        if len(idx) < 3:
            return None
        i = rng.choice(idx)
        out = word[:i] + word[i + 1 :]
    elif kind == "insertion":
        i = rng.choice(idx)
        extra = rng.choice((word[i], rng.choice(ADJACENT.get(word[i].lower(), word[i]) or word[i])))
        out = word[: i + 1] + extra + word[i + 1 :]
    else:
        raise ValueError(f"unknown typo kind {kind!r}")
    return out if out != word else None


def flag_mistake(
    flag: str, rng: random.Random, long_mix: dict[str, float], short_double_dash: float
) -> tuple[str, str] | None:
    """A wrong spelling of a long or short flag: (edit name, wrong flag), or None.

    `long_mix` gives the shares of single-dash, flag-typo and flag-form mistakes of a long flag;
    `short_double_dash` the share of short flags written with two dashes (the rest: wrong case).
    """
    if flag.startswith("--") and len(flag) > 4:
        body = flag[2:]
        name, eq, value = body.partition("=")
        choice = rng.random()
        if choice < long_mix["single-dash"]:
            return "single-dash", "-" + body
        if choice < long_mix["single-dash"] + long_mix["flag-typo"]:
            wrong = typo(name, rng.choice(TYPOS), rng)
            return ("flag-typo", "--" + wrong + eq + value) if wrong else None
        if name.endswith("e"):
            return "flag-form", "--" + name[:-1] + "ing" + eq + value
        return "flag-form", "--" + name + "s" + eq + value
    if flag.startswith("-") and not flag.startswith("--") and len(flag) == 2 and flag[1].isalpha():
        # A short flag written as a long one (-f -> --f) or with the wrong case.
        if rng.random() < short_double_dash:
            return "double-dash", "-" + flag
        return "flag-case", "-" + flag[1].swapcase()
    if flag.startswith("-") and flag[1:2].isupper():  # PowerShell parameter: -Recurse -> -Recursive / --recurse
        wrong = typo(flag[1:], rng.choice(TYPOS), rng)
        if rng.random() < 0.5 or not wrong:
            return "unix-style-param", "--" + flag[1:].lower()
        return "param-typo", "-" + wrong
    return None


def within_one_edit(a: str, b: str) -> bool:
    """True when `a` and `b` differ by at most one character edit (insert, delete, substitute, or
    swap of two neighbours), i.e. optimal-string-alignment distance <= 1. Linear time."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    i = 0
    n = min(len(a), len(b))
    while i < n and a[i] == b[i]:
        i += 1
    j = 0
    while j < n - i and a[len(a) - 1 - j] == b[len(b) - 1 - j]:
        j += 1
    ra, rb = a[i : len(a) - j], b[i : len(b) - j]
    if len(ra) <= 1 and len(rb) <= 1:
        return True
    return len(ra) == len(rb) == 2 and ra == rb[::-1]


_SPACES = re.compile(r"\s+")


def near_key(shell: str, command: str) -> tuple[str, str]:
    """Inputs that differ only in case, spacing or a trailing '?' count as near-duplicates."""
    return shell, _SPACES.sub(" ", command.lower()).strip().rstrip("?").strip()
