"""prepare: leak-free train/valid/test splits in the consumer contract's chat format.

Usage: python -m cmd_correct prepare GENERATED_DIR VALIDATION_JSON OUT_DIR [--params params.yaml]

Rows are split by group (`group`: one per correct command), so no correct command appears in two
splits; a row that names its `split` goes there (generate names the lane its slot values come from, so
test holds file names, branches, hosts... that train never showed). A hand-edited row whose correction
(as the scorer compares it) also lives in another split is refused, and so is data whose files differ
from the ones VALIDATION_JSON judged. Every row is checked again as validate checks it (`validate.read_rows`:
schema, controls, Cf/Cs characters and special-token text by `contract.text_problems`, JSON too deep to
read), so input validate never passed is refused naming file, line and field, not written or crashed on. Writes
OUT_DIR/{train,valid,test}.jsonl with {"messages", "shell", "family", "category", "id", "error"}
(`messages` = contract.messages: what mlx-lm and the torch trainer read), calibration.txt (ChatML
conversations from train only, for imatrix), heldout.txt (from test only, for perplexity/KLD) and meta.json.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from . import contract
from . import params as params_mod
from .errors import SHOWN, DataError, DataErrors
from .io import atomic_dir, check_output, read_json, sha256_file, write_jsonl, write_meta
from .params import bounded
from .paths import CALIBRATION, HELDOUT, SPLIT_SHARES, SPLITS
from .progress import Progress, noop_progress, progress_bar
from .validate import data_hashes, read_rows


@dataclass
class Params:
    split: dict[str, float] = bounded(
        dict(SPLIT_SHARES), 0, 1, lo_open=True
    )  # share per split of rows (generate draws slot-value lanes) and groups
    calibration_rows: int = bounded(2000, 1, 10_000_000)  # train conversations in calibration.txt (imatrix input)
    # test conversations in heldout.txt (perplexity / KL divergence input)
    heldout_rows: int = bounded(1000, 1, 10_000_000)
    show: int = bounded(SHOWN, 0, 1_000_000, operational=True)  # problems printed in full; the rest are counted

    def validate(self) -> list[str]:
        problems = []
        if set(self.split) != set(SPLITS):
            problems.append(f"split: keys must be exactly {', '.join(SPLITS)}")
        elif abs(sum(self.split.values()) - 1) > 1e-6 or min(self.split.values()) <= 0:
            problems.append("split: shares must be > 0 and sum to 1")
        if self.calibration_rows < 1 or self.heldout_rows < 1:
            problems.append("calibration_rows and heldout_rows must be >= 1")
        return problems


@dataclass
class Result:
    out_dir: Path
    counts: dict[str, int]  # split -> rows


def _unit(seed: int, key: str) -> float:
    """A stable pseudo-random number in [0, 1) for `key` (independent of row order)."""
    return int(hashlib.sha256(f"{seed}:{key}".encode()).hexdigest()[:13], 16) / 16**13


def place(row: dict, seed: int, split: dict[str, float]) -> str:
    """A row's split: the one it names (its slot values' lane), else its group's."""
    return row.get("split") or assign(row["group"], seed, split)


def assign(group: str, seed: int, split: dict[str, float]) -> str:
    """The split of a group: by a hash of the group key, so it never depends on the other rows."""
    u, edge = _unit(seed, group), 0.0
    for name in SPLITS:
        edge += split[name]
        if u < edge:
            return name
    return SPLITS[-1]


def user_turn(row: dict, consumer: str) -> str:
    """The row's user turn as `consumer` sends it (wit: the command and the row's tool results)."""
    return contract.user_turn(row["command"], contract.tool_results(row.get("tool_results")), consumer=consumer)


def final_row(row: dict, consumer: str = "fix") -> dict:
    """A training row in the consumer contract's chat format, plus metadata for per-slice metrics. A wit row
    also keeps its typed `command` and `tool_results`, so evaluate can score it without the results."""
    name = row.get("prompt_shell") or row["shell"]
    wit = contract.get(consumer).tool_results
    return {
        "messages": contract.messages(name, user_turn(row, consumer), row["correction"], consumer=consumer),
        "shell": row["shell"],
        **({"prompt_shell": row["prompt_shell"]} if row.get("prompt_shell") else {}),
        "family": row["family"],
        "category": row["category"],
        "id": row["id"],
        "error": row["error"],
        **({"command": row["command"], "tool_results": row.get("tool_results") or []} if wit else {}),
    }


def _unjudged(gen_dir: Path, validation: Path, judged: object) -> list[DataError]:
    """A problem per family file that is not byte-for-byte the one `validation` judged."""
    if not isinstance(judged, dict):
        return [DataError(validation, None, "data_sha256", "records no hash of the data it judged; rerun validate")]
    now = data_hashes(gen_dir)
    return [
        DataError(gen_dir / name, None, None, "differs from the file validate judged; rerun validate")
        for name, digest in now.items()
        if digest is not None and judged.get(name) != digest
    ]


def run(
    params: Params,
    seed: int,
    gen_dir: str | Path,
    validation: str | Path,
    out_dir: str | Path,
    progress: Progress = noop_progress,
    consumer: str = "fix",
) -> Result:
    """Split `gen_dir` into `out_dir` (replaced atomically) in `consumer`'s chat format; raise DataErrors
    listing every bad row."""
    check_output(out_dir, stage="prepare", inputs=[gen_dir, validation])
    verdict = read_json(validation)  # DVC orders validate first; a missing file means it never passed
    if not isinstance(verdict, dict) or verdict.get("verdict") != "pass":
        raise DataError(validation, None, "verdict", "validation did not pass; run validate first")
    problems = _unjudged(Path(gen_dir), Path(validation), verdict.get("data_sha256"))
    rows, more = read_rows(gen_dir, progress, "prepare: read")
    problems += more
    if not contract.get(consumer).tool_results:  # fix sends no tool results: data made for wit is not fix's
        why = f"carries tool_results, but base.consumer is {consumer!r} (its prompt has none); generate for {consumer}"
        problems += [DataError(path, line, "tool_results", why) for path, line, row in rows if row.get("tool_results")]
    placed = [(path, line, row, place(row, seed, params.split)) for path, line, row in rows]
    homes: dict[str, dict[str, str]] = {}  # correction as the scorer compares it -> split -> first place there
    for path, line, row, name in placed:
        homes.setdefault(contract.normalise_target(row["correction"]), {}).setdefault(name, f"{path}:{line}")
    splits: dict[str, list[dict]] = {s: [] for s in SPLITS}
    for path, line, row, name in placed:
        where = homes[contract.normalise_target(row["correction"])]
        home = next(s for s in SPLITS if s in where)  # train keeps a shared target; the others are the leak
        if name != home:
            reason = f"{name} target also in {home} ({where[home]}): a correct command must stay in one split"
            problems.append(DataError(path, line, "correction", reason))
            continue
        splits[name].append(row)
    problems += [DataError(gen_dir, None, "split", f"{s} split is empty") for s in SPLITS if rows and not splits[s]]
    if problems:
        raise DataErrors(problems, shown=params.show)
    for name in SPLITS:  # deterministic shuffle: training reads rows in file order
        splits[name].sort(key=lambda r: _unit(seed, r["id"]))
    with atomic_dir(out_dir, stage="prepare", inputs=[gen_dir, validation]) as tmp:
        counts = {
            name: write_jsonl(tmp / f"{name}.jsonl", (final_row(r, consumer) for r in splits[name])) for name in SPLITS
        }
        texts = {
            CALIBRATION: splits["train"][: params.calibration_rows],
            HELDOUT: splits["test"][: params.heldout_rows],
        }
        for fname, chosen in texts.items():
            with (tmp / fname).open("w", encoding="utf-8") as f:
                f.writelines(
                    contract.render_conversation(
                        r.get("prompt_shell") or r["shell"], user_turn(r, consumer), r["correction"], consumer=consumer
                    )
                    for r in chosen
                )
        groups = {name: len({r["group"] for r in splits[name]}) for name in SPLITS}
        by_lane = {name: sum(r["split"] is not None for r in splits[name]) for name in SPLITS}
        shells = {name: {s: sum(r["shell"] == s for r in splits[name]) for s in contract.SHELLS} for name in SPLITS}
        write_meta(
            tmp,
            "prepare",
            # the consumer is recorded when it is not fix, so fix's outputs stay the bytes they were before wit
            params={
                "seed": seed,
                **({"consumer": consumer} if consumer != "fix" else {}),
                **params_mod.recorded(params),
            },
            inputs={f"{f}.jsonl": Path(gen_dir) / f"{f}.jsonl" for f in contract.FAMILIES},
            validation_sha256=sha256_file(validation),
            rows=counts,
            groups=groups,
            placed_by_lane=by_lane,
            shells=shells,
            calibration_conversations=len(texts[CALIBRATION]),
            heldout_conversations=len(texts[HELDOUT]),
        )
    return Result(Path(out_dir), counts)


def main(argv: list[str]) -> int:
    from .cli import parser

    p = parser("prepare", __doc__.split("\n\n")[0])
    p.add_argument("gen_dir", type=Path, help="generated data folder (data/generated)")
    p.add_argument("validation", type=Path, help="validate's metrics (data/validation.json)")
    p.add_argument("out_dir", type=Path, help="output folder (data/final)")
    args = p.parse_args(argv)
    raw = params_mod.load(args.params)
    prm = params_mod.section("prepare", raw, path=args.params, cls=Params)
    with progress_bar() as progress:
        seed, consumer = params_mod.base_seed(raw, args.params), params_mod.base_consumer(raw, args.params)
        result = run(prm, seed, args.gen_dir, args.validation, args.out_dir, progress, consumer)
    print("prepare: " + ", ".join(f"{k} {v}" for k, v in result.counts.items()) + f" -> {result.out_dir}")
    return 0
