"""The one CLI: `python -m cmd_correct <stage> [args]`, plus the pieces stage CLIs share.

Only this layer prints: core functions take a `progress(task, done, total)` callback.
Progress goes to stderr and is silenced by CMD_CORRECT_NO_PROGRESS=1 (ours, and the bars of
transformers, huggingface_hub and tqdm, in this process and its children); data goes to stdout.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import traceback

from .errors import CmdCorrectError
from .paths import PARAMS
from .progress import quiet, silence_libraries
from .stages import COMMANDS


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
    """Dispatch to the command's module (`stages.COMMANDS`): `main(args)`."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in COMMANDS:
        print(f"usage: python -m cmd_correct {{{','.join(COMMANDS)}}} [args]", file=sys.stderr)
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    if quiet():  # before the stage imports transformers or huggingface_hub
        silence_libraries()
    module = importlib.import_module(COMMANDS[argv[0]])
    try:
        return int(module.main(argv[1:]) or 0)
    except (CmdCorrectError, OSError) as exc:  # OSError: a path the OS refused (permissions, full disk)
        return report(exc)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
