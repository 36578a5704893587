"""What the training backends share: the base tokenizer and its template check, the checkpoint fingerprint
and resume check, the training log a backend keeps and the dvclive report `run` builds from it, what a
backend hands back (`Trained`), and what train's output folders hold."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from .. import io
from ..errors import ModelError
from ..paths import ADAPTER_FILES, TRAIN_CONFIG
from . import data

CHECKPOINT = "checkpoint"  # the resumable state's folder, inside a backend's checkpoint folder
STATE = "state.json"  # step, fingerprint, log history and counters of a checkpoint
# What train's folders hold, so one without meta.json (a run killed before it was written) is still ours.
ADAPTER_DIR_FILES = (*ADAPTER_FILES, TRAIN_CONFIG, "meta.json", "kaggle", "mlx")
REPORT_FILES = ("metrics.json", "plots", "report.html", "report.md", "params.yaml", "dvc.yaml", "meta.json")
METRICS_PLOTS = ("plots", "metrics")  # where dvclive writes one <metric>.tsv per logged metric, in a report


@dataclass
class Trained:
    """What a backend hands back to `train.run`, which writes the output folders from it."""

    save: Callable[[Path], None]  # writes the adapter's files (PEFT's layout, plus the backend's own) into a folder
    history: list[dict]  # {"step": n, <metric>: value, ...} per log point, a resumed run's earlier ones included
    summary: dict  # final losses, tokens/s, time, device; its numbers also go to the report's metrics.json


def work_dir(adapter_dir: Path, backend: str) -> Path:
    """A backend's scratch folder, beside the adapter folder so an interrupted run leaves it behind: torch's and
    mlx's resumable checkpoints, kaggle's verified kernel output. `train.run` removes it once the adapter is in."""
    adapter_dir = Path(adapter_dir)
    return adapter_dir.with_name(f".{adapter_dir.name}.{backend}-checkpoint")


def base_tokenizer(base_dir: Path):
    """The base model's tokenizer, once its chat template is proven to render the consumer contract's prompt."""
    from transformers import AutoTokenizer

    if not (base_dir / "config.json").is_file():
        raise ModelError(f"{base_dir}: no config.json (run the base stage first)", path=base_dir / "config.json")
    tokenizer = AutoTokenizer.from_pretrained(base_dir)
    data.check_template(tokenizer)
    return tokenizer


def fingerprint(params, seed: int, data_dir: Path, base_dir: Path) -> str:
    """What a checkpoint must match to be resumed: params, seed, the splits and the base model."""
    base_id = base_dir / "meta.json" if (base_dir / "meta.json").is_file() else base_dir
    parts = {
        "params": {k: v for k, v in asdict(params).items() if k not in ("kaggle", "eval_interval")},
        "seed": seed,
        "train": io.sha256_file(data_dir / "train.jsonl"),
        "valid": io.sha256_file(data_dir / "valid.jsonl"),
        "base": io.sha256_tree(base_id),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def resumable_state(ckpt: Path, fingerprint: str) -> dict:
    """The state of `ckpt`'s last checkpoint when it belongs to this run (same fingerprint), else {}.

    A checkpoint of other params, data or base model is removed with `ckpt`: the run starts over.
    """
    path = ckpt / CHECKPOINT / STATE
    if not path.is_file():
        return {}
    state = io.read_json(path)
    if state.get("fingerprint") != fingerprint:
        shutil.rmtree(ckpt, ignore_errors=True)
        return {}
    return state


class TrainLog:
    """The training log a backend keeps: a history of log points that a checkpoint carries, so a resumed run
    continues it and its report holds exactly the steps up to the checkpoint and then the rest."""

    def __init__(self, history: list[dict]):
        self.history: list[dict] = [dict(record) for record in history]

    def log(self, step: int, values: dict) -> None:
        """Record `values` at `step`."""
        self.history.append({"step": step, **values})


def write_report(folder: Path, history: list[dict], summary: dict) -> None:
    """dvclive metrics in `folder` from a history: plots/metrics/<name>.tsv per metric (the log points in
    order), metrics.json with each metric's last value, the last step and the summary's numbers."""
    from dvclive import Live

    live = Live(dir=str(folder), save_dvc_exp=False, dvcyaml=None, resume=False)
    for record in history:
        live.step = record["step"]
        for name, value in record.items():
            if name != "step":
                live.log_metric(name, value)
    live.summary.update({k: v for k, v in summary.items() if isinstance(v, int | float)})
    live.make_summary()


def read_history(folder: Path) -> list[dict]:
    """The history a report in `folder` was written from (`write_report`'s plots read back; [] without them):
    one record per step, a metric logged twice at a step opening a second record."""
    by_step: dict[int, list[dict]] = {}
    plots = folder.joinpath(*METRICS_PLOTS)
    for tsv in sorted(plots.glob("*.tsv")) if plots.is_dir() else []:
        header, *lines = tsv.read_text(encoding="utf-8").splitlines()
        columns = header.split("\t")
        name = columns[-1]
        for line in lines:
            cells = dict(zip(columns, line.split("\t"), strict=True))
            records = by_step.setdefault(int(cells["step"]), [])
            record = next((r for r in records if name not in r), None)
            if record is None:
                record = {"step": int(cells["step"])}
                records.append(record)
            record[name] = float(cells[name])
    return [record for step in sorted(by_step) for record in by_step[step]]


def adapted_layers(num_layers: int, total: int) -> list[int] | None:
    """Indices of the blocks that get adapters: the top `num_layers` of `total` (None: all of them, as
    PEFT's `layers_to_transform` reads it)."""
    if num_layers > total:
        raise ModelError(
            f"train.num_layers={num_layers}, but the base model has {total} transformer blocks (0: all of them)",
            param="train.num_layers",
        )
    if num_layers in (0, total):
        return None
    return list(range(total - num_layers, total))
