"""What the local training backends (torch, mlx) share: the base tokenizer and its template check, the
checkpoint fingerprint and resume check, the dvclive log rebuilt from a history, and what train's output
folders hold (every backend, kaggle too)."""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import asdict
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
    """dvclive metrics (metrics.json + plots/metrics/<name>.tsv in `report_dir`) rebuilt from a history
    list, so a resumed run's plots hold exactly the steps up to its checkpoint and then continue."""

    def __init__(self, report_dir: Path, history: list[dict]):
        from dvclive import Live

        self.live = Live(dir=str(report_dir), save_dvc_exp=False, dvcyaml=None, resume=False)
        self.history: list[dict] = []
        for record in history:
            self.log(record["step"], {k: v for k, v in record.items() if k != "step"})

    def log(self, step: int, values: dict) -> None:
        """Record `values` at `step` (kept in `history` for the next checkpoint)."""
        self.history.append({"step": step, **values})
        self.live.step = step
        for name, value in values.items():
            self.live.log_metric(name, value)
        self.live.make_summary()

    def finish(self, summary: dict) -> None:
        """Add the run's numeric summary to metrics.json."""
        self.live.summary.update({k: v for k, v in summary.items() if isinstance(v, int | float)})
        self.live.make_summary()


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
