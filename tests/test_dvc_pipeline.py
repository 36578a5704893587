"""DVC behaviour of the data stages on a real `dvc` repo in a temp dir.

The repo gets this project's own generate/validate/prepare entries from dvc.yaml, the sources they list
as deps, and params.yaml with a small `generate.rows`. We read which stages ran from `dvc repro` output.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
STAGES = ("generate", "validate", "prepare")

pytestmark = pytest.mark.slow


class Repo:
    def __init__(self, path: Path):
        self.path = path
        bindir = str(Path(sys.executable).parent)  # `python` in the stage commands is this venv's
        self.env = {**os.environ, "PATH": bindir + os.pathsep + os.environ["PATH"], "CMD_CORRECT_NO_PROGRESS": "1"}
        path.mkdir()
        stages = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
        mine = {name: stages[name] for name in STAGES}
        (path / "dvc.yaml").write_text(yaml.safe_dump({"stages": mine}, sort_keys=False))
        for stage in mine.values():
            for dep in stage["deps"]:
                src = ROOT / dep
                if dep.startswith("src/"):
                    (path / dep).parent.mkdir(parents=True, exist_ok=True)
                    if src.is_dir():
                        shutil.copytree(
                            src, path / dep, ignore=shutil.ignore_patterns("__pycache__"), dirs_exist_ok=True
                        )
                    else:
                        shutil.copy(src, path / dep)
        raw = yaml.safe_load((ROOT / "params.yaml").read_text())
        self.params = {k: raw[k] for k in ("base", *STAGES)}
        self.set("generate", rows=2000)
        self.dvc("init", "--no-scm", "-q")
        shutil.copy(ROOT / ".dvcignore", path / ".dvcignore")

    def set(self, section: str, **values) -> None:
        self.params[section].update(values)
        (self.path / "params.yaml").write_text(yaml.safe_dump(self.params, sort_keys=False))

    def dvc(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        proc = subprocess.run(
            [sys.executable, "-m", "dvc", *args], cwd=self.path, env=self.env, capture_output=True, text=True
        )
        if check and proc.returncode != 0:
            raise AssertionError(f"dvc {' '.join(args)} -> {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
        return proc

    def repro(self, check: bool = True) -> list[str]:
        """Run `dvc repro`; the stages that really ran, in order."""
        proc = self.dvc("repro", check=check)
        return re.findall(r"Running stage '([\w-]+)'", proc.stdout + proc.stderr)


def test_repro_reruns_only_what_changed(tmp_path: Path):
    repo = Repo(tmp_path / "repo")
    assert repo.repro() == list(STAGES)
    final = repo.path / "data" / "final"
    assert (final / "train.jsonl").is_file() and (repo.path / "data" / "validation.json").is_file()
    assert repo.repro() == []  # nothing changed: nothing runs
    # Regression: an import writing bytecode into a source dep folder made DVC rerun every stage.
    cache = repo.path / "src" / "cmd_correct" / "generate" / "__pycache__"
    cache.mkdir(exist_ok=True)
    (cache / "catalogue.cpython-311.pyc").write_bytes(b"\x00" * 16)
    assert repo.repro() == []

    before = (repo.path / "data" / "generated" / "tools.jsonl").read_bytes()
    repo.set("prepare", calibration_rows=100)
    assert repo.repro() == ["prepare"]
    assert (final / "calibration.txt").read_text().count("<|im_start|>system") == 100
    assert (repo.path / "data" / "generated" / "tools.jsonl").read_bytes() == before

    repo.set("generate", rows=2100)
    assert repo.repro() == list(STAGES)
    assert repo.repro() == []


def test_failed_validation_stops_the_pipeline(tmp_path: Path):
    repo = Repo(tmp_path / "repo")
    repo.set("validate", max_trivial_share=0.0)  # any one-character edit now fails validation
    ran = repo.repro(check=False)
    assert ran == ["generate", "validate"]
    assert not (repo.path / "data" / "validation.json").exists()
    assert not (repo.path / "data" / "final").exists()
