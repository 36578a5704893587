"""User-facing errors. Each is also a built-in exception and carries the fields it names.

The CLI turns any CmdCorrectError into one stderr line and exit code 1
(the full traceback only with CMD_CORRECT_DEBUG=1).
"""

from __future__ import annotations

from pathlib import Path


class CmdCorrectError(Exception):
    """Base class of every error the CLI reports as one line."""


class DataError(CmdCorrectError, ValueError):
    """A data file is malformed: names the file, the line and the field."""

    def __init__(self, path: str | Path, line: int | None, field: str | None, reason: str):
        self.path, self.line, self.field, self.reason = str(path), line, field, reason
        where = self.path if line is None else f"{self.path}:{line}"
        super().__init__(f"{where}: {field}: {reason}" if field else f"{where}: {reason}")


class DataErrors(CmdCorrectError, ValueError):
    """Many data problems found in one pass; the message shows the first few and the counts."""

    def __init__(self, problems: list[DataError], *, shown: int = 20):
        self.problems = problems
        head = "\n".join(str(p) for p in problems[:shown])
        more = f"\n... and {len(problems) - shown} more" if len(problems) > shown else ""
        super().__init__(f"{len(problems)} problem(s):\n{head}{more}")


class ParamsError(CmdCorrectError, ValueError):
    """params.yaml or an overlay is invalid: lists every problem at once."""

    def __init__(self, path: str | Path, problems: list[str]):
        self.path, self.problems = str(path), problems
        super().__init__(f"{path}: " + "; ".join(problems))


class ToolError(CmdCorrectError, RuntimeError):
    """An external tool (llama.cpp, kaggle, dvc) failed or is missing."""


class ToolchainError(ToolError):
    """The llama.cpp toolchain is missing or could not be built (also `cmd_correct.toolchain.ToolchainError`)."""


class OutputError(CmdCorrectError, OSError):
    """An output path that must not or cannot be written: names the path and why."""

    def __init__(self, path: str | Path, reason: str):
        self.path, self.reason = str(path), reason
        super().__init__(f"{self.path}: {reason}")

    def __str__(self) -> str:  # OSError's own __str__ would show the args tuple
        return f"{self.path}: {self.reason}"


class ModelError(CmdCorrectError, ValueError):
    """A model file or folder is missing, corrupt or not what the stage expects."""


class GateError(CmdCorrectError, RuntimeError):
    """At least one quality gate failed."""


class ReleaseError(CmdCorrectError, RuntimeError):
    """A release precondition is not met, or the upload could not be verified."""
