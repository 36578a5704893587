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
    expected = {"qwen3-0.6b-mlx", "qwen3-1.7b-mlx", "qwen3-1.7b-kaggle", "qwen3-4b-kaggle"}
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
def test_make_repro_fails_when_set_args_fails(tmp_path):
    # Regression: `eval dvc exp run $(set-args ...)` swallowed set-args' exit code: exit 0, no overrides.
    bad, good = tmp_path / "bad.yaml", tmp_path / "good.yaml"
    bad.write_text("trian:\n  lr: 0.1\n")
    good.write_text("train:\n  lr: 0.002\n")
    make = ["make", "-s", "-o", "install", "-o", "toolchain", "repro", f"PY={sys.executable}", "RUN=echo"]
    ran = subprocess.run([*make, f"CONFIG={bad}"], cwd=ROOT, capture_output=True, text=True)
    assert ran.returncode != 0 and "dvc exp run" not in ran.stdout
    assert "trian: unknown section" in ran.stderr
    ran = subprocess.run([*make, f"CONFIG={good}"], cwd=ROOT, capture_output=True, text=True)
    assert ran.returncode == 0 and ran.stdout.split() == ["eval", "dvc", "exp", "run", "-S", "train.lr=0.002"]


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
