"""params.yaml typing and overlays turned into `dvc exp run -S` arguments."""

import dataclasses
import shlex

import pytest
import yaml

from cmd_correct import params
from cmd_correct.errors import ParamsError


@dataclasses.dataclass
class Inner:
    size: int = 1  # a nested value


@dataclasses.dataclass
class Demo:
    lr: float = 1e-3  # a float accepts ints too
    name: str = "x"
    tags: list[str] = dataclasses.field(default_factory=list)
    inner: Inner = dataclasses.field(default_factory=Inner)


def test_build_collects_every_problem_at_once():
    with pytest.raises(ParamsError) as err:
        params.build(Demo, {"lr": "fast", "nmae": "y", "tags": [1], "inner": {"size": "big"}}, where="demo")
    problems = err.value.problems
    assert any("demo.lr: expected float" in p for p in problems)
    assert any("demo.nmae: unknown key" in p for p in problems)
    assert any("demo.tags: expected" in p for p in problems)
    assert any("demo.inner.size: expected int" in p for p in problems)


def test_build_accepts_ints_for_floats_and_nested_sections():
    demo = params.build(Demo, {"lr": 1, "inner": {"size": 3}}, where="demo")
    assert demo.lr == 1 and demo.inner == Inner(size=3)


def test_deep_merge_keeps_sibling_keys():
    merged = params.deep_merge({"train": {"lr": 1, "iters": 5}}, {"train": {"lr": 2}})
    assert merged == {"train": {"lr": 2, "iters": 5}}


def test_set_args_flattens_an_overlay(tmp_path):
    overlay = tmp_path / "o.yaml"
    overlay.write_text(yaml.safe_dump({"base": {"model": "Qwen/Qwen3-0.6B"}, "train": {"kaggle": {"timeout": 60}}}))
    args = params.set_args(overlay)
    assert args == ["-S", 'base.model="Qwen/Qwen3-0.6B"', "-S", "train.kaggle.timeout=60"]
    assert shlex.split(shlex.join(args)) == args


@dataclasses.dataclass
class Ranged:
    share: float = params.bounded(0.5, 0, 1)
    lr: float = params.bounded(1e-3, 0, 1, lo_open=True)
    floor: float | None = params.bounded(None, 0, 1)
    weights: dict[str, float] = params.bounded({"a": 1.0}, 0, 1)
    threads: list[int] = params.bounded([1, 2], 1, 64)
    timeout: int = params.bounded(60, 1, params.WEEK_S, operational=True)


def test_bounded_ranges_are_checked_where_the_values_are():
    with pytest.raises(ParamsError) as err:
        params.build(
            Ranged, {"share": 1.5, "lr": 0, "floor": -0.1, "weights": {"a": 2}, "threads": [0, 1, 65]}, where="r"
        )
    assert err.value.problems == [
        "r.share: must be in [0, 1], got 1.5",
        "r.lr: must be in (0, 1], got 0",
        "r.floor: must be in [0, 1], got -0.1",
        "r.weights.a: must be in [0, 1], got 2",
        "r.threads[0]: must be in [1, 64], got 0",
        "r.threads[2]: must be in [1, 64], got 65",
    ]
    assert params.build(Ranged, {"lr": 1, "floor": None, "threads": [64]}, where="r").floor is None


def test_bounded_fields_keep_their_defaults_apart_and_their_operational_mark():
    a, b = Ranged(), Ranged()
    a.weights["a"] = 0.0
    assert b.weights == {"a": 1.0} and a.threads is not b.threads  # a dict or list default is copied
    assert params.operational_keys(Ranged) == ["timeout"] and "share" in params.dep_keys(Ranged)
    assert all(params.range_of(f) for f in dataclasses.fields(Ranged))
