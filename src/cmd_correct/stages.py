"""Every name the package dispatches on, and the module behind it: the CLI's commands, the params sections,
train's backends and dvc.yaml's stages. One place to look; the CLI, the params loader, `train.run` and
bench/ read these maps instead of keeping lists of their own (as mlx-lm's cli.py maps its subcommands).

Imports nothing of the package: every layer may read it.
"""

from __future__ import annotations

# `python -m cmd_correct <command>` -> the module whose `main(argv)` runs it.
COMMANDS: dict[str, str] = {
    "generate": "cmd_correct.generate",
    "validate": "cmd_correct.validate",
    "prepare": "cmd_correct.prepare",
    "base": "cmd_correct.base",
    "train": "cmd_correct.train",
    "fuse": "cmd_correct.fuse",
    "convert": "cmd_correct.convert",
    "imatrix": "cmd_correct.imatrix",
    "quantize": "cmd_correct.quantize",
    "baseline": "cmd_correct.baseline",
    "evaluate": "cmd_correct.evaluate",
    "gate": "cmd_correct.gate",
    "release": "cmd_correct.release",
    "correct": "cmd_correct.correct",
    "toolchain": "cmd_correct.toolchain",
}

# params.yaml section -> the module whose `Params` dataclass types it (the command that reads it).
SECTIONS: dict[str, str] = {
    "base": COMMANDS["base"],
    "generate": COMMANDS["generate"],
    "machine": COMMANDS["generate"] + ".machine",  # the machine generate draws per row (tool results)
    "validate": COMMANDS["validate"],
    "prepare": COMMANDS["prepare"],
    "train": COMMANDS["train"],
    "fuse": COMMANDS["fuse"],
    "convert": COMMANDS["convert"],
    "imatrix": COMMANDS["imatrix"],
    "quantize": COMMANDS["quantize"],
    "evaluate": COMMANDS["evaluate"],
    "gates": COMMANDS["gate"],
    "release": COMMANDS["release"],
}

# `train.backend` -> the module whose `train(...)` is a `train.Backend`.
BACKENDS: dict[str, str] = {
    "torch": COMMANDS["train"] + ".torch_backend",  # PEFT on CPU, CUDA or MPS
    "mlx": COMMANDS["train"] + ".mlx_backend",  # mlx-lm's LoRA trainer (Apple silicon; CPU on Linux)
    "kaggle": COMMANDS["train"] + ".kaggle_backend",  # a Kaggle GPU kernel running the torch backend
}

# dvc.yaml's stages in the order `dvc repro` runs them -> the command each runs (tests/test_pipeline.py checks).
PIPELINE: dict[str, str] = {
    "generate": "generate",
    "validate": "validate",
    "prepare": "prepare",
    "base": "base",
    "train": "train",
    "fuse": "fuse",
    "convert": "convert",
    "base_gguf": "convert",  # `convert --base`: the untuned base model as a GGUF, for baseline
    "imatrix": "imatrix",
    "quantize": "quantize",
    "baseline": "baseline",
    "evaluate": "evaluate",
}
