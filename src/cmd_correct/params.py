"""params.yaml: loading, overlays, and typed sections.

Each stage module defines its own `Params` dataclass (defaults and help live there, once);
`section()` builds it from params.yaml, checking every key and type and listing all problems at once.
"""

from __future__ import annotations

import copy
import dataclasses
import importlib
import math
import re
import reprlib
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

import yaml

from .errors import CmdCorrectError, ParamsError
from .paths import PARAMS as DEFAULT_PATH
from .stages import SECTIONS  # section -> module; a test loads every section and every overlay through them

T = TypeVar("T")

OPERATIONAL = "operational"  # dataclass field metadata key: see `operational()`


def operational(default: Any) -> Any:
    """A field that cannot change any output DVC tracks (a timeout, a poll interval, how many problems to
    print, a scratch folder): dvc.yaml does not list it as a params dep, so changing it reruns nothing, and
    `recorded()` leaves it out of what stages write (tests/test_pipeline.py checks both)."""
    return dataclasses.field(default=default, metadata={OPERATIONAL: True})


def is_operational(field: dataclasses.Field) -> bool:
    return bool(field.metadata.get(OPERATIONAL))


RANGE = "range"  # dataclass field metadata key: see `bounded()`
WEEK_S = 7 * 24 * 3600  # the longest timeout any param may set, in seconds
SEED_MAX = 2**32 - 1  # numpy's seeds are 32-bit


@dataclasses.dataclass(frozen=True)
class Range:
    """The values a numeric param may take: lo..hi, each end closed unless `lo_open` / `hi_open`."""

    lo: float
    hi: float
    lo_open: bool = False
    hi_open: bool = False

    def __contains__(self, value: float) -> bool:
        above = value > self.lo if self.lo_open else value >= self.lo
        below = value < self.hi if self.hi_open else value <= self.hi
        return above and below

    def __str__(self) -> str:
        return f"{'(' if self.lo_open else '['}{_num(self.lo)}, {_num(self.hi)}{')' if self.hi_open else ']'}"


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(x)


def bounded(
    default: Any, lo: float, hi: float, *, lo_open: bool = False, hi_open: bool = False, operational: bool = False
) -> Any:
    """A numeric field and the range its values must lie in (the value itself; each value of a dict; each
    element of a list). `params.build` refuses a value outside it, naming the dotted key, with every other
    problem; a dict or list default is copied per instance. Every int or float field of a Params class
    (nested ones too) declares one: tests/test_params.py checks."""
    metadata = {RANGE: Range(lo, hi, lo_open, hi_open)} | ({OPERATIONAL: True} if operational else {})
    if isinstance(default, (dict, list)):
        return dataclasses.field(default_factory=lambda: copy.deepcopy(default), metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


def range_of(field: dataclasses.Field) -> Range | None:
    """The field's declared `bounded()` range, or None."""
    return field.metadata.get(RANGE)


def is_numeric(tp: Any) -> bool:
    """Whether annotation `tp` holds an int or float anywhere (`float | None`, `dict[str, float]`, `list[int]`)."""
    if tp in (int, float):
        return True
    return any(is_numeric(arg) for arg in typing.get_args(tp) if typing.get_origin(tp) is not typing.Literal)


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
    """Unknown sections, unknown keys, wrong types, values out of range and interpolation syntax in one
    file's mapping (no cross-field checks)."""
    problems = [
        f"{_cut(str(name), SHOWN_CHARS)}: unknown section (expected one of {', '.join(SECTIONS)})"
        for name in data
        if name not in SECTIONS
    ]
    for name, value in data.items():
        if name in SECTIONS and value is not None:
            problems += _problems(section_class(name), value, where=name)
    return problems + _interpolations(data, "")


MAX_VALUES = 10_000  # values (keys, scalars, lists, mappings) a params file may hold once aliases expand
MAX_DEPTH = 32  # nesting a params file may have


def _read_yaml(path: str | Path) -> dict:
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise ParamsError(path, ["file not found"]) from None
    except yaml.YAMLError as e:
        raise ParamsError(path, [f"invalid YAML: {_cut(str(e), 300)}"]) from None
    except RecursionError:
        raise ParamsError(path, ["invalid YAML: nested too deeply to read"]) from None
    except UnicodeDecodeError as e:
        raise ParamsError(path, [f"not UTF-8: {e.reason}"]) from None
    if not isinstance(data, dict):
        raise ParamsError(path, ["top level must be a mapping of sections"])
    if why := _oversized(data):
        raise ParamsError(path, [why])
    return data


def _oversized(data: Any) -> str | None:
    """Why `data` is too big to check (an alias bomb: a few anchors that expand to millions of values, or
    a self-referencing one), naming the key where it overflowed, or None. Walks at most MAX_VALUES values,
    so it is cheap on anything."""
    stack: list[tuple[Any, int, str]] = [(data, 0, "")]
    seen = 0
    while stack:
        value, depth, where = stack.pop()
        seen += 1
        at = f"{where}: " if where else ""
        if seen > MAX_VALUES:
            return f"{at}more than {MAX_VALUES} values once YAML aliases expand (an alias bomb?)"
        if depth > MAX_DEPTH:
            return f"{at}nested more than {MAX_DEPTH} deep"
        named = depth < 3  # section.key.subkey at most: the message stays short
        if isinstance(value, dict):
            for k, v in value.items():
                key = f"{where}.{_cut(str(k), SHOWN_CHARS)}".lstrip(".") if named else where
                stack += [(k, depth + 1, where), (v, depth + 1, key)]
        elif isinstance(value, list):
            stack += [(v, depth + 1, where) for v in value]
    return None


_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxstring, _REPR.maxother, _REPR.maxlong = 2, 60, 60, 40
_REPR.maxlist = _REPR.maxtuple = _REPR.maxdict = _REPR.maxset = 4
SHOWN_CHARS = 60  # an echoed value is cut to this many characters
MAX_PROBLEM_CHARS = 500  # a section's own check's message (which may quote a value), at most


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _shown(value: Any) -> str:
    """`repr(value)` cut to SHOWN_CHARS, at a cost bounded however big `value` is."""
    return _cut(_REPR.repr(value), SHOWN_CHARS)


INTERPOLATION = "${"  # OmegaConf/Hydra (dvc exp run -S) resolve it: `${oc.env:HF_TOKEN}` would write a secret


def _interpolations(value: Any, where: str) -> list[str]:
    """Every string (mapping keys too) in `value` that holds interpolation syntax, by dotted key."""
    why = f"interpolation syntax {INTERPOLATION!r} is refused (params are literal: `dvc exp run -S` would resolve it)"
    if isinstance(value, str):
        return [f"{where}: {why}, got {_shown(value)}"] if INTERPOLATION in value else []
    problems = []
    if isinstance(value, dict):
        for k, v in value.items():
            key = f"{where}.{_cut(str(k), SHOWN_CHARS)}" if where else _cut(str(k), SHOWN_CHARS)
            if isinstance(k, str) and INTERPOLATION in k:
                problems.append(f"{key}: {why} in a key")
            problems += _interpolations(v, key)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            problems += _interpolations(v, f"{where}[{i}]")
    return problems


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


def _problems(cls: type, data: Any, *, where: str, ranges: bool = True) -> list[str]:
    """Unknown keys, missing keys, wrong types and (with `ranges`) values outside their field's `bounded()`
    range of dataclass `cls` in a mapping (nested ones too)."""
    if not isinstance(data, dict):
        return [f"{where}: expected a mapping, got {type(data).__name__}"]
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    problems = [
        f"{where}.{_cut(str(k), SHOWN_CHARS)}: unknown key (expected one of {', '.join(fields)})"
        for k in data
        if k not in fields
    ]
    for name, field in fields.items():
        if name not in data:
            if field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
                problems.append(f"{where}.{name}: missing")
            continue
        value, tp = data[name], hints[name]
        if dataclasses.is_dataclass(tp) and isinstance(value, dict):
            problems += _problems(tp, value, where=f"{where}.{name}", ranges=ranges)
        elif _nonfinite(value):
            problems.append(
                f"{where}.{name}: must be a finite number (NaN and infinity are refused), got {_shown(value)}"
            )
        elif not _check(value, tp):
            problems.append(f"{where}.{name}: expected {_name(tp)}, got {_shown(value)}")
        elif ranges and (bounds := range_of(field)) is not None:
            problems += _out_of_range(value, bounds, f"{where}.{name}")
    return problems


SHOWN_PER_FIELD = 3  # out-of-range values of one dict or list named one by one; the rest are counted


def _out_of_range(value: Any, bounds: Range, where: str) -> list[str]:
    """A problem per value outside `bounds`: the value itself, a dict's values or a list's elements."""
    if isinstance(value, dict):
        items = [(f"{where}.{_cut(str(k), SHOWN_CHARS)}", v) for k, v in value.items()]
    elif isinstance(value, list):
        items = [(f"{where}[{i}]", v) for i, v in enumerate(value)]
    else:
        items = [(where, value)]
    bad = [(key, v) for key, v in items if isinstance(v, (int, float)) and v not in bounds]  # None: unset
    problems = [f"{key}: must be in {bounds}, got {_shown(v)}" for key, v in bad[:SHOWN_PER_FIELD]]
    if len(bad) > SHOWN_PER_FIELD:
        problems.append(f"{where}: {len(bad) - SHOWN_PER_FIELD} more values outside {bounds}")
    return problems


def build(cls: type[T], data: dict, *, where: str, path: str | Path = DEFAULT_PATH) -> T:
    """Build dataclass `cls` from a mapping, reporting every unknown key, missing key, bad type and value
    out of range, and the section's own cross-field checks (`validate()`), all at once."""
    problems = _problems(cls, data, where=where, ranges=False)
    if problems:
        raise ParamsError(path, problems)
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    ranged = [  # this level's own; a nested section reports its own below
        (name, p)
        for name, value in data.items()
        if (bounds := range_of(fields[name])) is not None
        for p in _out_of_range(value, bounds, f"{where}.{name}")
    ]
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
    problems = [p for _, p in ranged] + problems
    if len(problems) > len(ranged):  # a nested section failed: `cls` cannot be built
        raise ParamsError(path, problems)
    obj = cls(**kwargs)
    check = getattr(obj, "validate", None)
    if check is not None:
        try:
            more = check()
        except (ArithmeticError, TypeError, ValueError):  # a value out of range broke the check: said above
            if not ranged:
                raise
            more = []
        said = {name for name, _ in ranged}  # a value out of range: its own check would say it again
        more = [p for p in more if (m := re.match(r"\w+", p)) is None or m.group() not in said]
        # a section's own message may quote a value: cut, so a huge one cannot flood the terminal
        problems += [_cut(f"{where}: {p}", MAX_PROBLEM_CHARS) for p in more]
    if problems:
        raise ParamsError(path, problems)
    return obj


def _name(tp: Any) -> str:
    return getattr(tp, "__name__", None) or str(tp).replace("typing.", "")


def section_class(name: str) -> type:
    """Section `name`'s dataclass: the `Params` of its module in `stages.SECTIONS`."""
    return importlib.import_module(SECTIONS[name]).Params


def section(name: str, raw: dict | None = None, *, path: str | Path = DEFAULT_PATH, cls: type[T] | None = None) -> T:
    """Typed section `name` from `raw` (or from the file at `path`); a missing section takes defaults."""
    if raw is None:
        raw = load(path)
    return build(cls or section_class(name), raw.get(name) or {}, where=name, path=path)


def base_seed(raw: dict, path: str | Path = DEFAULT_PATH) -> int:
    """`base.seed` (typed, its default in `base.Params`): every stage that draws at random reads it here."""
    return section("base", raw, path=path).seed


def base_consumer(raw: dict, path: str | Path = DEFAULT_PATH) -> str:
    """`base.consumer` (typed, `fix` by default): the CLI whose prompt and decoding a stage follows."""
    return section("base", raw, path=path).consumer


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


# `make repro CONFIG=...`: the overlay's path, passed through the environment (never as shell text).
CONFIG_ENV = "CMD_CORRECT_CONFIG"
CONFIG_PATH = re.compile(r"configs/[A-Za-z0-9][A-Za-z0-9._-]{0,100}\.yaml", re.ASCII)


def apply_overlay(overlay_path: str | Path, params_path: str | Path = DEFAULT_PATH) -> dict:
    """Merge a checked overlay into params.yaml in place, as literal values, keeping the file's comments
    (ruamel round trip); returns the merged params, re-read from the file and equal to what `load` made of
    params.yaml + overlay, or ParamsError. Unlike `dvc exp run -S`, no interpolation layer sees a value."""
    import io

    from ruamel.yaml import YAML

    from .io import atomic_write

    overlay = {k: v for k, v in _read_yaml(overlay_path).items() if v not in (None, {})}
    expected = load(params_path, [overlay_path])
    rt = YAML(typ="rt")
    rt.preserve_quotes = True
    rt.width = 4096  # never fold a long line the file did not fold
    doc = rt.load(Path(params_path).read_text(encoding="utf-8"))

    def merge(node, over: dict) -> None:
        for key, value in over.items():
            if isinstance(value, dict) and isinstance(node.get(key), dict):
                merge(node[key], value)
            else:
                node[key] = copy.deepcopy(value)

    merge(doc, overlay)
    text = io.StringIO()
    rt.dump(doc, text)
    with atomic_write(params_path) as f:
        f.write(text.getvalue())
    got = load(params_path)
    if got != expected:
        wrong = [
            k
            for k in sorted(set(flatten(got)) | set(flatten(expected)))
            if flatten(got).get(k) != flatten(expected).get(k)
        ]
        raise ParamsError(params_path, [f"{k}: not written as the overlay gives it" for k in wrong[:20]])
    return got


def exp_run(config: str, dvc_args: list[str], *, params_path: str | Path = DEFAULT_PATH) -> int:
    """`make repro CONFIG=configs/X.yaml`: check the overlay, merge it into params.yaml (`apply_overlay`),
    then `dvc exp run` on the workspace (no shell, no `-S`); returns dvc's exit status."""
    import subprocess
    import sys

    if not CONFIG_PATH.fullmatch(config):
        raise ParamsError(CONFIG_ENV, ["CONFIG must be configs/<name>.yaml (letters, digits, '.', '_', '-')"])
    if not Path(config).is_file():
        raise ParamsError(config, ["file not found"])
    apply_overlay(config, params_path)
    return subprocess.run([sys.executable, "-m", "dvc", "exp", "run", *dvc_args]).returncode


def main(argv: list[str] | None = None) -> int:
    """`python -m cmd_correct.params set-args configs/X.yaml` prints shell-quoted `-S` arguments;
    `python -m cmd_correct.params exp-run [-- DVC_ARGS]` runs the overlay named by CMD_CORRECT_CONFIG."""
    import os
    import shlex
    import sys

    argv = sys.argv[1:] if argv is None else argv
    usage = "usage: python -m cmd_correct.params set-args OVERLAY.yaml | exp-run [-- DVC_ARGS...]"
    if argv[:1] == ["exp-run"]:
        rest = argv[1:]
        rest = rest[1:] if rest[:1] == ["--"] else rest
        try:
            return exp_run(os.environ.get(CONFIG_ENV, ""), rest)
        except CmdCorrectError as exc:
            from .cli import report

            return report(exc)
    if len(argv) != 2 or argv[0] != "set-args":
        print(usage, file=sys.stderr)
        return 2
    try:
        load(DEFAULT_PATH, [argv[1]])  # every section of params.yaml + overlay, before DVC runs anything
        args = set_args(argv[1])
    except CmdCorrectError as exc:  # one line and exit 1
        from .cli import report

        return report(exc)
    print(shlex.join(args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
