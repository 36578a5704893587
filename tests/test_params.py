"""params.yaml and every configs/*.yaml overlay type-check against the stages' Params classes."""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from cmd_correct import params
from cmd_correct.errors import ParamsError

ROOT = Path(__file__).resolve().parents[1]
OVERLAYS = sorted((ROOT / "configs").glob("*.yaml"))


def test_every_section_of_params_yaml_loads():
    raw = params.load(ROOT / "params.yaml")
    assert set(raw) <= set(params.SECTIONS), "params.yaml has a section no stage reads"
    for name in params.SECTIONS:
        params.section(name, raw, path=ROOT / "params.yaml")


def _differences(default, loaded, prefix: str) -> list[str]:
    out = []
    for f in dataclasses.fields(default):
        a, b = getattr(default, f.name), getattr(loaded, f.name)
        if dataclasses.is_dataclass(a):
            out += _differences(a, b, f"{prefix}{f.name}.")
        elif a != b:
            out.append(f"{prefix}{f.name}: class default {a!r}, params.yaml {b!r}")
    return out


def test_params_yaml_states_the_class_defaults():
    # Regression: train's lr, max_length and iters drifted between the Params class and params.yaml.
    raw = params.load(ROOT / "params.yaml")
    drift = []
    for name in params.SECTIONS:
        loaded = params.section(name, raw, path=ROOT / "params.yaml")
        drift += _differences(type(loaded)(), loaded, f"{name}.")
    assert not drift, "params.yaml and the Params defaults disagree:\n" + "\n".join(drift)


@pytest.mark.parametrize("overlay", OVERLAYS, ids=lambda p: p.name)
def test_overlay_type_checks_over_params_yaml(overlay):
    own = yaml.safe_load(overlay.read_text(encoding="utf-8"))
    assert set(own) <= set(params.SECTIONS), f"{overlay.name}: unknown section"
    raw = params.load(ROOT / "params.yaml", [overlay])
    for name in params.SECTIONS:
        params.section(name, raw, path=overlay)


def test_the_real_run_overlays_exist_and_pin_their_models():
    names = {p.stem for p in OVERLAYS}
    expected = {"qwen3-0.6b-mlx", "qwen3-1.7b-mlx", "qwen3-1.7b-kaggle", "qwen3-4b-kaggle", "qwen3-wit-1.7b-kaggle"}
    assert expected <= names
    for stem in expected:
        raw = params.load(ROOT / "params.yaml", [ROOT / "configs" / f"{stem}.yaml"])
        base = params.section("base", raw)
        train = params.section("train", raw)
        assert base.model.startswith("Qwen/Qwen3-") and re.fullmatch(r"[0-9a-f]{40}", base.revision or "")
        assert train.backend == stem.rsplit("-", 1)[1]
        if train.backend == "kaggle":  # T4: no bf16, 16 GB
            assert (train.device, train.dtype) == ("cuda", "float16")


def test_a_bad_overlay_value_names_the_key(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("train:\n  lr: fast\n  warmup: 500\n  iters: 100\n  itres: 3\n")
    with pytest.raises(ParamsError) as err:  # loading checks every section, so any stage stops here
        params.load(ROOT / "params.yaml", [bad])
    assert err.value.path == str(bad)
    assert any(p.startswith("train.lr: expected float") for p in err.value.problems)
    assert any(p.startswith("train.itres: unknown key") for p in err.value.problems)


def test_cross_field_checks_collect_every_problem():
    from cmd_correct import train

    with pytest.raises(ParamsError) as err:
        params.build(train.Params, {"warmup": 50, "iters": 20, "dropout": 1.5, "target_modules": []}, where="train")
    assert len(err.value.problems) == 3


# -- issue 10: a wrong overlay or param stops everything, with one line ---------------------------------


@pytest.mark.parametrize(
    "text, where",
    [
        ("validat:\n  tolerance: 0.5\n", "validat: unknown section"),  # a mistyped section passed silently
        ("trian:\n  lr: 0.1\n", "trian: unknown section"),
        ("train:\n  kaggle:\n    kernal_slug: x\n", "train.kaggle.kernal_slug: unknown key"),
        ("generate:\n  rows: 10\n  rowz: 5\n", "generate.rowz: unknown key"),  # a stage that is not train
    ],
)
def test_unknown_sections_and_keys_are_errors_in_every_file(text, where, tmp_path):
    # Regression: `validat:` in params.yaml and `trian:` in an overlay were ignored; a key typo in another
    # stage's section only failed when that stage ran.
    bad = tmp_path / "bad.yaml"
    bad.write_text(text)
    for load in (lambda: params.load(bad), lambda: params.load(ROOT / "params.yaml", [bad])):
        with pytest.raises(ParamsError) as err:
            load()
        assert err.value.path == str(bad) and any(p.startswith(where) for p in err.value.problems)


@pytest.mark.parametrize(
    "text",
    [
        "validate:\n  tolerance: .nan\n",  # made validate pass a dataset with an empty family
        "generate:\n  shell_weights: {bash: .nan, zsh: 0.25, powershell: 0.2, cmd: 0.12, fish: 0.05, tcsh: 0.03}\n",
        "train:\n  lr: .inf\n",
        "gates:\n  kld_mean_max: {Q4_K_M: -.inf}\n",
        "train:\n  kaggle:\n    timeout: .inf\n",
    ],
)
def test_nan_and_infinity_are_refused_for_every_float(text, tmp_path):
    # Regression: NaN compares false with everything, so `tolerance: .nan` disabled the share checks and a
    # NaN weight crashed generate with a traceback.
    bad = tmp_path / "nan.yaml"
    bad.write_text(text)
    with pytest.raises(ParamsError) as err:
        params.load(ROOT / "params.yaml", [bad])
    assert any("must be a finite number" in p for p in err.value.problems)


def test_set_args_with_a_bad_overlay_is_one_line_and_exit_1(tmp_path, capsys, monkeypatch):
    # Regression: a mistyped key printed a traceback (and `make repro` then ran dvc with no overrides).
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("CMD_CORRECT_DEBUG", raising=False)
    bad = tmp_path / "bad.yaml"
    bad.write_text("train:\n  itres: 3\n")
    assert params.main(["set-args", str(bad)]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and err.startswith(f"error: {bad}: train.itres: unknown key")


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_repro_config_is_never_shell_text(tmp_path):
    """Probe of issue 23: the Makefile pasted CONFIG into `'$(CONFIG)'`, so a quote in it ran a command.
    Now CONFIG reaches `params exp-run` through the environment, which accepts only configs/<name>.yaml
    and checks it before dvc sees anything."""
    pwned = tmp_path / "PWNED"
    make = ["make", "-s", "-o", "install", "-o", "toolchain", "repro", f"PY={sys.executable}", "RUN="]
    for config in (f"configs/x'; touch {pwned}; '.yaml", f"configs/x$$(touch {pwned}).yaml", f"x'`touch {pwned}`'"):
        ran = subprocess.run([*make, f"CONFIG={config}"], cwd=ROOT, capture_output=True, text=True)
        assert ran.returncode != 0 and not pwned.exists(), ran.stdout + ran.stderr
        assert "CONFIG must be configs/<name>.yaml" in ran.stderr
    ran = subprocess.run([*make, "CONFIG=configs/no-such-profile.yaml"], cwd=ROOT, capture_output=True, text=True)
    assert ran.returncode != 0 and "configs/no-such-profile.yaml: file not found" in ran.stderr


def _exp_repo(tmp_path, monkeypatch, overlay: str):
    """A folder with params.yaml (this repo's, comments and all) and configs/o.yaml; `dvc exp run` recorded."""
    shutil.copy(ROOT / "params.yaml", tmp_path / "params.yaml")
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "o.yaml").write_text(overlay)
    monkeypatch.chdir(tmp_path)
    calls = []
    monkeypatch.setattr(subprocess, "run", lambda cmd, **kw: calls.append(cmd) or subprocess.CompletedProcess(cmd, 0))
    return calls


def test_exp_run_merges_the_overlay_literally_keeping_comments(tmp_path, monkeypatch):
    calls = _exp_repo(tmp_path, monkeypatch, "train:\n  lr: 0.002\nrelease:\n  model_name: qwen3-correct-0.6B\n")
    before = (tmp_path / "params.yaml").read_text()
    assert params.exp_run("configs/o.yaml", ["--temp"], params_path="params.yaml") == 0
    assert calls == [[sys.executable, "-m", "dvc", "exp", "run", "--temp"]]  # no -S: nothing for Hydra to resolve
    after = (tmp_path / "params.yaml").read_text()
    raw = yaml.safe_load(after)
    assert raw["train"]["lr"] == 0.002 and raw["release"]["model_name"] == "qwen3-correct-0.6B"
    comments = [ln.split("#", 1)[1] for ln in before.splitlines() if "#" in ln]
    assert all(c in after for c in comments)  # every comment of params.yaml survives
    assert params.load("params.yaml") == params.load(ROOT / "params.yaml", [tmp_path / "configs" / "o.yaml"])


def test_exp_run_refuses_interpolation_before_dvc_sees_it(tmp_path, monkeypatch):
    """Probe of issue 23: `-S release.model_name="x-${oc.env:HF_TOKEN}"` wrote the token into params.yaml."""
    monkeypatch.setenv("HF_TOKEN", "hf_secret")
    calls = _exp_repo(tmp_path, monkeypatch, 'release:\n  model_name: "x-${oc.env:HF_TOKEN}"\n')
    before = (tmp_path / "params.yaml").read_text()
    with pytest.raises(ParamsError) as err:
        params.exp_run("configs/o.yaml", [], params_path="params.yaml")
    assert "interpolation" in str(err.value) and calls == []
    assert (tmp_path / "params.yaml").read_text() == before and "hf_secret" not in str(err.value)


def test_set_args_skips_empty_sections(tmp_path):
    # `-S train={}` would replace the whole train section of params.yaml with nothing.
    overlay = tmp_path / "o.yaml"
    overlay.write_text("train: {}\nvalidate:\nbase:\n  seed: 3\n")
    assert params.set_args(overlay) == ["-S", "base.seed=3"]


# --- params.yaml's comments are the Params comments ----------------------------------------------------------


def _field_comments(cls: type, prefix: str) -> dict[str, str | None]:
    """Dotted field -> its comment in the Params source: the one on the field's last line, else the comment
    lines right above it (a field whose comment would pass 120 columns)."""
    import ast
    import inspect
    import io as _io
    import textwrap
    import tokenize
    import typing

    lines, _ = inspect.getsourcelines(cls)
    text = textwrap.dedent("".join(lines))
    src = text.splitlines()
    tokens = tokenize.generate_tokens(_io.StringIO(text).readline)
    # comments that follow code on their line (a full-line comment belongs to the field below it)
    inline = {t.start[0]: t.string[1:].strip() for t in tokens if t.type == tokenize.COMMENT and t.start[1] > 0}
    inline = {n: c for n, c in inline.items() if src[n - 1][: src[n - 1].index("#")].strip()}
    hints = typing.get_type_hints(cls)
    out: dict[str, str | None] = {}
    for node in ast.parse(text).body[0].body:
        if not isinstance(node, ast.AnnAssign):
            continue
        name = node.target.id
        comment = inline.get(node.end_lineno)
        above, n = [], node.lineno - 2
        while comment is None and n >= 0 and src[n].strip().startswith("#"):
            above.insert(0, src[n].strip()[1:].strip())
            n -= 1
        out[prefix + name] = comment or " ".join(above) or None
        if dataclasses.is_dataclass(hints[name]):
            out |= _field_comments(hints[name], f"{prefix}{name}.")
    return out


def _yaml_comments(path: Path) -> dict[str, tuple[str | None, bool]]:
    """Dotted key -> (its inline comment, whether a full-line comment block sits right above it)."""
    out, stack, previous = {}, [], ""
    for line in path.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^( *)([A-Za-z_][\w-]*):(.*)$", line)
        if m:
            while stack and stack[-1][0] >= len(m.group(1)):
                stack.pop()
            stack.append((len(m.group(1)), m.group(2)))
            c = re.search(r"\s#\s?(.*)$", m.group(3))
            out[".".join(k for _, k in stack)] = (c.group(1).strip() if c else None, previous.startswith("#"))
        previous = line.strip()
    return out


def test_params_yaml_comments_are_the_params_comments():
    # Regression: params.yaml repeated every Params comment by hand and 82 of 118 had drifted. One text per
    # field: params.yaml's inline comment is its Params comment; measured rationale that does not fit on the
    # line goes in a comment block above the key (then the inline comment may be left out).
    yaml_side = _yaml_comments(ROOT / "params.yaml")
    problems = []
    for name in params.SECTIONS:
        for key, comment in _field_comments(params.section_class(name), name + ".").items():
            if not comment:
                problems.append(f"{key}: no comment in its Params class")
            elif key in yaml_side:
                inline, block_above = yaml_side[key]
                if inline != comment and not (inline is None and block_above):
                    problems.append(f"{key}: params.yaml says {inline!r}, Params says {comment!r}")
    assert not problems, "\n".join(problems)


# --- issue 23, item 8: every numeric param has its range ----------------------------------------------------

MEANS_ALL = {"imatrix.chunks", "evaluate.ppl_chunks"}  # -1: every chunk


def _classes(cls: type, prefix: str):
    """(dotted prefix, dataclass) for `cls` and every dataclass nested in it."""
    import typing

    yield prefix, cls
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        if dataclasses.is_dataclass(hints[f.name]):
            yield from _classes(hints[f.name], f"{prefix}.{f.name}")


def test_every_numeric_field_declares_its_range():
    # Every int or float field (a dict's values or a list's elements too) says its range once, in its Params
    # class (`params.bounded`), so a new field cannot forget it. A missing range let 29 params take -1.
    import typing

    missing, checked = [], 0
    for name in params.SECTIONS:
        for where, cls in _classes(params.section_class(name), name):
            hints = typing.get_type_hints(cls)
            for f in dataclasses.fields(cls):
                if not params.is_numeric(hints[f.name]):
                    continue
                checked += 1
                bounds = params.range_of(f)
                if bounds is None:
                    missing.append(f"{where}.{f.name}")
                    continue
                default = getattr(cls(), f.name)  # the class default lies inside its own range
                values = default.values() if isinstance(default, dict) else default
                values = list(values) if isinstance(default, dict | list) else [values]
                assert all(v in bounds for v in values if v is not None), f"{where}.{f.name}: {default} not in {bounds}"
    assert not missing, "numeric params without a range (params.bounded): " + ", ".join(missing)
    assert checked > 60


def _numeric_leaves(node, key=""):
    """(dotted key as errors name it, path into the mapping, value) for every number in a params mapping."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield from ((d, (k, *p), x) for d, p, x in _numeric_leaves(v, f"{key}.{k}" if key else k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from ((d, (i, *p), x) for d, p, x in _numeric_leaves(v, f"{key}[{i}]"))
    elif isinstance(node, int | float) and not isinstance(node, bool):
        yield key, (), node


def test_no_numeric_param_takes_minus_one_or_ten_to_the_thirty():
    # Regression: 29 numeric params took -1 (gates.exact_match_min, evaluate.bench_reps, ...) and 59 took
    # 10^30 (`generate.rows: 1e30` started generating). Each number of params.yaml, set to either, stops
    # params.load with a problem naming its dotted key (-1 stays "all" where it means that).
    import copy

    raw = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))
    leaves = list(_numeric_leaves(raw))
    assert len(leaves) > 100
    taken = []
    for key, path, value in leaves:
        for bad in (-1, 10**30) if isinstance(value, int) else (-1.0, 1e30):
            if bad == -1 and key in MEANS_ALL:
                continue
            data = copy.deepcopy(raw)
            node = data
            for step in path[:-1]:
                node = node[step]
            node[path[-1]] = bad
            problems = params.shape_problems(data)  # what params.load checks in each file, naming it
            if not problems:
                taken.append(f"{key}={bad}")
            assert all(p.startswith(f"{key}: must be in ") for p in problems), problems
    assert not taken, f"{len(taken)} taken: {', '.join(taken)}"


def test_values_out_of_range_name_the_overlay_and_key_all_at_once(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "generate:\n  rows: 1000000000000000000000000000000\n"
        "gates:\n  exact_match_min: -1\n  kld_mean_max: {Q4_K_M: -0.5}\n  regression: {exact_match_drop_max: 2}\n"
        "evaluate:\n  latency_threads: [1, 0]\n"
        "train:\n  lr: 0\n  kaggle: {timeout: 1.0e+30}\n"
    )
    with pytest.raises(ParamsError) as err:
        params.load(ROOT / "params.yaml", [bad])
    assert err.value.path == str(bad)
    assert err.value.problems == [
        "generate.rows: must be in [1, 10000000], got 1000000000000000000000000000000",
        "gates.exact_match_min: must be in [0, 1], got -1",
        "gates.kld_mean_max.Q4_K_M: must be in [0, 100], got -0.5",
        "gates.regression.exact_match_drop_max: must be in [0, 1], got 2",
        "evaluate.latency_threads[1]: must be in [1, 4096], got 0",
        "train.lr: must be in (0, 1], got 0",
        "train.kaggle.timeout: must be in (0, 604800], got 1e+30",
    ]
    assert err.value.params[:2] == ("generate.rows", "gates.exact_match_min")


def test_a_value_out_of_range_joins_the_cross_field_checks():
    # build() still runs the section's own checks: every problem at once, none said twice.
    from cmd_correct import evaluate

    with pytest.raises(ParamsError) as err:
        params.build(evaluate.Params, {"parallel": 0, "baselines": ["reference"]}, where="evaluate")
    assert err.value.problems == [
        "evaluate.parallel: must be in [1, 4096], got 0",
        "evaluate: baselines: lists reference, but reference.repo_id is empty",
    ]


@pytest.mark.parametrize(
    "text, key",
    [
        ("generate:\n  rows: " + "x" * 100_000 + "\n", "generate.rows: expected int"),
        ("train:\n  lr: [" + ", ".join(["1.0"] * 5000) + ", .nan]\n", "train.lr: must be a finite number"),
        ("release:\n  " + "k" * 1000 + ": 1\n", "release." + "k" * 57 + "...: unknown key"),
    ],
    ids=["long-string", "long-list", "long-key"],
)
def test_an_echoed_value_is_cut(text, key, tmp_path):
    # A huge value (or key) is echoed in at most ~60 characters, not in full.
    bad = tmp_path / "bad.yaml"
    bad.write_text(text)
    with pytest.raises(ParamsError) as err:
        params.load(ROOT / "params.yaml", [bad])
    assert len(err.value.problems) == 1 and err.value.problems[0].startswith(key)
    assert len(str(err.value)) < len(str(bad)) + 250


def _alias_bomb(levels: int) -> str:
    """A YAML flow list of `levels` anchors, each ten aliases of the one before: 10**levels numbers."""
    lists = ["&a0 [" + ", ".join(["1"] * 10) + "]"]
    lists += [f"&a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, levels)]
    return "[" + ", ".join(lists) + "]"


@pytest.mark.parametrize(
    "text, problem",
    [
        ("evaluate:\n  latency_threads: " + _alias_bomb(6) + "\n", "evaluate.latency_threads: more than 10000 values"),
        ("evaluate:\n  latency_threads: " + _alias_bomb(9) + "\n", "evaluate.latency_threads: more than 10000 values"),
        ("gates:\n  optional: &r [x, *r]\n", "gates.optional: nested more than 32 deep"),
        ("train:\n  lr: " + "[" * 10_000 + "]" * 10_000 + "\n", "invalid YAML: nested too deeply to read"),
    ],
    ids=["alias-bomb-1e6", "alias-bomb-1e9", "self-reference", "deep"],
)
def test_an_alias_bomb_is_one_short_line_at_once(text, problem, tmp_path):
    # Regression: an alias bomb (a few anchors expanding to a million numbers) under a list param was
    # checked value by value and echoed whole: the message itself was megabytes (1e9: it never finished).
    import time

    bad = tmp_path / "bomb.yaml"
    bad.write_text(text)
    started = time.perf_counter()
    with pytest.raises(ParamsError) as err:
        params.load(ROOT / "params.yaml", [bad])
    assert err.value.path == str(bad) and err.value.problems[0].startswith(problem)
    assert len(str(err.value)) < 300 and time.perf_counter() - started < 30


# --- issue 23, item 3: params stay literal (no interpolation for dvc exp run -S to resolve) ------------------


@pytest.mark.parametrize(
    "text, key",
    [
        ('release:\n  model_name: "x-${oc.env:HF_TOKEN}"\n', "release.model_name"),
        ('base:\n  model: "${oc.env:HOME}/model"\n', "base.model"),
        ('train:\n  target_modules: [q_proj, "${oc.env:HF_TOKEN}"]\n', "train.target_modules[1]"),
        ("train:\n  kaggle:\n    kernel_slug: cmd-${now:%H}\n", "train.kaggle.kernel_slug"),
        (
            'release:\n  embedded_upstream: {"${oc.env:HF_TOKEN}": a/b}\n',
            "release.embedded_upstream.${oc.env:HF_TOKEN}",
        ),
        ('gates:\n  kld_mean_max: {"Q4_${x}": 0.1}\n', "gates.kld_mean_max.Q4_${x}"),
        (
            'evaluate:\n  reference: {repo_id: o/r, file: m.gguf, revision: "${oc.env:REV}"}\n',
            "evaluate.reference.revision",
        ),
    ],
    ids=[
        "token-in-model-name",
        "base-model",
        "list-element",
        "nested",
        "dict-key",
        "numeric-dict-key",
        "nested-dataclass",
    ],
)
def test_interpolation_syntax_is_refused_in_every_params_string(text, key, tmp_path):
    # Regression: `make repro CONFIG=` applies an overlay with `dvc exp run -S`, whose Hydra layer resolved
    # `release.model_name: "x-${oc.env:HF_TOKEN}"` after params.load had checked the literal text: the
    # token went into params.yaml and on toward the model card. Any `${` in any string (keys too) is refused,
    # in an overlay and in params.yaml itself, naming the file and the key.
    overlay = tmp_path / "overlay.yaml"
    overlay.write_text(text)
    with pytest.raises(ParamsError) as err:
        params.load(ROOT / "params.yaml", [overlay])
    assert err.value.path == str(overlay)
    assert any(p.startswith(f"{key}: interpolation syntax '${{' is refused") for p in err.value.problems), (
        err.value.problems
    )
    whole = tmp_path / "params.yaml"  # the same value in params.yaml itself
    data = params.deep_merge(yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8")), yaml.safe_load(text))
    whole.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ParamsError) as err:
        params.load(whole)
    assert err.value.path == str(whole) and any(p.startswith(f"{key}: interpolation") for p in err.value.problems)


def test_a_lone_dollar_or_brace_stays_allowed(tmp_path):
    ok = tmp_path / "ok.yaml"
    ok.write_text('release:\n  model_name: "cost-$5-{x}"\n')
    assert params.load(ROOT / "params.yaml", [ok])["release"]["model_name"] == "cost-$5-{x}"
