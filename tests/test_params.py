"""params.yaml and every configs/*.yaml overlay type-check against the stages' Params classes."""

from __future__ import annotations

import dataclasses
import re
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
    raw = params.load(ROOT / "params.yaml", [bad])
    with pytest.raises(ParamsError) as err:
        params.section("train", raw, path=bad)
    text = str(err.value)
    assert "train.lr: expected float" in text and "train.itres: unknown key" in text


def test_cross_field_checks_collect_every_problem():
    from cmd_correct import train

    with pytest.raises(ParamsError) as err:
        params.build(train.Params, {"warmup": 50, "iters": 20, "dropout": 1.5, "target_modules": []}, where="train")
    assert len(err.value.problems) == 3
