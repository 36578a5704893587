"""Progress: the callback type every stage's core takes, and the one display the CLI shows it with.

A core function takes `progress(task, done, total)` and never prints; the thin CLIs pass `progress_bar()`'s
callback. Progress goes to stderr and is silenced by CMD_CORRECT_NO_PROGRESS=1 (ours, and the bars of
transformers, huggingface_hub and tqdm, in this process and its children). This module imports nothing of
the package: every layer may use it.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator

Progress = Callable[[str, int, "int | None"], None]


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
