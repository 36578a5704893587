"""dvc.yaml, paths.py, params.yaml and the CLI agree: one name per stage, one layout, every section typed."""

import importlib
import re
from pathlib import Path

import pytest
import yaml

from cmd_correct import cli, params, paths

ROOT = Path(__file__).resolve().parents[1]
SPEC = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
LAYOUT = {str(v) for v in vars(paths).values() if isinstance(v, Path)}


@pytest.mark.parametrize("name", sorted(SPEC))
def test_stage_runs_its_own_module_through_the_one_cli(name):
    cmd = SPEC[name]["cmd"]
    module = cmd.split()[3]
    assert cmd.startswith("python -m cmd_correct ") and module in cli.STAGES
    assert hasattr(importlib.import_module(f"cmd_correct.{module}"), "main")


@pytest.mark.parametrize("name", sorted(SPEC))
def test_stage_paths_are_the_layout_of_paths_py(name):
    stage = SPEC[name]
    args = [a for a in stage["cmd"].split()[4:] if not a.startswith("-")]
    declared = [d for d in stage.get("deps", []) if not d.startswith("src/")]
    for group in ("outs", "metrics", "plots"):
        declared += [next(iter(o)) if isinstance(o, dict) else o for o in stage.get(group, [])]
    for path in args + declared:
        # Every data path is a layout entry or a file inside one.
        assert any(path == p or path.startswith(p + "/") for p in LAYOUT), f"{name}: {path} not in paths.py"


@pytest.mark.parametrize("name", sorted(SPEC))
def test_stage_params_are_typed_sections(name):
    raw = params.load(ROOT / "params.yaml")
    for entry in SPEC[name].get("params", []):
        key = entry if isinstance(entry, str) else next(iter(entry))
        section, *rest = key.split(".")
        assert section in raw, f"{name}: params section {section!r} missing from params.yaml"
        if section in params.SECTIONS:
            typed = params.section(section, raw, path=ROOT / "params.yaml")
            if rest:
                assert hasattr(typed, rest[0]), f"{name}: {key} is not a field of {type(typed).__name__}"


def test_every_params_section_loads_through_its_class():
    raw = params.load(ROOT / "params.yaml")
    for name in params.SECTIONS:
        params.section(name, raw, path=ROOT / "params.yaml")


def _stage_sources(stage: dict) -> str:
    files = []
    for dep in stage.get("deps", []):
        path = ROOT / dep
        if dep.startswith("src/"):
            files += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    return "\n".join(f.read_text() for f in files)


@pytest.mark.parametrize("name", sorted(SPEC))
def test_stage_depends_on_the_prompt_and_the_llama_cpp_pin_it_uses(name):
    # Regression: bumping the llama.cpp pin (toolchain.py) left the GGUF stages "up to date".
    deps = SPEC[name].get("deps", [])
    code = _stage_sources(SPEC[name])
    if re.search(r"from \.+ import [^\n]*\bcontract\b|from \.+contract import", code):
        assert "src/cmd_correct/contract.py" in deps, f"{name} builds prompts but does not depend on contract.py"
    if re.search(r"from \.+ import [^\n]*\btoolchain\b|from \.+gguf import", code):
        assert "src/cmd_correct/toolchain.py" in deps, f"{name} runs llama.cpp but does not depend on toolchain.py"


@pytest.mark.parametrize("name", sorted(SPEC))
def test_stage_can_be_restored_from_the_run_cache(name):
    # Regression: evaluate's `cache: false` outs made dvc skip its run-cache entry, so CI reran it on every PR
    # (dvc/stage/__init__.py: an uncached out that is neither a metric nor a plot disables the run-cache).
    for out in SPEC[name].get("outs", []):
        if isinstance(out, dict):
            (path, opts), *_ = out.items()
            assert (opts or {}).get("cache", True), f"{name}: out {path} has cache: false (declare it a metric/plot)"
