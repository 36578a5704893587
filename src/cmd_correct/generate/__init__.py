"""generate: a deterministic synthetic dataset of broken shell commands and their corrections.

Usage: python -m cmd_correct generate OUT_DIR [--import-dir data/import] [--params params.yaml]

Writes OUT_DIR/<family>.jsonl (one file per contract.FAMILIES) and OUT_DIR/meta.json. The same seed
and params give byte-identical files. With `generate.source: import` the rows are not drawn here but read
from the *.jsonl files another tool wrote into the import folder (importer.py: this row form, or prepare's
chat form for base.consumer), checked as validate checks rows, and written the same way. One JSON object
per line:

  id          str   stable: shell + hash of the input, unique in the dataset
  shell       str   one of contract.SHELLS
  family      str   one of contract.FAMILIES (single, chained, natural, tools)
  category    str   single: typo | flag | sudo | quoting | redirect | foreign | directory-arg |
                    mkdir-parents | cd-glued | prompt-prefix | keyboard-layout | script-path |
                    sed-unterminated; tools: typo | subcommand | flag | sudo | python-version |
                    file-extension | other-verb | arg-order | doubled-word | glued-subcommand;
                    chained: and-chain | pipe | chain-operator; natural: nl; and `identity` in
                    single, tools and chained: a valid command that maps to itself
  tool        str   the program the command is about ("shell" for shell-native commands)
  command     str   the broken input, or the natural-language request
  correction  str   the fixed command in that shell's own syntax; equal to `command` only in identity rows
  edit        str   what was applied, "+"-joined: adjacent-key, transpose, deletion, insertion,
                    single-dash, wrong-subcommand, missing-sudo, foreign-syntax, nl-request, ...
  error       str | null  what a real shell or tool prints for the broken command, where it prints one
  group       str   the split group: one key per correct command text (prepare keeps a group in one split)
  split       str | null  the split the row's slot values come from (train | valid | test; drawn per row
                    with prepare.split's shares); null when the row has none: prepare places it by group
  slots       dict  slot name -> the value the row shows (`{file}` -> "src/api/handlers.go"); values are
                    composed by generate/slots.py, so they rarely repeat, and no value is in two splits
  prompt_shell str  (only on alias rows) the name the prompt carries instead of `shell`: sh, dash or ksh
                    on bash rows, pwsh on PowerShell rows (contract.ALIASES; shares: generate.alias_shares),
                    except rows whose input PowerShell 7 runs as typed (`a && b`, `ls -lt`, `python3 x`:
                    shellerrors.runs_in_pwsh)
  tool_results list (only when base.consumer is wit) [{tool, arg, output}]: what wit's tools print for the
                    command on a machine drawn for the row (generate/machine.py), kept and ordered as wit
                    keeps them; [] when they say nothing

Mistake classes: mistakes.md (rendered from mistakes.CATALOGUE) lists the field's catalogue of
command-line mistakes (thefuck's README rule list, pay-respects' rule files): each class, its sources,
whether its fix needs the error output, and the category above that generates it. Classes whose fix
needs the error output or the machine's state (which branch has no upstream, which path exists, which
package is missing) are left out: the consumer contract gives the model the command alone.

Already-valid inputs: fix's shell integration sends the last command from history whether or not it
failed, and prints "No correction needed" when the answer equals it, so a valid command must come back
unchanged. The `identity` category (a share of each category mix) teaches that: its command is the
correction of a row drawn from the family's other categories (a canonical correct form the generator
writes, never a mistake's input), mapped to itself. No identity command is any row's input in the same
dialect and no row's input is an identity command: both go through the same per-shell `seen` set.
Other rows teach is to leave the right parts alone: a correction changes only the
broken words (a command, subcommand or flag word, a pasted prompt, a missing space, -r or -p) and keeps
every value the user typed (file, branch, package, host, message) as typed; slot values are never
mutated. The one exception is keyboard-layout, where the whole line, values included, was typed in
the other layout.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from .. import contract, paths
from .. import params as params_mod
from ..errors import ExhaustedError
from ..io import check_output
from ..params import bounded
from ..progress import Progress, noop_progress, progress_bar
from . import importer, machine, mistakes, shellerrors
from .mutations import near_key, within_one_edit
from .slots import Lanes, NoValue
from .templates import Builder
from .writer import row_id, write_dataset

# The categories each family's mix may name (mistakes.py adds the field's classes to the first six).
CATEGORIES = {
    "single": ("typo", "flag", "sudo", "quoting", "redirect", "foreign", *mistakes.SINGLE, "identity"),
    "tools": ("typo", "subcommand", "flag", "sudo", *mistakes.TOOLS, "identity"),
    "chained": ("and-chain", "pipe", "chain-operator", "identity"),
}


def _shells() -> dict[str, float]:
    return {"bash": 0.35, "zsh": 0.25, "powershell": 0.20, "cmd": 0.12, "fish": 0.05, "tcsh": 0.03}


def _families() -> dict[str, float]:
    return {"single": 0.24, "chained": 0.22, "natural": 0.32, "tools": 0.22}


@dataclass
class Params:
    # where the rows come from: builtin (drawn here) | import (another tool's *.jsonl in data/import)
    source: Literal["builtin", "import"] = "builtin"
    rows: int = bounded(150_000, 1, 10_000_000)  # total rows over all shells and families
    shell_weights: dict[str, float] = bounded(_shells(), 0, 1)  # target share per shell (sums to 1)
    family_weights: dict[str, float] = bounded(_families(), 0, 1)  # target share per family (sums to 1)
    single_categories: dict[str, float] = bounded(
        {
            "typo": 0.22,
            "flag": 0.11,
            "sudo": 0.07,
            "quoting": 0.07,
            "redirect": 0.07,
            "foreign": 0.23,
            "directory-arg": 0.07,
            "mkdir-parents": 0.03,
            "cd-glued": 0.02,
            "prompt-prefix": 0.04,
            "keyboard-layout": 0.02,
            "script-path": 0.04,
            "sed-unterminated": 0.01,
            "identity": 0.08,
        },
        0,
        1,
    )  # mix in `single` (a category a shell lacks is redrawn: mkdir-parents, cd-glued, sed-unterminated)
    tools_categories: dict[str, float] = bounded(
        {
            "typo": 0.33,
            "subcommand": 0.14,
            "flag": 0.14,
            "sudo": 0.10,
            "python-version": 0.06,
            "file-extension": 0.05,
            "other-verb": 0.06,
            "arg-order": 0.05,
            "doubled-word": 0.04,
            "glued-subcommand": 0.03,
            "identity": 0.08,
        },
        0,
        1,
    )  # mix in `tools`
    chained_categories: dict[str, float] = bounded(
        {"and-chain": 0.5, "pipe": 0.35, "chain-operator": 0.15, "identity": 0.08}, 0, 1
    )  # mix in `chained`
    # share of a dialect's rows whose prompt carries an alias fix sends as the basename of $SHELL
    alias_shares: dict[str, float] = bounded({"sh": 0.06, "dash": 0.02, "ksh": 0.02, "pwsh": 0.25}, 0, 1)
    # chance a one-character slip of typo/flag rows is kept (else a second slip is added)
    trivial_share: float = bounded(0.02, 0, 1)
    # typo rows that get a second slip (common, and keeps 1-char edits rare)
    second_typo_share: float = bounded(0.35, 0, 1)
    # broken pipelines that lost their `|` (`ps aux grep node`); the rest: a typo
    missing_pipe_share: float = bounded(0.2, 0, 1)
    capitalised_share: float = bounded(0.3, 0, 1)  # natural-language requests that start with a capital letter
    long_flag_mistakes: dict[str, float] = bounded(
        {"single-dash": 0.4, "flag-typo": 0.3, "flag-form": 0.3}, 0, 1
    )  # how a long flag goes wrong: -verbose, --verbsoe, --verbosing (shares sum to 1)
    short_flag_double_dash: float = bounded(0.5, 0, 1)  # short flags written --f; the rest get the wrong case (-F)
    # most rows sharing one correct command (split across shells by weight): diversity
    max_per_target: int = bounded(120, 1, 10_000_000)
    # longest command or correction kept (long slot values can add up in a chain)
    max_chars: int = bounded(160, 20, 100_000)
    # draws allowed per wanted row before a shell/family cell counts as exhausted
    max_draws: int = bounded(60, 1, 10_000)

    def validate(self) -> list[str]:
        problems = []
        if self.rows < 1:
            problems.append("rows: must be >= 1")
        if self.max_chars < 20:
            problems.append("max_chars: must be >= 20")
        for name, weights, keys in (
            ("shell_weights", self.shell_weights, contract.SHELLS),
            ("family_weights", self.family_weights, contract.FAMILIES),
        ):
            if set(weights) != set(keys):
                problems.append(f"{name}: keys must be exactly {', '.join(keys)}")
            if abs(sum(weights.values()) - 1) > 1e-6 or any(w < 0 for w in weights.values()):
                problems.append(f"{name}: weights must be >= 0 and sum to 1")
        for name, mix in (
            ("single_categories", self.single_categories),
            ("tools_categories", self.tools_categories),
            ("chained_categories", self.chained_categories),
        ):
            if not mix or any(w < 0 for w in mix.values()) or sum(mix.values()) <= 0:
                problems.append(f"{name}: needs at least one positive weight")
            unknown = sorted(set(mix) - set(CATEGORIES[name.split("_")[0]]))
            if unknown:
                problems.append(f"{name}: unknown categor{'y' if len(unknown) == 1 else 'ies'} {', '.join(unknown)}")
        for name in ("trivial_share", "second_typo_share", "missing_pipe_share", "capitalised_share",
                     "short_flag_double_dash"):  # fmt: skip
            if not 0 <= getattr(self, name) <= 1:
                problems.append(f"{name}: must be in [0, 1]")
        if unknown := sorted(set(self.alias_shares) - set(contract.ALIASES)):
            problems.append(f"alias_shares: unknown alias {', '.join(unknown)} (one of {', '.join(contract.ALIASES)})")
        per_dialect: dict[str, float] = {}
        for alias, share in self.alias_shares.items():
            per_dialect[contract.dialect(alias)] = per_dialect.get(contract.dialect(alias), 0.0) + share
            if share < 0:
                problems.append(f"alias_shares.{alias}: must be >= 0")
        if over := sorted(d for d, total in per_dialect.items() if total > 1):
            problems.append(f"alias_shares: the shares of {', '.join(over)}'s aliases sum to more than 1")
        mix = self.long_flag_mistakes
        if set(mix) != {"single-dash", "flag-typo", "flag-form"} or any(w < 0 for w in mix.values()):
            problems.append("long_flag_mistakes: needs exactly single-dash, flag-typo, flag-form, each >= 0")
        elif abs(sum(mix.values()) - 1) > 1e-6:
            problems.append("long_flag_mistakes: shares must sum to 1")
        return problems


@dataclass
class Result:
    out_dir: Path
    rows: int
    counts: dict[str, dict[str, int]]  # shell -> family -> rows


def allocate(total: int, shell_weights: dict[str, float], family_weights: dict[str, float]) -> dict[tuple, int]:
    """Rows per (shell, family), rounding by largest remainder so the cells sum to `total` exactly."""
    cells = [(s, f) for s in contract.SHELLS for f in contract.FAMILIES]
    exact = {c: total * shell_weights[c[0]] * family_weights[c[1]] for c in cells}
    counts = {c: int(v) for c, v in exact.items()}
    left = total - sum(counts.values())
    for c in sorted(cells, key=lambda c: (-(exact[c] - counts[c]), cells.index(c)))[:left]:
        counts[c] += 1
    return counts


def run(
    params: Params,
    seed: int,
    out_dir: str | Path,
    progress: Progress = noop_progress,
    *,
    split: dict[str, float] | None = None,
    consumer: str = "fix",
    machine_params: machine.Params | None = None,
    import_dir: str | Path = paths.IMPORT,
) -> Result:
    """Generate the dataset into `out_dir` (replaced atomically; refused unless it is generate's own).

    `split` (prepare.split; its default when None) gives the shares of the slot-value lanes. For a consumer
    that sends tool results (wit), each row also gets what wit's tools say on a machine drawn for it
    (`machine.tool_results`, its own random stream: the rows themselves are drawn exactly as for fix).
    With `params.source` import, the rows are `import_dir`'s instead (`import_rows`)."""
    if params.source == "import":
        return import_rows(import_dir, out_dir, consumer, progress)
    check_output(out_dir, stage="generate")
    if split is None:
        split = dict(paths.SPLIT_SHARES)
    lanes = Lanes(seed, split)
    counts = allocate(params.rows, params.shell_weights, params.family_weights)
    mixes = {"single": params.single_categories, "tools": params.tools_categories, "chained": params.chained_categories}
    families: dict[str, list[dict]] = {f: [] for f in contract.FAMILIES}
    homes: dict[str, str | None] = {}  # correction as the scorer compares it -> the lane of its first row
    done = 0
    for shell in contract.SHELLS:
        builder = Builder(shell, params, lanes)
        aliases = {a: w for a, w in params.alias_shares.items() if contract.dialect(a) == shell and w > 0}
        seen: set[tuple[str, str]] = set()
        per_target: Counter = Counter()
        cap = max(3, math.ceil(params.max_per_target * params.shell_weights[shell]))
        for family in contract.FAMILIES:
            want = counts[(shell, family)]
            rng = random.Random(f"{seed}:{shell}:{family}")
            alias_rng = random.Random(f"{seed}:{shell}:{family}:alias")  # its own stream: the rows stay as drawn
            mix = mixes.get(family)
            cats, weights = (list(mix), list(mix.values())) if mix else ([], [])
            rows = families[family]
            got, draws, limit = 0, 0, params.max_draws * max(want, 1)
            while got < want:
                draws += 1
                builder.begin(rng)
                if draws > limit:
                    raise ExhaustedError(shell, family, got, want, limit)
                drawn = _draw(builder, family, cats, weights, rng, params.max_chars)
                if drawn is None:
                    continue
                row, slots = drawn
                identity = row["category"] == contract.IDENTITY
                if not identity and not builder.allowed_trivial and within_one_edit(row["command"], row["correction"]):
                    continue  # one-character edits only by trivial_share or a class whose real slip is one
                key = near_key(shell, row["command"])  # also keeps near-duplicates (case, spacing) out
                if key in seen or per_target[row["correction"]] >= cap:
                    continue
                lane = builder.lane if slots else None  # no slot value: prepare places it by its group
                target = contract.normalise_target(row["correction"])
                if homes.setdefault(target, lane) != lane:
                    continue  # one correct command, one split
                seen.add(key)
                per_target[row["correction"]] += 1
                row.update(family=family, split=lane, slots=slots)
                if aliases:
                    _pick_alias(row, aliases, alias_rng)
                rows.append(row)
                got += 1
                done += 1
                if done % 5000 == 0:
                    progress("generate", done, params.rows)
    progress("generate", done, params.rows)
    extra = {}
    if contract.get(consumer).tool_results:
        mp = machine_params or machine.Params()
        _add_tool_results(families, mp, seed)
        extra = {"consumer": consumer, "machine": params_mod.recorded(mp)}
    recorded = params_mod.recorded(params)
    del recorded["source"]  # builtin is recorded by omission: the default's meta.json stays the bytes it was
    write_dataset(out_dir, families, params={"seed": seed, **extra, **recorded})
    table = {s: {f: counts[(s, f)] for f in contract.FAMILIES} for s in contract.SHELLS}
    return Result(Path(out_dir), done, table)


def _pick_alias(row: dict, aliases: dict[str, float], rng: random.Random) -> None:
    """Draw one number from `rng` and, within an alias's share, set the row's `prompt_shell` to that alias."""
    u, edge = rng.random(), 0.0
    for alias, share in aliases.items():
        edge += share
        if u < edge:
            if alias != "pwsh" or not shellerrors.runs_in_pwsh(row):
                row["prompt_shell"] = alias  # pwsh runs `a && b`, `ls -lt`: no mistake there
            return


def _add_tool_results(families: dict[str, list[dict]], mp: machine.Params, seed: int) -> None:
    """What wit's tools say on a machine drawn for each row (`machine.tool_results`, its own random stream)."""
    for rows in families.values():
        for row in rows:
            row["tool_results"] = machine.tool_results(mp, seed, {**row, "id": row_id(row["shell"], row["command"])})


def import_rows(
    import_dir: str | Path, out_dir: str | Path, consumer: str, progress: Progress = noop_progress
) -> Result:
    """Write the rows of `import_dir`'s *.jsonl files (importer.py) into `out_dir` as generate writes its own;
    meta.json records the source, the consumer and each file's sha256. No other generate param applies."""
    found = importer.files(import_dir)
    check_output(out_dir, stage="generate", inputs=[import_dir, *found])
    families, done = importer.read(found, consumer, progress)
    inputs = {p.name: p for p in found}
    write_dataset(out_dir, families, params={"source": "import", "consumer": consumer}, inputs=inputs)
    table = {s: {f: sum(r["shell"] == s for r in families[f]) for f in contract.FAMILIES} for s in contract.SHELLS}
    return Result(Path(out_dir), done, table)


def _draw(builder: Builder, family: str, cats: list[str], weights: list[float], rng: random.Random, max_chars: int):
    """One candidate row of `family` and its slot values, or None when the draw is unusable."""
    try:
        if family == "natural":
            row = builder.natural(rng)
        else:
            category = rng.choices(cats, weights)[0]
            if category == contract.IDENTITY:  # a valid command: the correction of a draw from the other categories
                others = [(c, w) for c, w in zip(cats, weights, strict=True) if c != contract.IDENTITY and w > 0]
                if not others:
                    return None
                row = _draw(builder, family, [c for c, _ in others], [w for _, w in others], rng, max_chars)
                if row is None:
                    return None
                row, _ = row
                row.update(category=contract.IDENTITY, command=row["correction"], edit=contract.IDENTITY, error=None)
                slots = builder.slots_of(row)
                return None if slots is None else (row, slots)
            row = (
                builder.single(category, rng)
                if family == "single"
                else builder.tools_row(category, rng)
                if family == "tools"
                else builder.chained(category, rng)
            )
    except NoValue:  # a tiny vocabulary with no value in this draw's lane
        return None
    if row is None or row["command"] == row["correction"]:
        return None  # (identity rows are made above, from a row that needed its correction)
    if max(len(row["command"]), len(row["correction"])) > max_chars:
        return None
    slots = builder.slots_of(row)
    return None if slots is None else (row, slots)


def main(argv: list[str]) -> int:
    from ..cli import parser

    p = parser("generate", __doc__.split("\n\n")[0])
    p.add_argument("out_dir", type=Path, help="output folder (data/generated)")
    p.add_argument(
        "--import-dir",
        type=Path,
        default=paths.IMPORT,
        help=f"*.jsonl read when generate.source is import ({paths.IMPORT})",
    )
    args = p.parse_args(argv)
    raw = params_mod.load(args.params)
    prm = params_mod.section("generate", raw, path=args.params, cls=Params)
    split = params_mod.section("prepare", raw, path=args.params).split  # prepare's own class, by the params registry
    consumer = params_mod.base_consumer(raw, args.params)
    mp = params_mod.section("machine", raw, path=args.params, cls=machine.Params)
    with progress_bar() as progress:
        seed = params_mod.base_seed(raw, args.params)
        result = run(
            prm,
            seed,
            args.out_dir,
            progress,
            split=split,
            consumer=consumer,
            machine_params=mp,
            import_dir=args.import_dir,
        )
    source = f" imported from {args.import_dir}" if prm.source == "import" else ""
    print(f"generate: {result.rows} rows{source} -> {result.out_dir}")
    return 0
