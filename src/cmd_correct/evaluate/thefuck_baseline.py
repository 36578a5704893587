"""The rule-based `thefuck` corrector as a baseline, called through its own rules, without a shell.

thefuck picks its shell once at import (TF_SHELL) and keeps settings and caches under XDG folders, so
each shell's cases run in a child process with TF_SHELL set and throw-away config/cache folders; the
child reads cases as JSON on stdin and prints the first suggestion per case (or null) as JSON.

Within its reach: shells thefuck supports (bash, zsh, fish, tcsh, powershell; not cmd) and families
that are failed commands (single, chained, tools; not natural-language requests, which it cannot
answer). Its rules see the command and, where data/generated recorded one, the shell's error message;
rules like `no_command` also consult the executables installed on this machine.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

from ..errors import ToolError
from ..progress import Progress, noop_progress
from .cases import Case

SHELLS = ("bash", "zsh", "fish", "tcsh", "powershell")
FAMILIES = ("single", "chained", "tools")
REACH = "shells bash, zsh, fish, tcsh, powershell (cmd unsupported); families single, chained, tools (not natural)"


def in_reach(case: Case) -> bool:
    return case.shell in SHELLS and case.family in FAMILIES


def suggest(cases: list[Case], *, timeout: float = 600, progress: Progress = noop_progress) -> dict[str, str | None]:
    """First thefuck suggestion per case id (None: no rule matched); only cases within reach are run."""
    out: dict[str, str | None] = {}
    todo = [c for c in cases if in_reach(c)]
    for shell in SHELLS:
        group = [c for c in todo if c.shell == shell]
        if not group:
            continue
        progress("thefuck", len(out), len(todo))
        with tempfile.TemporaryDirectory() as home:
            env = {
                **os.environ,
                "TF_SHELL": shell,
                "XDG_CONFIG_HOME": f"{home}/config",
                "XDG_CACHE_HOME": f"{home}/cache",
                "THEFUCK_REQUIRE_CONFIRMATION": "false",
            }
            payload = json.dumps([{"id": c.id, "script": c.command, "output": c.error or ""} for c in group])
            try:
                p = subprocess.run(
                    [sys.executable, "-m", __name__],
                    input=payload,
                    capture_output=True,
                    text=True,
                    env=env,
                    timeout=timeout,
                )
            except subprocess.TimeoutExpired:
                raise ToolError(
                    f"thefuck baseline ({shell}): timed out after {timeout:.0f} s", tool="thefuck"
                ) from None
        if p.returncode != 0:
            raise ToolError(
                f"thefuck baseline ({shell}) failed: {(p.stderr.strip().splitlines() or ['?'])[-1]}", tool="thefuck"
            )
        out.update(json.loads(p.stdout.strip().splitlines()[-1]))
    progress("thefuck", len(todo), len(todo))
    return out


def _child() -> None:
    """In the child: run thefuck's rules on each case from stdin; print {id: first suggestion or null}."""
    import io
    from contextlib import redirect_stdout

    with redirect_stdout(io.StringIO()):  # thefuck may print warnings; stdout carries only our JSON
        from thefuck.conf import settings
        from thefuck.corrector import get_corrected_commands
        from thefuck.types import Command

        settings.init()
        result = {}
        for case in json.loads(sys.stdin.read()):
            try:
                first = next(iter(get_corrected_commands(Command(case["script"], case["output"]))), None)
            except Exception:  # a rule crashing on odd input means no suggestion, as in real use
                first = None
            result[case["id"]] = first.script if first is not None else None
    print(json.dumps(result))


if __name__ == "__main__":
    _child()
