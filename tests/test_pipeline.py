"""dvc.yaml, paths.py, params.yaml and the CLI agree: one name per stage, one layout, every section typed."""

import dataclasses
import importlib
import json
import re
from pathlib import Path

import pytest
import test_layers as layers
import yaml

from cmd_correct import baseline, io, params, paths
from cmd_correct.stages import COMMANDS, PIPELINE

ROOT = Path(__file__).resolve().parents[1]
SPEC = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
LAYOUT = {str(v) for v in vars(paths).values() if isinstance(v, Path)}


@pytest.mark.parametrize("name", sorted(SPEC))
def test_stage_runs_its_own_module_through_the_one_cli(name):
    cmd = SPEC[name]["cmd"]
    command = cmd.split()[3]
    assert cmd.startswith("python -m cmd_correct ") and command == PIPELINE[name]
    assert hasattr(importlib.import_module(COMMANDS[command]), "main")


def test_the_pipeline_map_is_dvc_yaml_in_run_order():
    # bench/ walks the stages in this order, so it must be the order `dvc repro` runs them.
    assert list(SPEC) == list(PIPELINE)


def test_every_command_module_has_a_main_and_every_section_a_params_class():
    for module in COMMANDS.values():
        assert callable(importlib.import_module(module).main), module
    for name in params.SECTIONS:
        assert dataclasses.is_dataclass(params.section_class(name)), name


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
        node = raw
        for part in key.split("."):  # dvc refuses a key params.yaml lacks, even where the Params has a default
            assert isinstance(node, dict) and part in node, f"{name}: {key} missing from params.yaml"
            node = node[part]


def test_committed_plot_data_is_records_dvc_can_read():
    # Regression: a learning_curve.json point without `source` beside points with one made `dvc plots show`
    # fail with a TypeError (DVC reads a list as records only when every record has the same keys).
    plots = [p for p in yaml.safe_load((ROOT / "dvc.yaml").read_text())["plots"] if isinstance(p, dict)]
    specs = [spec for plot in plots for spec in plot.values() if isinstance(spec, dict)]
    files = {f for spec in specs if isinstance(spec.get("y"), dict) for f in spec["y"] if f.startswith("bench/")}
    assert files
    for name in files:
        data = json.loads((ROOT / name).read_text())
        lists = [data] if isinstance(data, list) else [v for v in data.values() if isinstance(v, list)]
        assert lists and all(len({frozenset(record) for record in records}) == 1 for records in lists), name


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


# --- params deps: the exact keys that can change a stage's outputs ---------------------------------------

# What each stage's code reads from params.yaml, operational knobs included: a section name is all its fields
# (nested dataclasses too), a dotted key is that field. dvc.yaml must list exactly these less the operational
# ones (fields marked `params.operational()`), so a timeout or a Kaggle poll interval reruns nothing.
READS = {
    "generate": ("base.seed", "base.consumer", "generate", "machine", "prepare.split"),
    "validate": ("validate", "generate.shell_weights", "generate.family_weights"),
    "prepare": ("base.seed", "base.consumer", "prepare"),
    "base": ("base.model", "base.revision"),  # base.seed and base.consumer are read by the others, not this stage
    "train": ("base.seed", "train"),
    "fuse": ("fuse",),
    "convert": ("convert.outtype", "convert.name", "convert.timeout_s"),
    "base_gguf": ("convert.outtype", "convert.base_name", "convert.timeout_s"),
    "imatrix": ("imatrix",),
    "quantize": ("quantize",),
    "baseline": ("base.seed", "base.consumer", *(f"evaluate.{k}" for k in baseline.PARAMS_READ)),
    "evaluate": ("base.seed", "base.consumer", "evaluate"),
}
OPERATIONAL = {k for name in params.SECTIONS for k in params.operational_keys(params.section_class(name), name + ".")}
DEP_KEYS = {k for name in params.SECTIONS for k in params.dep_keys(params.section_class(name), name + ".")}


def _expand(entry: str) -> set[str]:
    """Every leaf key under `entry` (a section, a nested dataclass or one field), operational ones too."""
    leaves = {k for k in OPERATIONAL | DEP_KEYS if k == entry or k.startswith(entry + ".")}
    assert leaves, f"{entry}: not a params section or field"
    return leaves


def test_every_stage_says_what_it_reads():
    assert set(READS) == set(SPEC)


@pytest.mark.parametrize("name", sorted(SPEC))
def test_stage_params_are_exactly_the_keys_that_change_its_outputs(name):
    listed = [e if isinstance(e, str) else next(iter(e)) for e in SPEC[name].get("params", [])]
    assert len(listed) == len(set(listed)), f"{name}: a params key listed twice"
    read = set().union(*map(_expand, READS[name]))
    assert set(listed) == read - OPERATIONAL, f"{name}: dvc.yaml params differ from what its code reads"
    assert all(key in DEP_KEYS for key in listed), f"{name}: whole sections or operational keys listed"


def test_baseline_params_read_is_what_its_code_reads(tmp_path, monkeypatch):
    # baseline reads part of `evaluate:`: a run (model and thefuck stubbed) touches exactly PARAMS_READ, shared
    # helpers (evaluate.decoding) included, so dvc.yaml's baseline params cannot miss a key its code reads.
    from cmd_correct import contract, evaluate
    from cmd_correct.evaluate import exact, thefuck_baseline

    class Recorder:
        def __init__(self, inner):
            self.inner, self.read = inner, set()

        def __getattr__(self, name):
            self.read.add(name)
            return getattr(self.inner, name)

    def fake_run_model(name, gguf, cases, *, timed, identity=(), **kwargs):
        kept = [c.command for c in identity]
        return exact.ModelRun(name, [c.expected for c in cases], [], [], None, [], 0.0, identity=kept, load_ms=1.0)

    import huggingface_hub

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", lambda *a, **k: str(tmp_path / "published.gguf"))
    monkeypatch.setattr(exact, "run_model", fake_run_model)
    monkeypatch.setattr(exact, "speed", lambda timed: {"latency_ms_p50": 0.0, "latency_ms_p95": 0.0})
    monkeypatch.setattr(thefuck_baseline, "suggest", lambda cases, **kw: {})
    rows = [{"messages": contract.messages("bash", "sl", "ls"), "shell": "bash", "family": "single", "id": "a"}]
    io.write_jsonl(tmp_path / "final" / "test.jsonl", rows)
    everything = ["base", "thefuck", "reference"]  # every baseline, so every key any of them reads is read
    recorder = Recorder(evaluate.Params(baselines=everything, reference=evaluate.Reference("o/published", "m.gguf")))
    baseline.run(  # the output is beside its inputs: one inside an input is refused
        recorder, base_gguf_dir=tmp_path / "gguf", final_dir=tmp_path / "final", out_dir=tmp_path / "out", seed=1
    )
    fields = {f.name for f in dataclasses.fields(evaluate.Params)}
    main_reads = {"omp_wait_policy"}  # baseline.main sets it before llama.cpp loads, as evaluate.main does
    assert (recorder.read & fields) | main_reads == set(baseline.PARAMS_READ)
    assert len(baseline.PARAMS_READ) == len(set(baseline.PARAMS_READ))


def test_timeouts_polls_and_show_knobs_are_operational():
    # A new `*_timeout`, poll or show-N knob is operational unless someone argues otherwise (here).
    knobs = {k for k in OPERATIONAL | DEP_KEYS if re.search(r"timeout|poll|(^|\.)show$|scratch", k)}
    assert knobs and knobs <= OPERATIONAL, sorted(knobs - OPERATIONAL)


@pytest.mark.parametrize("name", sorted(params.SECTIONS))
def test_outputs_record_no_operational_params(name, tmp_path):
    # meta.json and train_config.json record `params.recorded()`: an operational knob changes no output bytes.
    def has(tree: dict, dotted: str) -> bool:
        *parents, leaf = dotted.split(".")
        for key in parents:
            tree = tree.get(key) or {}
        return leaf in tree

    cls = params.section_class(name)
    written = io.write_meta(tmp_path, name, params=params.recorded(cls()))["params"]
    assert all(has(written, k) for k in params.dep_keys(cls))
    assert not [k for k in params.operational_keys(cls) if has(written, k)]


# --- source deps: every module a stage's process imports -----------------------------------------------
# A stage runs `python -m cmd_correct <stage>`: __main__, cli, then the stage's module and everything it
# imports, at module level or inside a function (ast, not a live import: lazy imports count too). A
# module left out of the deps would let a branch that edits it write run-cache entries under a key main
# reuses, so every one must be covered by a dep file or folder. Imports by name through importlib (the
# params loader building every section) only check other sections' values, which params deps cover.


def _closure(*start: str) -> set[Path]:
    """The files of every package module `start` imports, transitively, with the package __init__s that run
    first (tests/test_layers.py reads the imports)."""
    seen: set[str] = set()
    todo = list(start)
    while todo:
        name = todo.pop()
        if name in seen or name not in layers.MODULES:
            continue
        seen.add(name)
        parts = name.split(".")
        todo += [".".join(parts[:i]) for i in range(1, len(parts))]  # parent packages' __init__ run first
        todo += layers.imports(name)
    return {layers.MODULES[n] for n in seen}


def test_import_closure_sees_lazy_and_relative_imports():
    got = {f.relative_to(layers.SRC).as_posix() for f in _closure("cmd_correct.ci")}
    assert "cmd_correct/ci/lint.py" in got and "cmd_correct/errors.py" in got  # relative, two levels
    assert "cmd_correct/params.py" in got  # imported inside apply_profile only


@pytest.mark.parametrize("name", sorted(SPEC))
def test_stage_deps_cover_every_module_its_process_imports(name):
    stage = SPEC[name]
    deps = [d for d in stage.get("deps", []) if isinstance(d, str) and d.startswith("src/")]
    imported = _closure("cmd_correct.__main__", COMMANDS[stage["cmd"].split()[3]])
    missing = sorted(
        rel
        for rel in (f.relative_to(ROOT).as_posix() for f in imported)
        if not any(rel == d or rel.startswith(d.rstrip("/") + "/") for d in deps)
    )
    assert not missing, f"{name}: dvc.yaml deps miss modules its process imports: {missing}"
