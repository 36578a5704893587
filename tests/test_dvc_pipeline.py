"""DVC behaviour of the data stages on a real `dvc` repo in a temp dir.

The repo gets this project's own generate/validate/prepare entries from dvc.yaml, the sources they list
as deps, and params.yaml with a small `generate.rows`. We read which stages ran from `dvc repro` output.
A toy repo takes every stage's params list from dvc.yaml (toy commands): operational knobs rerun nothing.
"""

from __future__ import annotations

import json
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
        # generate's import folder is a dep: the repo holds it as git does (its README; never a checkout's data)
        (path / "data" / "import").mkdir(parents=True)
        shutil.copy(ROOT / "data" / "import" / "README.md", path / "data" / "import" / "README.md")
        raw = yaml.safe_load((ROOT / "params.yaml").read_text())
        # every section the stages' `params:` name (generate reads `machine.*` too), so none is missing
        named = {str(key).split(".")[0] for stage in mine.values() for key in stage.get("params", [])}
        self.params = {k: raw[k] for k in raw if k in {"base", *STAGES} | named}
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
    # Operational knobs (how many problems are printed) are read by validate and prepare but are no deps.
    repo.set("validate", show=3)
    repo.set("prepare", show=3)
    assert repo.repro() == []
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


def test_an_imported_folder_reruns_the_data_stages_when_a_file_in_it_changes(tmp_path: Path):
    from test_import import gen_row

    repo = Repo(tmp_path / "repo")
    repo.set("generate", source="import")
    repo.set("validate", tolerance=1, family_min={}, max_trivial_share=1, max_near_duplicate_share=1)
    rows = [
        gen_row("bash", "single", "typo", "gti status", "git status", "train"),
        gen_row("zsh", "chained", "and-chain", "cd src && mkae", "cd src && make", "valid"),
        gen_row("powershell", "natural", "nl", "list the files here", "Get-ChildItem", "test"),
        gen_row("fish", "tools", "subcommand", "docker sp", "docker ps", "train"),
    ]
    theirs = tmp_path / "theirs.jsonl"  # another tool's output, linked in (DVC hashes the file it points to)
    theirs.write_text("".join(json.dumps(r) + "\n" for r in rows))
    (repo.path / "data" / "import" / "theirs.jsonl").symlink_to(theirs)
    assert repo.repro() == list(STAGES)
    generated = repo.path / "data" / "generated"
    assert sum(1 for f in generated.glob("*.jsonl") for _ in f.open()) == 4
    assert repo.repro() == []

    more = gen_row("bash", "single", "typo", "sl -la", "ls -la", "test")
    theirs.write_text(theirs.read_text() + json.dumps(more) + "\n")
    assert repo.repro() == list(STAGES)
    assert [json.loads(line)["command"] for line in (generated / "single.jsonl").open()] == ["gti status", "sl -la"]


# --- every stage's params deps, on toy stages ------------------------------------------------------------

TOY_STAGE = """import sys
from pathlib import Path

Path("out").mkdir(exist_ok=True)
Path("out", sys.argv[1]).write_text(sys.argv[1])
"""


class ToyRepo(Repo):
    """This repo's dvc.yaml params lists and whole params.yaml, each stage's command swapped for a toy that
    writes one file and no data deps between stages: what reruns is decided by the params lists alone."""

    def __init__(self, path: Path):
        self.path = path
        self.env = {**os.environ, "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"]}
        path.mkdir()
        self.spec = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
        toy = {
            name: {"cmd": f"python toy.py {name}", "deps": ["toy.py"], "params": s["params"], "outs": [f"out/{name}"]}
            for name, s in self.spec.items()
        }
        (path / "dvc.yaml").write_text(yaml.safe_dump({"stages": toy}, sort_keys=False))
        (path / "toy.py").write_text(TOY_STAGE)
        self.params = yaml.safe_load((ROOT / "params.yaml").read_text())
        self.put({})
        self.dvc("init", "--no-scm", "-q")

    def get(self, dotted: str):
        node = self.params
        for key in dotted.split("."):
            node = node[key]
        return node

    def put(self, values: dict) -> None:
        """Set dotted keys in params.yaml; the result must still load (every change is a valid one)."""
        from cmd_correct import params

        for dotted, value in values.items():
            *parents, leaf = dotted.split(".")
            self.get(".".join(parents))[leaf] = value
        (self.path / "params.yaml").write_text(yaml.safe_dump(self.params, sort_keys=False))
        params.load(self.path / "params.yaml")


def _changed(value):
    """Another valid value for an operational knob."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value * 2 + 1
    if value in ("active", "passive"):  # an OpenMP wait policy
        return {"active": "passive", "passive": "active"}[value]
    return "scratch" if value is None else f"{value}-x"


def test_operational_knobs_rerun_no_stage_and_real_keys_do(tmp_path: Path):
    from cmd_correct import params

    repo = ToyRepo(tmp_path / "toy")
    assert sorted(repo.repro()) == sorted(repo.spec)

    knobs = [k for name in params.SECTIONS for k in params.operational_keys(params.section_class(name), name + ".")]
    assert {"train.kaggle.poll_interval", "train.kaggle.timeout", "evaluate.timeout_s", "convert.timeout_s"} <= set(
        knobs
    )
    repo.put({k: _changed(repo.get(k)) for k in knobs})  # every operational knob at once
    assert json.loads(repo.dvc("status", "--json").stdout) == {}
    assert repo.repro() == []

    repo.put({"train.kaggle.accelerator": "NvidiaTeslaP100"})  # the GPU decides the adapter's numerics
    assert repo.repro() == ["train"]
    repo.put({"evaluate.threads": 1})  # latency metrics, and the baseline's answers, depend on it
    assert sorted(repo.repro()) == ["baseline", "evaluate"]
    repo.put({"convert.outtype": "bf16"})
    assert sorted(repo.repro()) == ["base_gguf", "convert"]
