"""User-facing errors. Each is also a built-in exception and carries the fields it names.

The CLI turns any CmdCorrectError into one stderr line and exit code 1
(the full traceback only with CMD_CORRECT_DEBUG=1).
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

SHOWN = 20  # problems a many-problem error prints in full (validate.show and prepare.show default to it)


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

    def __init__(self, problems: list[DataError], *, shown: int = SHOWN):
        self.problems = problems
        head = "\n".join(str(p) for p in problems[:shown])
        more = f"\n... and {len(problems) - shown} more" if len(problems) > shown else ""
        super().__init__(f"{len(problems)} problem(s):\n{head}{more}")


class ParamsError(CmdCorrectError, ValueError):
    """params.yaml or an overlay is invalid: lists every problem at once; `params` holds the dotted keys
    the problems name (`train.rank`, or a section name), in order."""

    def __init__(self, path: str | Path, problems: list[str]):
        self.path, self.problems = str(path), problems
        self.params = tuple(dict.fromkeys(k for k in map(_param_of, problems) if k))
        super().__init__(f"{path}: " + "; ".join(problems))


# "train: rank: must be > 0" (a section's own check) or "generate.rows: expected int" -> the dotted key
_PARAM = re.compile(r"([A-Za-z_][\w.-]*)(?:: ([A-Za-z_]\w*)(?=:))?:")


def _param_of(problem: str) -> str | None:
    m = _PARAM.match(problem)
    return ".".join(g for g in m.groups() if g) if m else None


class ToolError(CmdCorrectError, RuntimeError):
    """An external tool (llama.cpp, kaggle, dvc, git) failed or is missing: `tool` names it, `path` the file
    or folder involved and `param` the setting at fault, where there is one."""

    def __init__(
        self, message: str, *, tool: str | None = None, path: str | Path | None = None, param: str | None = None
    ):
        super().__init__(message)
        self.tool, self.path, self.param = tool, None if path is None else str(path), param


class ToolchainError(ToolError):
    """The llama.cpp toolchain is missing or could not be built (also `cmd_correct.toolchain.ToolchainError`)."""

    def __init__(self, message: str, *, tool: str | None = "llama.cpp", path: str | Path | None = None):
        super().__init__(message, tool=tool, path=path)


class OutputError(CmdCorrectError, OSError):
    """An output path that must not or cannot be written: names the path and why."""

    def __init__(self, path: str | Path, reason: str):
        self.path, self.reason = str(path), reason
        super().__init__(f"{self.path}: {reason}")

    def __str__(self) -> str:  # OSError's own __str__ would show the args tuple
        return f"{self.path}: {self.reason}"


class ModelError(CmdCorrectError, ValueError):
    """A model file or folder is missing, corrupt or not what the stage expects: `path` names it, `field` the
    key inside it at fault (`peft_type`, `rank`), `param` the params key (`base.revision`), `problems` every
    problem found where one check collects several."""

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        field: str | None = None,
        param: str | None = None,
        problems: list[str] | tuple[str, ...] = (),
    ):
        super().__init__(message)
        self.path, self.field, self.param = None if path is None else str(path), field, param
        self.problems = tuple(problems)


class GateError(CmdCorrectError, RuntimeError):
    """At least one quality gate failed: `failures` names the failing metrics."""

    def __init__(self, message: str, *, failures: list[str] | tuple[str, ...] = ()):
        super().__init__(message)
        self.failures = tuple(failures)


class ReleaseError(CmdCorrectError, RuntimeError):
    """A release precondition is not met, or the upload could not be verified: `problems` lists each reason."""

    def __init__(self, message: str, *, problems: list[str] | tuple[str, ...] = ()):
        super().__init__(message)
        self.problems = tuple(problems)


class ExhaustedError(CmdCorrectError, RuntimeError):
    """generate's templates cannot produce enough distinct rows for one shell/family cell."""

    def __init__(self, shell: str, family: str, got: int, want: int, draws: int):
        self.shell, self.family, self.got, self.want, self.draws = shell, family, got, want, draws
        super().__init__(
            f"generate: only {got} of {want} distinct {shell}/{family} rows after {draws} draws; "
            "lower generate.rows or add templates"
        )


class ValidationError(DataErrors):
    """validate failed: the first problems in full, then counts per field (`problems` holds them all)."""

    def __init__(self, problems: list[DataError], *, shown: int = SHOWN):
        super().__init__(problems, shown=shown)
        by_field = Counter(p.field or "row" for p in problems)
        counts = ", ".join(f"{k}: {v}" for k, v in sorted(by_field.items()))
        self.args = (f"{self.args[0]}\nproblems per field: {counts}",)
