"""The one CLI: dispatch, one-line user errors, usage."""

import os
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


def test_no_progress_silences_transformers_and_huggingface_hub_bars(tmp_path):
    # Regression: CMD_CORRECT_NO_PROGRESS=1 hid only our own bars; downloads and loads still drew theirs.
    script = (
        "from cmd_correct import progress\n"
        "import huggingface_hub.utils as hub\n"  # imported before the switch: the API path
        "with progress.progress_bar():\n"
        "    list(hub.tqdm(range(3), desc='hub'))\n"
        "    from transformers.utils import logging\n"  # imported after: the env path
        "    list(logging.tqdm(range(3), desc='transformers'))\n"
        "    import tqdm; list(tqdm.tqdm(range(3), desc='plain'))\n"
        "import os; print(os.environ['HF_HUB_DISABLE_PROGRESS_BARS'], os.environ['TQDM_DISABLE'])\n"
    )
    # .ci/run itself sets CMD_CORRECT_NO_PROGRESS=1: the loud run must not inherit it
    quiet_vars = ("HF_HUB_DISABLE_PROGRESS_BARS", "TQDM_DISABLE", "CMD_CORRECT_NO_PROGRESS")
    env = {k: v for k, v in os.environ.items() if k not in quiet_vars}
    quiet = subprocess.run(
        [sys.executable, "-c", script], env={**env, "CMD_CORRECT_NO_PROGRESS": "1"}, capture_output=True, text=True
    )
    assert quiet.returncode == 0 and quiet.stderr == "" and quiet.stdout == "1 1\n"  # children inherit them
    loud = subprocess.run([sys.executable, "-c", script.split("import os")[0]], env=env, capture_output=True, text=True)
    assert "hub" in loud.stderr and "transformers" in loud.stderr


def test_an_impossible_output_path_is_one_line(tmp_path):
    # Regression: an output under a file (or any OSError on the way out) ended in a traceback.
    blocker = tmp_path / "file"
    blocker.write_text("x")
    (tmp_path / "gen").mkdir()
    env = {**os.environ, "CMD_CORRECT_NO_PROGRESS": "1"}
    env.pop("CMD_CORRECT_DEBUG", None)
    cmd = [sys.executable, "-m", "cmd_correct", "validate", str(tmp_path / "gen"), str(blocker / "v.json")]
    ran = subprocess.run(cmd, env=env, capture_output=True, text=True)
    assert ran.returncode == 1 and ran.stderr.count("\n") == 1 and "Traceback" not in ran.stderr
    assert ran.stderr.startswith(f"error: {blocker / 'v.json'}: ")
