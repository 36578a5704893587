"""params.yaml: loading, overlays, and typed sections.

Each stage module defines its own `Params` dataclass (defaults and help live there, once);
`section()` builds it from params.yaml, checking every key and type and listing all problems at once.
"""

from __future__ import annotations

import copy
import dataclasses
import importlib
import math
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

import yaml

from .errors import CmdCorrectError, ParamsError
from .paths import PARAMS as DEFAULT_PATH

# Section name -> "module:Class"; a test loads every section and every overlay through these.
SECTIONS: dict[str, str] = {
    "base": "cmd_correct.base:Params",
    "generate": "cmd_correct.generate:Params",
    "validate": "cmd_correct.validate:Params",
    "prepare": "cmd_correct.prepare:Params",
    "train": "cmd_correct.train:Params",
    "fuse": "cmd_correct.fuse:Params",
    "convert": "cmd_correct.convert:Params",
    "imatrix": "cmd_correct.imatrix:Params",
    "quantize": "cmd_correct.quantize:Params",
    "evaluate": "cmd_correct.evaluate:Params",
    "gates": "cmd_correct.gate:Params",
    "release": "cmd_correct.release:Params",
}

T = TypeVar("T")

OPERATIONAL = "operational"  # dataclass field metadata key: see `operational()`


def operational(default: Any) -> Any:
    """A field that cannot change any output DVC tracks (a timeout, a poll interval, how many problems to
    print, a scratch folder): dvc.yaml does not list it as a params dep, so changing it reruns nothing, and
    `recorded()` leaves it out of what stages write (tests/test_pipeline.py checks both)."""
    return dataclasses.field(default=default, metadata={OPERATIONAL: True})


def is_operational(field: dataclasses.Field) -> bool:
    return bool(field.metadata.get(OPERATIONAL))


def dep_keys(cls: type, prefix: str = "") -> list[str]:
    """Dotted keys of `cls`'s fields that can change outputs, nested dataclasses expanded:
    dep_keys(train.Params, "train.") holds "train.lr" and "train.kaggle.accelerator", not "train.kaggle.timeout"."""
    return _keys(cls, prefix, operational=False)


def operational_keys(cls: type, prefix: str = "") -> list[str]:
    """Dotted keys of `cls`'s operational fields, nested dataclasses expanded."""
    return _keys(cls, prefix, operational=True)


def _keys(cls: type, prefix: str, *, operational: bool) -> list[str]:
    hints = typing.get_type_hints(cls)
    out = []
    for f in dataclasses.fields(cls):
        if dataclasses.is_dataclass(hints[f.name]):
            out += _keys(hints[f.name], f"{prefix}{f.name}.", operational=operational)
        elif is_operational(f) == operational:
            out.append(f"{prefix}{f.name}")
    return out


def recorded(obj: Any) -> dict[str, Any]:
    """`dataclasses.asdict(obj)` without its operational fields (nested ones too): the resolved params a
    stage writes into its outputs (meta.json, train_config.json), so none changes without the stage rerunning."""
    out = {}
    for f in dataclasses.fields(obj):
        if is_operational(f):
            continue
        value = getattr(obj, f.name)
        out[f.name] = recorded(value) if dataclasses.is_dataclass(value) else copy.deepcopy(value)
    return out


def deep_merge(base: dict, overlay: dict) -> dict:
    """A copy of `base` with `overlay` merged in (nested dicts merge, everything else replaces)."""
    out = copy.deepcopy(base)
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def load(path: str | Path = DEFAULT_PATH, overlays: typing.Iterable[str | Path] = ()) -> dict:
    """Read params.yaml and merge overlay files (configs/*.yaml) over it, in order.

    Every file is checked on its own (unknown sections, unknown keys, wrong types, NaN/infinity name
    that file), then every section of the merged result is built once (cross-field checks), so a
    wrong param stops any stage, not only the one that reads it.
    """
    files = [Path(path), *map(Path, overlays)]
    raw: dict = {}
    for f in files:
        data = _read_yaml(f)
        problems = shape_problems(data)
        if problems:
            raise ParamsError(f, problems)
        raw = deep_merge(raw, data)
    where = files[0] if len(files) == 1 else " + ".join(map(str, files))
    problems = []
    for name in SECTIONS:
        try:
            section(name, raw, path=where)
        except ParamsError as e:
            problems += e.problems
    if problems:
        raise ParamsError(where, problems)
    return raw


def shape_problems(data: dict) -> list[str]:
    """Unknown sections, unknown keys and wrong types in one file's mapping (no cross-field checks)."""
    problems = [
        f"{name}: unknown section (expected one of {', '.join(SECTIONS)})" for name in data if name not in SECTIONS
    ]
    for name, value in data.items():
        if name in SECTIONS and value is not None:
            problems += _problems(section_class(name), value, where=name)
    return problems


def _read_yaml(path: str | Path) -> dict:
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise ParamsError(path, ["file not found"]) from None
    except yaml.YAMLError as e:
        raise ParamsError(path, [f"invalid YAML: {e}"]) from None
    if not isinstance(data, dict):
        raise ParamsError(path, ["top level must be a mapping of sections"])
    return data


def _check(value: Any, tp: Any) -> bool:
    """Whether `value` (parsed YAML) fits the annotation `tp`."""
    origin = typing.get_origin(tp)
    if tp is Any:
        return True
    if origin in (typing.Union, types.UnionType):
        return any(_check(value, arg) for arg in typing.get_args(tp))
    if tp is type(None):
        return value is None
    if origin is typing.Literal:
        return value in typing.get_args(tp)
    if tp is float:  # NaN passes every comparison (`tolerance: .nan` let anything through): refused
        return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if tp is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if origin in (list, tuple):
        args = typing.get_args(tp)
        return isinstance(value, list) and (not args or all(_check(v, args[0]) for v in value))
    if origin is dict:
        kt, vt = typing.get_args(tp) or (Any, Any)
        return isinstance(value, dict) and all(_check(k, kt) and _check(v, vt) for k, v in value.items())
    if dataclasses.is_dataclass(tp):
        return isinstance(value, dict)
    return isinstance(value, tp)


def _nonfinite(value: Any) -> bool:
    """Whether a parsed YAML value holds NaN or an infinity anywhere."""
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, dict):
        return any(_nonfinite(v) for v in value.values())
    if isinstance(value, list):
        return any(_nonfinite(v) for v in value)
    return False


def _problems(cls: type, data: Any, *, where: str) -> list[str]:
    """Unknown keys, missing keys and wrong types of dataclass `cls` in a mapping (nested ones too)."""
    if not isinstance(data, dict):
        return [f"{where}: expected a mapping, got {type(data).__name__}"]
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    problems = [f"{where}.{k}: unknown key (expected one of {', '.join(fields)})" for k in data if k not in fields]
    for name, field in fields.items():
        if name not in data:
            if field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
                problems.append(f"{where}.{name}: missing")
            continue
        value, tp = data[name], hints[name]
        if dataclasses.is_dataclass(tp) and isinstance(value, dict):
            problems += _problems(tp, value, where=f"{where}.{name}")
        elif _nonfinite(value):
            problems.append(f"{where}.{name}: must be a finite number (NaN and infinity are refused), got {value!r}")
        elif not _check(value, tp):
            problems.append(f"{where}.{name}: expected {_name(tp)}, got {value!r}")
    return problems


def build(cls: type[T], data: dict, *, where: str, path: str | Path = DEFAULT_PATH) -> T:
    """Build dataclass `cls` from a mapping, reporting every unknown key, missing key and bad type."""
    problems = _problems(cls, data, where=where)
    if problems:
        raise ParamsError(path, problems)
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for name, value in data.items():
        tp = hints[name]
        if dataclasses.is_dataclass(tp):
            try:  # a nested section's own cross-field checks join this section's
                value = build(tp, value, where=f"{where}.{name}", path=path)
            except ParamsError as e:
                problems += e.problems
                continue
        elif typing.get_origin(tp) is tuple:
            value = tuple(value)
        kwargs[name] = value
    if problems:
        raise ParamsError(path, problems)
    obj = cls(**kwargs)
    check = getattr(obj, "validate", None)
    if check is not None:
        more = check()
        if more:
            raise ParamsError(path, [f"{where}: {p}" for p in more])
    return obj


def _name(tp: Any) -> str:
    return getattr(tp, "__name__", None) or str(tp).replace("typing.", "")


def section_class(name: str) -> type:
    """The dataclass registered for section `name`."""
    module, cls = SECTIONS[name].split(":")
    return getattr(importlib.import_module(module), cls)


def section(name: str, raw: dict | None = None, *, path: str | Path = DEFAULT_PATH, cls: type[T] | None = None) -> T:
    """Typed section `name` from `raw` (or from the file at `path`); a missing section takes defaults."""
    if raw is None:
        raw = load(path)
    return build(cls or section_class(name), raw.get(name) or {}, where=name, path=path)


def base_seed(raw: dict, path: str | Path = DEFAULT_PATH) -> int:
    """`base.seed` (typed, its default in `base.Params`): every stage that draws at random reads it here."""
    return section("base", raw, path=path).seed


def flatten(overlay: dict, prefix: str = "") -> dict[str, Any]:
    """Dotted keys for every leaf of a nested mapping: {"train": {"lr": 1e-4}} -> {"train.lr": 1e-4}."""
    out: dict[str, Any] = {}
    for key, value in overlay.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            out.update(flatten(value, dotted + "."))
        else:
            out[dotted] = value
    return out


def set_args(overlay_path: str | Path) -> list[str]:
    """`dvc exp run` arguments (`-S key=value`, values as YAML) that apply an overlay file to params.yaml."""
    import json

    args = []
    overlay = {k: v for k, v in _read_yaml(overlay_path).items() if v not in (None, {})}  # `-S train={}` would wipe it
    for key, value in flatten(overlay).items():
        args += ["-S", f"{key}={json.dumps(value)}"]
    return args


def main(argv: list[str] | None = None) -> int:
    """`python -m cmd_correct.params set-args configs/X.yaml` prints shell-quoted `-S` arguments."""
    import shlex
    import sys

    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2 or argv[0] != "set-args":
        print("usage: python -m cmd_correct.params set-args OVERLAY.yaml", file=sys.stderr)
        return 2
    try:
        load(DEFAULT_PATH, [argv[1]])  # every section of params.yaml + overlay, before DVC runs anything
        args = set_args(argv[1])
    except CmdCorrectError as exc:  # one line and exit 1: `make repro CONFIG=...` stops here
        from .cli import report

        return report(exc)
    print(shlex.join(args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
