"""The one CLI: dispatch, one-line user errors, usage."""

import subprocess
import sys

from cmd_correct import cli
from cmd_correct.errors import DataError


def test_unknown_stage_prints_usage_and_exits_2(capsys):
    assert cli.main(["nonsense"]) == 2
    assert "usage: python -m cmd_correct {generate," in capsys.readouterr().err


def test_user_error_is_one_stderr_line(capsys, monkeypatch):
    monkeypatch.delenv("CMD_CORRECT_DEBUG", raising=False)
    assert cli.report(DataError("data/x.jsonl", 7, "shell", "unknown shell 'sh'")) == 1
    err = capsys.readouterr().err
    assert err == "error: data/x.jsonl:7: shell: unknown shell 'sh'\n"


def test_debug_env_shows_the_traceback(capsys, monkeypatch):
    monkeypatch.setenv("CMD_CORRECT_DEBUG", "1")
    try:
        raise DataError("f", 1, None, "boom")
    except DataError as exc:
        cli.report(exc)
    assert "Traceback" in capsys.readouterr().err


def test_module_entry_point_runs():
    out = subprocess.run([sys.executable, "-m", "cmd_correct", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "usage" in out.stderr
