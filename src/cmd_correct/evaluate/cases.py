"""Evaluation cases: the test split, checked against the contract, and its stratified sample."""

from __future__ import annotations

import hashlib
import random
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from .. import contract
from ..errors import DataError, DataErrors
from ..io import iter_jsonl


@dataclass(frozen=True)
class Case:
    id: str
    shell: str  # the dialect (contract.SHELLS)
    family: str
    command: str  # the broken input or request (the user turn)
    expected: str  # the reference correction (the assistant turn)
    error: str | None = None  # the error message a real shell printed (final rows carry it; None: none)
    prompt_shell: str | None = None  # the name in the prompt when it is an alias (sh, pwsh, ...); None: `shell`
    category: str | None = None  # the row's mistake class (identity: a valid command kept as it is)
    tool_results: tuple[contract.ToolResult, ...] = ()  # wit: what its tools said about `command`
    user: str | None = None  # the user turn the consumer sends (wit: command + tool results); None: `command`

    @property
    def turn(self) -> str:
        """The user turn a model is prompted with."""
        return self.command if self.user is None else self.user

    @property
    def name(self) -> str:
        """The shell name the prompt carries (what fix sends)."""
        return self.prompt_shell or self.shell

    @property
    def broken(self) -> bool:
        """Whether the input needs a change (not a valid command that must come back unchanged)."""
        return self.command.strip() != self.expected.strip()


def load_cases(path: Path, consumer: str = "fix") -> list[Case]:
    """Read test.jsonl; every row's messages must be exactly `contract.messages(...)` of its fields for
    `consumer` (wit rows: of their `command` and `tool_results`).

    That check is what ties training and evaluation to the one prompt definition: a split written with
    another prompt (or for the other consumer) is refused, listing every bad line.
    """
    wit = contract.get(consumer).tool_results
    path = Path(path)
    if not path.is_file():
        raise DataError(path, None, None, "test split not found (run prepare)")
    cases, problems = [], []
    for lineno, row in iter_jsonl(path):
        shell, family, msgs = row.get("shell"), row.get("family"), row.get("messages")
        name = row.get("prompt_shell") or shell
        if shell not in contract.SHELLS:
            problems.append(DataError(path, lineno, "shell", f"unknown shell {shell!r}"))
            continue
        if name not in contract.PROMPT_SHELLS or contract.dialect(name) != shell:
            problems.append(DataError(path, lineno, "prompt_shell", f"{name!r} is not a name of the {shell} dialect"))
            continue
        if family not in contract.FAMILIES:
            problems.append(DataError(path, lineno, "family", f"unknown family {family!r}"))
            continue
        if not isinstance(msgs, list) or len(msgs) != 3 or not all(isinstance(m, dict) for m in msgs):
            problems.append(DataError(path, lineno, "messages", "expected [system, user, assistant] messages"))
            continue
        user, expected = msgs[1].get("content"), msgs[2].get("content")
        if not isinstance(user, str) or not isinstance(expected, str):
            problems.append(DataError(path, lineno, "messages", "user/assistant content must be strings"))
            continue
        command, results = user, ()
        if wit:
            command, raw = row.get("command"), row.get("tool_results")
            why = contract.result_problems(name, command, raw) if isinstance(command, str) else ["no command"]
            if why:
                problems.append(DataError(path, lineno, "tool_results", f"not a wit row: {why[0]}"))
                continue
            results = contract.tool_results(raw)
        if msgs != contract.messages(
            name, contract.user_turn(command, results, consumer=consumer), expected, consumer=consumer
        ):
            problems.append(
                DataError(
                    path,
                    lineno,
                    "messages",
                    f"not contract.messages(shell, command, correction) for {consumer}: the split was written with a "
                    "different prompt",
                )
            )
            continue
        error, category = row.get("error"), row.get("category")
        cases.append(
            Case(
                str(row.get("id", lineno)),
                shell,
                family,
                command,
                expected,
                error if isinstance(error, str) else None,
                name if name != shell else None,
                category if isinstance(category, str) else None,
                results,
                user if wit else None,
            )
        )
    if problems:
        raise DataErrors(problems)
    if not cases:
        raise DataError(path, None, None, "test split is empty")
    return cases


def identity_cases(cases: list[Case], n: int, seed: int, consumer: str = "fix") -> list[Case]:
    """`n` valid commands that must come back unchanged: the split's reference commands (natural-language
    rows' included) that are no row's input in the same dialect, each given as the input, stratified like
    the sample. They exist before any identity row is trained on, so the rate compares models alike."""
    inputs = {(c.shell, c.command.strip()) for c in cases}
    picked: dict[tuple[str, str, str], Case] = {}
    for c in cases:
        key = (c.name, c.family, c.expected.strip())
        if (c.shell, c.expected.strip()) in inputs or key in picked:
            continue
        user = contract.user_turn(c.expected, consumer=consumer) if contract.get(consumer).tool_results else None
        picked[key] = Case(
            f"identity:{c.id}", c.shell, c.family, c.expected, c.expected, None, c.prompt_shell, "identity", (), user
        )
    return stratified_sample(list(picked.values()), n, seed) if n > 0 else []


def without_tools(cases: list[Case], consumer: str) -> list[Case]:
    """The same cases with their tool results removed (wit prompts with `Input:` only): what grounding is worth."""
    return [
        Case(**{**c.__dict__, "tool_results": (), "user": contract.user_turn(c.command, consumer=consumer)})
        for c in cases
    ]


def attach_errors(cases: list[Case], generated_dir: Path | None) -> list[Case]:
    """Fill missing error messages from data/generated rows (joined by id), for splits written without them."""
    wanted = {c.id for c in cases if c.error is None}
    if generated_dir is None or not Path(generated_dir).is_dir() or not wanted:
        return cases
    errors: dict[str, str | None] = {}
    for f in sorted(Path(generated_dir).glob("*.jsonl")):
        for _, row in iter_jsonl(f):
            if row.get("id") in wanted:
                errors[row["id"]] = row.get("error")
    return [Case(**{**c.__dict__, "error": errors[c.id]}) if errors.get(c.id) else c for c in cases]


def stratified_sample(cases: list[Case], n: int, seed: int) -> list[Case]:
    """`n` cases spread over (shell, family) strata in proportion to their size; all of them if n <= 0.

    Largest-remainder allocation with at least one case per stratum (when n allows), so small shells
    still get a per-shell number; deterministic for a seed; returned in a stable order.
    """
    if n <= 0 or n >= len(cases):
        return list(cases)
    strata: dict[tuple[str, str], list[Case]] = defaultdict(list)
    for c in cases:
        strata[(c.shell, c.family)].append(c)
    keys = sorted(strata)
    floor_one = n >= len(keys)
    quota = {k: len(strata[k]) * n / len(cases) for k in keys}
    alloc = {k: max(int(quota[k]), 1 if floor_one else 0) for k in keys}
    by_remainder = sorted(keys, key=lambda k: (-(quota[k] - int(quota[k])), k))
    i = 0
    while sum(alloc.values()) < n:
        k = by_remainder[i % len(keys)]
        if alloc[k] < len(strata[k]):
            alloc[k] += 1
        i += 1
    while sum(alloc.values()) > n:  # the floor of one can overshoot: take back from the largest strata
        k = max(keys, key=lambda k: (alloc[k], k))
        alloc[k] -= 1
    rng = random.Random(seed)
    picked = [c for k in keys for c in rng.sample(strata[k], min(alloc[k], len(strata[k])))]
    return sorted(picked, key=lambda c: (c.shell, c.family, c.id))


def case_ids_sha256(sample: list[Case]) -> str:
    """Which cases a score is on: the hash of their ids (each a hash of shell and command), in order. Ties a baseline to
    evaluate's sample, and the gate's reference to this run."""
    return hashlib.sha256("\n".join(c.id for c in sample).encode()).hexdigest()
