"""Shared GGUF plumbing: run a llama.cpp tool with progress, and verify every GGUF we write.

`verify` and `verify_imatrix` check GGUF files (the `validate` stage checks the dataset, not these).

Validation reads the file with the *vendored* gguf-py (the PyPI `gguf` of the same version number is
older) in a child process, so neither that package nor a crashing llama.cpp load can take the stage
down with it; a broken file is a `ModelError` listing every problem, never a warning.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from . import toolchain as tc
from .errors import ModelError, ToolError
from .progress import Progress, noop_progress

GGUF_MAGIC = b"GGUF"
# llama-imatrix/llama-perplexity print `[chunk]value,` as they go: the chunk number drives progress.
CHUNK_TICK = re.compile(rb"\[(\d+)\]")
ERROR_TAIL_LINES = 15  # lines of a failed tool's output quoted in the error


@dataclass(frozen=True)
class ToolRun:
    """What a finished tool run printed (stdout and stderr interleaved) and how long it took."""

    args: list[str]
    output: str
    seconds: float


def toolchain() -> tc.Toolchain:
    """The built toolchain, or a ToolError saying how to build it."""
    try:
        return tc.find()
    except tc.ToolchainError as e:
        raise ToolError(str(e), tool=e.tool, path=e.path) from None


def run_tool(
    name: str,
    args: Sequence[str | Path],
    *,
    progress: Progress = noop_progress,
    task: str | None = None,
    total: int | None = None,
    timeout: float | None = None,
    env: dict[str, str] | None = None,
    ticks: bool = True,
) -> ToolRun:
    """Run llama.cpp tool `name`, reporting `[N]` chunk ticks as progress; a failure raises ToolError.

    `name` is a binary in the toolchain's bin folder, or "python" for the convert script (ticks=False:
    its output has no chunk ticks to follow).
    """
    chain = toolchain()
    exe = sys.executable if name == "python" else str(_tool(chain, name))
    argv = [exe, *map(str, args)]
    task = task or name
    progress(task, 0, total)
    start = time.perf_counter()
    chunks: list[bytes] = []
    done = 0
    try:
        proc = subprocess.Popen(
            argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**chain.env(), **(env or {})},
        )
    except OSError as e:
        raise ToolError(f"{name}: cannot start: {e}", tool=name) from None
    assert proc.stdout is not None
    try:
        # os.read, not readline: the tools print progress ticks without newlines.
        while block := os.read(proc.stdout.fileno(), 65536):
            chunks.append(block)
            found = CHUNK_TICK.findall(block) if ticks else []
            if found:
                done = max(done, int(found[-1]))
                progress(task, done, total)
            if timeout is not None and time.perf_counter() - start > timeout:
                proc.kill()
                raise ToolError(f"{name}: timed out after {timeout:.0f} s: {' '.join(argv)}", tool=name)
        rc = proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    output = b"".join(chunks).decode("utf-8", errors="replace")
    if rc != 0:
        tail = "\n".join(output.strip().splitlines()[-ERROR_TAIL_LINES:])
        why = f"killed by signal {-rc}" if rc < 0 else f"exit code {rc}"
        raise ToolError(f"{name} failed ({why}): {' '.join(argv)}\n{tail}", tool=name)
    progress(task, total if total is not None else done, total)
    return ToolRun(argv, output, time.perf_counter() - start)


def _tool(chain: tc.Toolchain, name: str) -> Path:
    try:
        return chain.tool(name)
    except tc.ToolchainError as e:
        raise ToolError(str(e), tool=e.tool, path=e.path) from None


# Runs in a child with PYTHONPATH=<vendored gguf-py>: prints the header facts validation needs as JSON.
_INSPECT = r"""
import json, sys
from collections import Counter
from gguf import GGUFReader
r = GGUFReader(sys.argv[1])
def get(key):
    f = r.get_field(key)
    if f is None:
        return None
    try:
        v = f.contents()
    except Exception:
        return "<unreadable>"
    return v if not isinstance(v, list) else len(v)
keys = {k: get(k) for k in ("general.architecture", "general.name", "general.file_type",
        "tokenizer.ggml.model", "tokenizer.ggml.pre", "tokenizer.chat_template", "tokenizer.ggml.tokens",
        "tokenizer.ggml.eos_token_id", "imatrix.chunk_count", "imatrix.chunk_size")}
print(json.dumps({"keys": keys, "n_tensors": len(r.tensors),
                  "tensor_types": dict(Counter(t.tensor_type.name for t in r.tensors)),
                  "n_kv": len(r.fields)}))
"""

# Runs in a child with the toolchain env: llama.cpp (through llama-cpp-python) loads the model and
# evaluates a few tokens; a crash (e.g. an illegal instruction) fails only the child.
_LOAD = r"""
import json, sys
import llama_cpp
llm = llama_cpp.Llama(model_path=sys.argv[1], n_ctx=64, n_threads=1, n_batch=64, verbose=False)
tokens = llm.tokenize(b"<|im_start|>user\nls<|im_end|>\n", add_bos=True, special=True)
llm.eval(tokens)
print(json.dumps({"n_vocab": llm.n_vocab(), "n_tokens": len(tokens)}))
"""


@dataclass(frozen=True)
class GGUFInfo:
    """What validation learned about a GGUF file."""

    path: str
    size_bytes: int
    architecture: str | None
    name: str | None
    tokenizer: str | None
    n_vocab: int | None
    has_chat_template: bool
    n_tensors: int
    tensor_types: dict[str, int] = field(default_factory=dict)
    keys: dict = field(default_factory=dict)
    loaded: bool = False

    def as_dict(self) -> dict:
        return {
            "size_bytes": self.size_bytes,
            "architecture": self.architecture,
            "name": self.name,
            "tokenizer": self.tokenizer,
            "n_vocab": self.n_vocab,
            "has_chat_template": self.has_chat_template,
            "n_tensors": self.n_tensors,
            "tensor_types": self.tensor_types,
        }


def _child(code: str, path: Path, env: dict[str, str], timeout: float) -> tuple[int, str, str]:
    # -P: do not put the current folder first on sys.path (our own gguf.py must not shadow gguf-py).
    try:
        p = subprocess.run(
            [sys.executable, "-P", "-c", code, str(path)], capture_output=True, text=True, env=env, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return -1, "", f"timed out after {timeout:.0f} s"
    return p.returncode, p.stdout, p.stderr


def inspect(path: str | Path, *, timeout: float = 120) -> dict:
    """Header facts of a GGUF file via the vendored gguf-py; ModelError when it cannot be parsed."""
    path = Path(path)
    chain = toolchain()
    env = {**chain.env(), "PYTHONPATH": str(chain.gguf_py)}
    rc, out, err = _child(_INSPECT, path, env, timeout)
    if rc != 0:
        last = (err.strip().splitlines() or ["no output"])[-1]
        raise ModelError(f"{path}: not a readable GGUF file: {last}", path=path)
    return json.loads(out.strip().splitlines()[-1])


def _magic_problem(path: Path) -> str | None:
    if not path.is_file():
        return "file not found"
    with path.open("rb") as f:
        head = f.read(4)
    if head != GGUF_MAGIC:
        return f"bad magic {head!r} (expected {GGUF_MAGIC!r}): not a GGUF file or truncated/corrupted"
    return None


def verify(
    path: str | Path,
    *,
    expect_tensors: int | None = None,
    require_chat_template: bool = True,
    load: bool = True,
    timeout: float = 300,
) -> GGUFInfo:
    """Check a model GGUF: architecture, tokenizer, chat template, tensor count, and that llama.cpp loads it.

    Collects every problem, then raises one ModelError naming the file; returns what it learned.
    """
    path = Path(path)
    if problem := _magic_problem(path):
        raise ModelError(f"{path}: {problem}", path=path)
    facts = inspect(path, timeout=timeout)
    keys = facts["keys"]
    problems = []
    if not keys.get("general.architecture"):
        problems.append("general.architecture missing")
    if not keys.get("tokenizer.ggml.model"):
        problems.append("tokenizer.ggml.model missing (no tokenizer)")
    if not keys.get("tokenizer.ggml.tokens"):
        problems.append("tokenizer.ggml.tokens missing or empty")
    has_template = isinstance(keys.get("tokenizer.chat_template"), str) and bool(keys["tokenizer.chat_template"])
    if require_chat_template and not has_template:
        problems.append("tokenizer.chat_template missing (the chat template must be embedded)")
    if facts["n_tensors"] == 0:
        problems.append("no tensors")
    elif expect_tensors is not None and facts["n_tensors"] != expect_tensors:
        problems.append(f"{facts['n_tensors']} tensors, expected {expect_tensors}")
    loaded = False
    if load and not problems:
        rc, _, err = _child(_LOAD, path, toolchain().env(), timeout)
        if rc != 0:
            why = f"killed by signal {-rc}" if rc < -1 else (err.strip().splitlines() or [f"exit code {rc}"])[-1]
            problems.append(f"llama.cpp could not load it: {why}")
        loaded = rc == 0
    if problems:
        raise ModelError(f"{path}: invalid GGUF: " + "; ".join(problems), path=path, problems=problems)
    return GGUFInfo(
        path=str(path),
        size_bytes=path.stat().st_size,
        architecture=keys.get("general.architecture"),
        name=keys.get("general.name"),
        tokenizer=keys.get("tokenizer.ggml.model"),
        n_vocab=keys.get("tokenizer.ggml.tokens"),
        has_chat_template=has_template,
        n_tensors=facts["n_tensors"],
        tensor_types=facts["tensor_types"],
        keys=keys,
        loaded=loaded,
    )


def verify_imatrix(path: str | Path) -> dict:
    """Check an imatrix GGUF (tensors of importance data, chunk count recorded); returns its header facts."""
    path = Path(path)
    if problem := _magic_problem(path):
        raise ModelError(f"{path}: {problem}", path=path)
    facts = inspect(path)
    problems = []
    if not facts["keys"].get("imatrix.chunk_count"):
        problems.append("imatrix.chunk_count missing or zero")
    if facts["n_tensors"] == 0:
        problems.append("no importance tensors")
    if problems:
        raise ModelError(f"{path}: invalid imatrix: " + "; ".join(problems), path=path, problems=problems)
    return facts
