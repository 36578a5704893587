"""Atomic writes, jsonl with line numbers, hashes and the per-stage meta.json.

Outputs are guarded: a stage replaces a path only when it is absent, an empty folder, or a previous
output of that same stage (`check_output`); anything else is refused before any work starts.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, Literal

from .errors import DataError, OutputError

META = "meta.json"  # every stage's own record; its "stage" field says which stage wrote the folder


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# ------------------------------------------------------------------------------------ output guard


def meta_stage(folder: str | Path) -> str | None:
    """The `stage` named by `<folder>/meta.json`, or None when there is no readable one."""
    return _json_stage(Path(folder) / META)


def _json_stage(path: Path) -> str | None:
    try:
        if path.stat().st_size > 1 << 24:  # a meta.json or a metrics file is small; do not read a model
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    stage = data.get("stage") if isinstance(data, dict) else None
    return stage if isinstance(stage, str) else None


def holds_only(*patterns: str) -> Callable[[Path], bool]:
    """A `recognise` predicate: a folder whose every entry matches one of `patterns` (fnmatch)."""
    from fnmatch import fnmatchcase

    def check(folder: Path) -> bool:
        return folder.is_dir() and all(
            p.name in KEPT or any(fnmatchcase(p.name, pat) for pat in patterns) for p in folder.iterdir()
        )

    return check


def _within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _refusal(
    path: Path,
    stage: str | None,
    inputs: Iterable[str | Path],
    kind: str,
    recognise: Callable[[Path], bool] | None,
) -> str | None:
    """Why `path` must not be (re)written by `stage`, or None when it may be."""
    real = path.resolve()
    if ".git" in real.parts or ".git" in Path(os.path.abspath(path)).parts:
        return "is inside a .git folder"
    cwd = Path.cwd().resolve()
    if _within(cwd, real):
        return "is the working directory or a folder that holds it"
    try:
        home = Path.home().resolve()
    except (RuntimeError, KeyError):  # no HOME and no passwd entry
        home = None
    if real == home or real.parent == real:
        return "is the home folder or the file-system root"
    if (real / ".git").exists():
        return "is the root of a git repository"
    for inp in inputs:
        where = Path(inp).resolve()
        if _within(where, real):
            return f"is the input {inp} or a folder that holds it"
        if _within(real, where):  # writing it would change the input the stage reads (and DVC hashes)
            return f"is inside the input {inp}"
    if path.is_symlink():
        return "is a symbolic link; refusing to replace it"
    if not path.exists():
        ancestor = real.parent
        while not ancestor.exists():
            ancestor = ancestor.parent
        if not ancestor.is_dir():
            return f"cannot be created: {ancestor} is a file, not a folder"
        if not os.access(ancestor, os.W_OK | os.X_OK):
            return f"cannot be created: {ancestor} is not writable"
        return None
    if not os.access(real.parent, os.W_OK | os.X_OK):
        return f"cannot be replaced: {real.parent} is not writable"
    who = f"`{stage}`" if stage else "this stage"
    if kind == "file":
        if path.is_dir():
            return "is a folder; refusing to replace it with a file"
        if (stage and _json_stage(path) == stage) or (recognise is not None and recognise(path)):
            return None
        return f"exists and is not a previous output of {who}; refusing to replace it (move it away or pick another)"
    if not path.is_dir():
        return "is a file; refusing to replace it with a folder"
    if not any(path.iterdir()):
        return None
    if stage is None:  # legacy callers: atomic_dir decides at the swap, once it knows what the run wrote
        return None
    if meta_stage(path) == stage or (recognise is not None and recognise(path)):
        return None
    named = meta_stage(path)
    why = f"its {META} names stage {named!r}" if named else f"no {META} naming it"
    return f"exists and is not an output of {who} ({why}); refusing to replace it (move it away or pick another)"


_LEFTOVER = r"\.{name}\.(?:(?P<pid>\d+)\.)?(?:[a-z0-9_]{{8}}\.tmp|old)"


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # someone else's process: alive
        return True
    return True


def clean_leftovers(path: str | Path) -> list[Path]:
    """Remove the temp files and folders that killed runs writing `path` left beside it; returns them."""
    path = Path(path)
    if not path.parent.is_dir():
        return []
    pattern = re.compile(_LEFTOVER.format(name=re.escape(path.name)))
    removed = []
    for p in path.parent.iterdir():
        m = pattern.fullmatch(p.name)
        if m is None or (m["pid"] is not None and _alive(int(m["pid"]))):
            continue  # not ours, or a run that is still going
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                p.unlink()
        removed.append(p)
    return removed


def check_output(
    path: str | Path,
    *,
    stage: str | None,
    inputs: Iterable[str | Path] = (),
    kind: Literal["dir", "file"] = "dir",
    recognise: Callable[[Path], bool] | None = None,
) -> Path:
    """Refuse (OutputError naming `path`) unless `stage` may write `path`; then clear its leftovers.

    Allowed: an absent path that can be created, an empty folder, or a previous output of `stage`: a
    folder whose meta.json names it (for `kind="file"`: a JSON object whose "stage" names it), or what
    `recognise` accepts (outputs from before meta.json). Never the working directory or a folder above
    it, a git repository's root, anything inside `.git`, an input, a folder holding one or one inside
    one, or a link.
    Call it first thing in a stage, before any work.
    """
    path = Path(path)
    inputs = list(inputs)
    why = _refusal(path, stage, inputs, kind, recognise)
    if why:
        raise OutputError(path, why)
    clean_leftovers(path)
    return path


# ------------------------------------------------------------------------------------ atomic writes


@contextlib.contextmanager
def atomic_write(path: str | Path, mode: str = "w", **kwargs) -> Iterator[Any]:
    """Open a temp file beside `path`; rename it over `path` only if the block succeeds."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent)
    except OSError as e:
        raise OutputError(path, f"cannot be written: {e.strerror or e}") from None
    try:
        with os.fdopen(fd, mode, **({"encoding": "utf-8"} if "b" not in mode else {}) | kwargs) as f:
            yield f
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; outputs get the usual file mode
        try:
            os.replace(tmp, path)
        except OSError as e:
            raise OutputError(path, f"cannot be written: {e.strerror or e}") from None
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


KEPT = (".gitignore",)  # bookkeeping a stage's output folder may hold that no stage writes (DVC's, for outs inside it)


@contextlib.contextmanager
def atomic_dir(
    path: str | Path,
    *,
    stage: str | None = None,
    inputs: Iterable[str | Path] = (),
    recognise: Callable[[Path], bool] | None = None,
) -> Iterator[Path]:
    """Yield an empty temp folder beside `path`; it replaces `path` only if the block succeeds.

    `path` is checked with `check_output` on entry and again at the swap. Pass the writing `stage`
    (its meta.json then marks the folder as replaceable by that stage) and the stage's `inputs`.
    Without `stage` (older callers), an existing folder is replaced only when it is empty, holds a
    meta.json naming a stage, or when everything in it is rewritten by this run.
    """
    path = Path(path)
    inputs = list(inputs)
    check_output(path, stage=stage, inputs=inputs, recognise=recognise)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent))
    except OSError as e:
        raise OutputError(path, f"cannot be created: {e.strerror or e}") from None
    try:
        yield tmp
        tmp.chmod(0o777 & ~_umask())  # mkdtemp makes 0700; outputs get the usual folder mode
        why = _refusal(path, stage, inputs, "dir", recognise)  # the world may have changed during the run
        if why is None and stage is None and path.is_dir() and meta_stage(path) is None:
            kept = sorted({p.name for p in path.iterdir()} - {p.name for p in tmp.iterdir()} - {META, *KEPT})
            if kept:
                why = f"holds {', '.join(kept[:3])}{' ...' if len(kept) > 3 else ''}, which this run did not write"
        if why:
            raise OutputError(path, why)
        for name in KEPT:  # DVC's .gitignore for outs inside the folder is git's, not the stage's: keep it
            if (path / name).is_file() and not (tmp / name).exists():
                shutil.copy2(path / name, tmp / name)
        try:
            if path.exists():
                old = path.with_name(f".{path.name}.{os.getpid()}.old")
                shutil.rmtree(old, ignore_errors=True)
                path.rename(old)
                tmp.rename(path)
                shutil.rmtree(old, ignore_errors=True)
            else:
                tmp.rename(path)
        except OSError as e:
            raise OutputError(path, f"cannot be replaced: {e.strerror or e}") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def write_json(path: str | Path, obj: Any) -> None:
    """Write pretty, key-sorted JSON atomically (stable bytes for DVC)."""
    with atomic_write(path) as f:
        json.dump(obj, f, indent=2, sort_keys=True, ensure_ascii=False)
        f.write("\n")


def read_json(path: str | Path) -> Any:
    """Read a JSON file; a parse error names the file and line."""
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(path, None, None, "file not found") from None
    except json.JSONDecodeError as e:
        raise DataError(path, e.lineno, None, f"invalid JSON: {e.msg}") from None
    except RecursionError:
        raise DataError(path, None, None, TOO_DEEP) from None
    except UnicodeDecodeError as e:
        raise DataError(path, None, None, f"not UTF-8: {e.reason}") from None


def write_jsonl(path: str | Path, rows: Iterable[dict]) -> int:
    """Write one compact JSON object per line, atomically; returns the row count."""
    n = 0
    with atomic_write(path) as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")))
            f.write("\n")
            n += 1
    return n


TOO_DEEP = "invalid JSON: nested too deeply to read"


def iter_jsonl(path: str | Path) -> Iterator[tuple[int, dict]]:
    """Yield (line number, object); malformed JSON or a non-object raises DataError at that line."""
    for lineno, obj in iter_jsonl_lenient(path):
        if isinstance(obj, DataError):
            raise obj
        yield lineno, obj


def iter_jsonl_lenient(path: str | Path) -> Iterator[tuple[int, dict | DataError]]:
    """Like `iter_jsonl`, but a malformed line is yielded as its DataError and reading goes on
    (validators that collect every problem); blank lines are skipped."""
    path = Path(path)
    with path.open(encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                yield lineno, DataError(path, lineno, None, f"invalid JSON: {e.msg} (column {e.colno})")
                continue
            except RecursionError:  # '[' * 100000: json's recursion, not a crash of the reader
                yield lineno, DataError(path, lineno, None, TOO_DEEP)
                continue
            if not isinstance(obj, dict):
                yield lineno, DataError(path, lineno, None, f"expected a JSON object, got {type(obj).__name__}")
                continue
            yield lineno, obj


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    """Hex sha256 of a file's bytes."""
    h = hashlib.sha256()
    with Path(path).open("rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def sha256_tree(path: str | Path) -> str:
    """sha256 over a file, or over every file of a folder (relative names and contents, sorted)."""
    path = Path(path)
    if path.is_file():
        return sha256_file(path)
    h = hashlib.sha256()
    for p in sorted(q for q in path.rglob("*") if q.is_file() and not q.name.startswith(".")):
        h.update(p.relative_to(path).as_posix().encode() + b"\0" + sha256_file(p).encode())
    return h.hexdigest()


def write_meta(
    folder: str | Path, stage: str, *, params: Any = None, inputs: dict[str, str | Path] | None = None, **extra: Any
) -> dict:
    """Write `<folder>/meta.json`: stage, resolved params (`params.recorded(...)`: without the operational
    fields, which change no output and rerun nothing), input hashes, tool versions, extras."""
    from dataclasses import is_dataclass

    from . import __version__

    if is_dataclass(params):
        raise TypeError("write_meta takes params.recorded(params), not the dataclass")
    meta = {
        "stage": stage,
        "cmd_correct": __version__,
        "params": params,
        "inputs": {name: sha256_tree(p) for name, p in (inputs or {}).items()},
        **extra,
    }
    write_json(Path(folder) / "meta.json", meta)
    return meta
