"""The one CLI: `python -m cmd_correct <stage> [args]`, plus the pieces stage CLIs share.

Only this layer prints: core functions take a `progress(task, done, total)` callback.
Progress goes to stderr and is silenced by CMD_CORRECT_NO_PROGRESS=1 (ours, and the bars of
transformers, huggingface_hub and tqdm, in this process and its children); data goes to stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
import traceback
from collections.abc import Callable, Iterator

from .errors import CmdCorrectError
from .paths import PARAMS

Progress = Callable[[str, int, "int | None"], None]

STAGES = (
    "generate",
    "validate",
    "prepare",
    "base",
    "train",
    "fuse",
    "convert",
    "imatrix",
    "quantize",
    "baseline",
    "evaluate",
    "gate",
    "release",
    "correct",
    "toolchain",
)


def noop_progress(task: str, done: int, total: int | None) -> None:
    """A progress callback that ignores everything (the default for core functions)."""


def quiet() -> bool:
    """Whether CMD_CORRECT_NO_PROGRESS=1 asks for no progress output at all."""
    return os.environ.get("CMD_CORRECT_NO_PROGRESS") == "1"


def silence_libraries() -> None:
    """Turn off the libraries' own bars: their env switches (read at import, inherited by children),
    and their APIs where they are imported already. Explicit user settings of those switches win."""
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # huggingface_hub, and transformers reads it
    os.environ.setdefault("TQDM_DISABLE", "1")  # every other tqdm bar (datasets, dvc, ...)
    if os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] == "0":
        return
    if "huggingface_hub" in sys.modules:
        from huggingface_hub.utils import disable_progress_bars

        disable_progress_bars()
    if "transformers" in sys.modules:
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()


@contextlib.contextmanager
def progress_bar() -> Iterator[Progress]:
    """A rich progress display on stderr, one bar per task name; yields the callback."""
    if quiet():
        silence_libraries()
        yield noop_progress
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
    from rich.progress import Progress as Bar

    bar = Bar(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=False,
    )
    tasks: dict[str, int] = {}

    def update(task: str, done: int, total: int | None) -> None:
        if not tasks:  # started on the first update: a stage refused up front prints its one line only
            bar.start()
        if task not in tasks:
            tasks[task] = bar.add_task(task, total=total)
        bar.update(tasks[task], completed=done, total=total)

    try:
        yield update
    finally:
        if tasks:
            bar.stop()


def parser(stage: str, doc: str | None) -> argparse.ArgumentParser:
    """An argparse parser for a stage, with the common `--params` option."""
    p = argparse.ArgumentParser(prog=f"python -m cmd_correct {stage}", description=(doc or "").strip())
    p.add_argument("--params", default=str(PARAMS), help=f"params file (default: {PARAMS})")
    return p


def report(exc: BaseException) -> int:
    """One stderr line for a user error (traceback only with CMD_CORRECT_DEBUG=1); returns exit code 1."""
    if os.environ.get("CMD_CORRECT_DEBUG") == "1":
        traceback.print_exception(exc)
    else:
        print(f"error: {exc}", file=sys.stderr)
    return 1


def main(argv: list[str] | None = None) -> int:
    """Dispatch to `cmd_correct.<stage>.main(args)`."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in STAGES:
        print(f"usage: python -m cmd_correct {{{','.join(STAGES)}}} [args]", file=sys.stderr)
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    if quiet():  # before the stage imports transformers or huggingface_hub
        silence_libraries()
    module = importlib.import_module(f"cmd_correct.{argv[0]}")
    try:
        return int(module.main(argv[1:]) or 0)
    except (CmdCorrectError, OSError) as exc:  # OSError: a path the OS refused (permissions, full disk)
        return report(exc)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
