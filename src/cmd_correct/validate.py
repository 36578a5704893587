"""validate: check every generated row, then the dataset as a whole; write the metrics only on success.

Usage: python -m cmd_correct validate GENERATED_DIR VALIDATION_JSON [--params params.yaml]

Row checks: JSON, schema and types, unknown shell or family, a family that does not match its file,
empty or null correction, a correction equal to its input, a multi-line command or correction, control
characters in any field (C0/C1 but tab, so ANSI escapes and a bare CR; U+2028/2029), Unicode format and
surrogate characters (categories Cf and Cs: bidi controls, zero-width characters, tag characters, a lone
surrogate) in any text, special-token text (ChatML markers and the like, also their NFKC look-alikes) in a
command, correction or error message, a JSON line nested too deeply to read, a command or correction longer than
`max_chars` or an error longer than `max_error_chars`, exact duplicates (same shell and input),
duplicate ids, one correction (as the scorer compares it) under two split groups (`group`) or two
splits (`split`), and slot values (`slots`) that are not text of the row, that have no split, or that
one split shares with another (the test must measure copying values train never showed).
File checks: every family file present, UTF-8 and not empty. Dataset checks: share per shell and per
family within `tolerance` of generate's targets, family minimums, the one-character-edit share, and
the near-duplicate share. Every problem is collected, then one error lists `file:line: field: reason`
(the first `show`, plus counts per field; a bad value is cut short, a bad character named as U+XXXX).
An earlier VALIDATION_JSON is removed before any row is read, so a run that fails, however it fails,
leaves none behind. On success
VALIDATION_JSON also records the sha256 of every file it judged (`data_sha256`; prepare checks them) and,
under `slots`, the distinct values per slot and their overlap between splits (0 when the data is sound).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from . import contract
from . import params as params_mod
from .errors import SHOWN, DataError, ValidationError
from .generate.mutations import near_key, within_one_edit
from .io import check_output, iter_jsonl_lenient, sha256_file, write_json
from .params import bounded
from .paths import SPLITS
from .progress import Progress, noop_progress, progress_bar
from .rowcheck import check_row, quoted


@dataclass
class Params:
    # allowed |share - target| per shell and per family (targets: generate.*_weights)
    tolerance: float = bounded(0.01, 0, 1)
    family_min: dict[str, float] = bounded({"chained": 0.20, "natural": 0.30}, 0, 1)  # floors
    max_trivial_share: float = bounded(0.05, 0, 1)  # most rows whose correction is a one-character edit of the input
    max_near_duplicate_share: float = bounded(0.01, 0, 1)  # most rows equal to another after case/space folding
    # longest command or correction (150k default rows: at most 160 = generate.max_chars, p99 113)
    max_chars: int = bounded(200, 1, 100_000)
    max_error_chars: int = bounded(500, 1, 1_000_000)  # longest error message (150k default rows: at most 249)
    # problems printed in full; the rest are counted per field
    show: int = bounded(SHOWN, 0, 1_000_000, operational=True)

    def validate(self) -> list[str]:
        bad = [k for k in self.family_min if k not in contract.FAMILIES]
        problems = [f"family_min: unknown family {', '.join(bad)}"] if bad else []
        problems += [f"{k}: must be >= 1" for k in ("max_chars", "max_error_chars") if getattr(self, k) < 1]
        return problems


@dataclass
class Result:
    rows: int
    metrics: dict


def read_rows(
    gen_dir: str | Path, progress: Progress = noop_progress, task: str = "read", *, limits: dict[str, int] | None = None
) -> tuple[list[tuple], list[DataError]]:
    """All rows of `<family>.jsonl` as (path, line, row), with every per-row, file and duplicate problem."""
    gen_dir = Path(gen_dir)
    try:  # the expected total only feeds the progress bar; validation never trusts meta.json
        total = int(json.loads((gen_dir / "meta.json").read_text())["rows"])
    except (OSError, ValueError, KeyError, TypeError, RecursionError):
        total = None
    done = 0
    rows, problems = [], []
    seen: dict[tuple, str] = {}
    ids: dict[str, str] = {}
    for family in contract.FAMILIES:
        path = gen_dir / f"{family}.jsonl"
        if not path.is_file():
            problems.append(DataError(path, None, None, "file not found"))
            continue
        lines = 0
        try:
            for line, row in iter_jsonl_lenient(path):
                lines += 1
                if isinstance(row, DataError):
                    problems.append(row)
                    continue
                bad = check_row(path, line, row, family, limits)
                problems += bad
                where = f"{path}:{line}"
                if not bad:
                    key = (row["shell"], row["command"])
                    if key in seen:
                        problems.append(DataError(path, line, "command", f"duplicate of {seen[key]}"))
                    else:
                        seen[key] = where
                    if row["id"] in ids:
                        problems.append(DataError(path, line, "id", f"duplicate id, first at {ids[row['id']]}"))
                    else:
                        ids[row["id"]] = where
                    rows.append((path, line, row))
                done += 1
                if done % 10000 == 0:
                    progress(task, done, total)
        except UnicodeDecodeError as e:
            problems.append(DataError(path, None, None, f"not UTF-8: {e.reason}"))
            continue
        if lines == 0:  # a family with no rows is a broken file, not a share to compare against a tolerance
            problems.append(DataError(path, None, None, "empty file (no rows)"))
    progress(task, done, done)
    return rows, problems


def data_hashes(gen_dir: str | Path) -> dict[str, str | None]:
    """sha256 of every family file validate judges (None for a missing one): what prepare checks."""
    files = {f"{f}.jsonl": Path(gen_dir) / f"{f}.jsonl" for f in contract.FAMILIES}
    return {name: sha256_file(p) if p.is_file() else None for name, p in files.items()}


def is_verdict(path: Path) -> bool:
    """Whether `path` is a metrics file validate wrote (so a new run may replace or remove it)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8")) if path.stat().st_size < 1 << 20 else None
    except (OSError, ValueError, RecursionError):
        return False
    return isinstance(data, dict) and "verdict" in data


@dataclass
class Counts:
    """What the dataset checks and the metrics are computed from (valid rows only)."""

    rows: int
    shells: Counter
    families: Counter
    categories: Counter
    trivial: int  # corrections within one character edit of their input
    near_dups: int  # rows equal to an earlier one after near_key folding
    with_error: int  # rows that carry an error message

    @classmethod
    def of(cls, rows: list[tuple]) -> Counts:
        near = Counter(near_key(r["shell"], r["command"]) for _, _, r in rows)
        return cls(
            rows=len(rows),
            shells=Counter(r["shell"] for _, _, r in rows),
            families=Counter(r["family"] for _, _, r in rows),
            categories=Counter(f"{r['family']}/{r['category']}" for _, _, r in rows),
            trivial=sum(
                r["category"] != contract.IDENTITY and within_one_edit(r["command"], r["correction"])
                for _, _, r in rows
            ),
            near_dups=sum(c - 1 for c in near.values() if c > 1),
            with_error=sum(r["error"] is not None for _, _, r in rows),
        )

    def share(self, counter: Counter, key: str) -> float:
        return round(counter[key] / self.rows, 6) if self.rows else 0.0


def group_conflicts(rows: list[tuple]) -> list[DataError]:
    """Rows whose correction (as the scorer compares it) already stands under another split group or split."""
    problems = []
    group_of: dict[str, tuple[str, str | None, str]] = {}  # correction -> (group, split, first place)
    for path, line, r in rows:
        key = contract.normalise_target(r["correction"])
        group, split, first = group_of.setdefault(key, (r["group"], r["split"], f"{path}:{line}"))
        if group != r["group"]:  # prepare splits by group: this correction could land in two splits
            reason = f"{quoted(r['group'])}, but the same correction is in group {quoted(group)} at {first}"
            problems.append(DataError(path, line, "group", reason))
        elif split != r["split"]:
            reason = f"{quoted(r['split'])}, but the same correction is in split {quoted(split)} at {first}"
            problems.append(DataError(path, line, "split", reason))
    return problems


def slot_leaks(rows: list[tuple]) -> list[DataError]:
    """Rows holding a slot value that a row of another split holds too (whatever the slot)."""
    problems = []
    home: dict[str, tuple[str, str]] = {}  # value -> (split, first place)
    for path, line, r in rows:
        for name, value in r["slots"].items():
            split, first = home.setdefault(value, (r["split"], f"{path}:{line}"))
            if split != r["split"]:
                reason = f"{name} value {quoted(value)} is in the {r['split']} split and in {split} at {first}"
                problems.append(DataError(path, line, "slots", reason))
    return problems


def slot_metrics(rows: list[tuple]) -> dict:
    """Distinct values per slot, per split, and the values found in more than one split (expected 0)."""
    splits_of: dict[str, set] = {}
    per: dict[str, dict] = {}
    with_slots = Counter()
    for _, _, r in rows:
        if r["slots"]:
            with_slots[r["split"]] += 1
        for name, value in r["slots"].items():
            splits_of.setdefault(value, set()).add(r["split"])
            slot = per.setdefault(name, {"rows": 0, "values": set(), "by_split": {s: set() for s in SPLITS}})
            slot["rows"] += 1
            slot["values"].add(value)
            slot["by_split"][r["split"]].add(value)
    shared = {v for v, where in splits_of.items() if len(where) > 1}
    return {
        "rows": sum(with_slots.values()),
        "rows_by_split": {s: with_slots[s] for s in SPLITS},
        "distinct": len(splits_of),
        "overlap": len(shared),
        "per_slot": {
            name: {
                "rows": slot["rows"],
                "distinct": len(slot["values"]),
                "distinct_share": round(len(slot["values"]) / slot["rows"], 6),
                "distinct_by_split": {s: len(v) for s, v in slot["by_split"].items()},
                "overlap": len(slot["values"] & shared),
            }
            for name, slot in sorted(per.items())
        },
    }


def dataset_problems(
    params: Params, counts: Counts, shell_targets: dict[str, float], family_targets: dict[str, float], gen_dir: Path
) -> list[DataError]:
    """The whole-dataset checks: shares against their targets, family floors, trivial and near-duplicate rates."""
    n = counts.rows
    if n == 0:
        return [DataError(gen_dir, None, None, "no valid rows")]
    problems = []
    for name, counter, targets in (
        ("shell", counts.shells, shell_targets),
        ("family", counts.families, family_targets),
    ):
        for key, target in targets.items():
            got = counts.share(counter, key)
            if abs(got - target) > params.tolerance:
                reason = f"{key} share {got:.4f} is not within {params.tolerance} of the target {target}"
                problems.append(DataError(gen_dir, None, name, reason))
    for f, low in params.family_min.items():
        if counts.share(counts.families, f) < low:
            problems.append(
                DataError(gen_dir, None, "family", f"{f} share {counts.share(counts.families, f):.4f} < {low}")
            )
    rates = (
        ("correction", "one-character-edit", counts.trivial, params.max_trivial_share),
        ("command", "near-duplicate", counts.near_dups, params.max_near_duplicate_share),
    )
    for name, what, count, limit in rates:
        if count / n > limit:
            problems.append(DataError(gen_dir, None, name, f"{what} share {count / n:.4f} > {limit}"))
    return problems


def metrics(
    params: Params,
    counts: Counts,
    rows: list[tuple],
    hashes: dict,
    shell_targets: dict[str, float],
    family_targets: dict[str, float],
) -> dict:
    """The VALIDATION_JSON written on success (DVC metrics)."""
    n = counts.rows
    return {
        "verdict": "pass",
        "stage": "validate",
        "data_sha256": hashes,
        "rows": n,
        "trivial_edit_rate": round(counts.trivial / n, 6),
        "near_duplicate_rate": round(counts.near_dups / n, 6),
        "with_error_message_rate": round(counts.with_error / n, 6),
        "groups": len({r["group"] for _, _, r in rows}),
        "shell_share": {s: counts.share(counts.shells, s) for s in contract.SHELLS},
        "shell_target": dict(shell_targets),
        "family_share": {f: counts.share(counts.families, f) for f in contract.FAMILIES},
        "family_target": dict(family_targets),
        "category_count": dict(sorted(counts.categories.items())),
        "tolerance": params.tolerance,
        "slots": slot_metrics(rows),
    }


def run(
    params: Params,
    shell_targets: dict[str, float],
    family_targets: dict[str, float],
    gen_dir: str | Path,
    out_path: str | Path,
    progress: Progress = noop_progress,
) -> Result:
    """Validate `gen_dir`; write `out_path` metrics on success, raise ValidationError otherwise."""
    gen_dir, out_path = Path(gen_dir), Path(out_path)
    check_output(out_path, stage="validate", inputs=[gen_dir], kind="file", recognise=is_verdict)
    out_path.unlink(missing_ok=True)  # an earlier verdict must not outlive a run that fails in any way
    hashes = data_hashes(gen_dir)  # before reading: a file edited during the run then fails prepare's check
    limits = {"command": params.max_chars, "correction": params.max_chars, "error": params.max_error_chars}
    rows, problems = read_rows(gen_dir, progress, "validate", limits=limits)
    problems += group_conflicts(rows) + slot_leaks(rows)
    counts = Counts.of(rows)
    problems += dataset_problems(params, counts, shell_targets, family_targets, gen_dir)
    if problems:
        raise ValidationError(problems, shown=params.show)
    result = metrics(params, counts, rows, hashes, shell_targets, family_targets)
    write_json(out_path, result)
    return Result(counts.rows, result)


def main(argv: list[str]) -> int:
    from .cli import parser

    p = parser("validate", __doc__.split("\n\n")[0])
    p.add_argument("gen_dir", type=Path, help="generated data folder (data/generated)")
    p.add_argument("out", type=Path, help="metrics file to write (data/validation.json)")
    args = p.parse_args(argv)
    raw = params_mod.load(args.params)
    prm = params_mod.section("validate", raw, path=args.params, cls=Params)
    from .generate import Params as GenParams

    gen = params_mod.section("generate", raw, path=args.params, cls=GenParams)
    with progress_bar() as progress:
        result = run(prm, gen.shell_weights, gen.family_weights, args.gen_dir, args.out, progress)
    m = result.metrics
    print(f"validate: {result.rows} rows ok; trivial edits {m['trivial_edit_rate']:.2%}; -> {args.out}")
    return 0
