"""Atomic writes, jsonl with line numbers, hashes and the per-stage meta.json."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from .errors import DataError


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_write(path: str | Path, mode: str = "w", **kwargs) -> Iterator[Any]:
    """Open a temp file beside `path`; rename it over `path` only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, mode, **({"encoding": "utf-8"} if "b" not in mode else {}) | kwargs) as f:
            yield f
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; outputs get the usual file mode
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def atomic_dir(path: str | Path) -> Iterator[Path]:
    """Yield an empty temp folder beside `path`; it replaces `path` only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    try:
        yield tmp
        tmp.chmod(0o777 & ~_umask())  # mkdtemp makes 0700; outputs get the usual folder mode
        if path.exists():
            old = path.with_name(f".{path.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            path.rename(old)
            tmp.rename(path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(path)
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


def write_jsonl(path: str | Path, rows: Iterable[dict]) -> int:
    """Write one compact JSON object per line, atomically; returns the row count."""
    n = 0
    with atomic_write(path) as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")))
            f.write("\n")
            n += 1
    return n


def iter_jsonl(path: str | Path) -> Iterator[tuple[int, dict]]:
    """Yield (line number, object); malformed JSON or a non-object raises DataError at that line."""
    path = Path(path)
    with path.open(encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                raise DataError(path, lineno, None, f"invalid JSON: {e.msg} (column {e.colno})") from None
            if not isinstance(obj, dict):
                raise DataError(path, lineno, None, f"expected a JSON object, got {type(obj).__name__}")
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
    """Write `<folder>/meta.json`: stage, resolved params, input hashes, tool versions, extras."""
    from dataclasses import asdict, is_dataclass

    from . import __version__

    meta = {
        "stage": stage,
        "cmd_correct": __version__,
        "params": asdict(params) if is_dataclass(params) else params,
        "inputs": {name: sha256_tree(p) for name, p in (inputs or {}).items()},
        **extra,
    }
    write_json(Path(folder) / "meta.json", meta)
    return meta
