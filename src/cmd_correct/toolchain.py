"""Build and locate the pinned llama.cpp tools (stdlib only, so it runs before any install).

The tools come from the llama.cpp source vendored in the `llama-cpp-python` sdist, built once per
(version, cmake flags) into a cache folder and reused; `llama-cpp-python` then loads the same
shared libraries through `LLAMA_CPP_LIB_PATH` instead of compiling its own `-march=native` copy.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .errors import ToolchainError  # defined in errors.py (a CmdCorrectError); importable from here too

# The one pin of llama.cpp: pyproject's `gguf` extra pins the same llama-cpp-python (a test checks).
LLAMA_CPP_PYTHON_VERSION = "0.3.36"
# sha256 of that version's sdist on PyPI (llama_cpp_python-0.3.36.tar.gz): pip checks it (--require-hashes)
# here and in release.yml, which reads it from this line. A new version needs its new hash.
LLAMA_CPP_PYTHON_SDIST_SHA256 = "832db0699007f1be95a7e41ef12e88926b02ba836461e36a36372db2760c1a2e"
TOOLS = ("llama-quantize", "llama-imatrix", "llama-perplexity", "llama-completion", "llama-bench")


def cache_root() -> Path:
    """`$CMD_CORRECT_CACHE`, else `~/.cache/cmd-correct` (CI caches this folder)."""
    return Path(os.environ.get("CMD_CORRECT_CACHE") or Path.home() / ".cache" / "cmd-correct")


def cpu_flags() -> set[str]:
    """CPU feature flags the kernel reports (empty where /proc/cpuinfo does not exist)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def cmake_flags(native: bool | None = None) -> list[str]:
    """Configure flags: portable ISA switches from the CPU's own flags, AMX always off.

    `GGML_NATIVE=ON` compiles an AMX path that dies with "Illegal instruction" on quantized models on
    machines whose CPU advertises AMX without the kernel enabling it; set CMD_CORRECT_LLAMA_NATIVE=1
    to opt into a native build on a machine where that is known to work.
    """
    if native is None:
        native = os.environ.get("CMD_CORRECT_LLAMA_NATIVE") == "1"
    common = [
        "-DCMAKE_BUILD_TYPE=Release",
        "-DBUILD_SHARED_LIBS=ON",
        # Binaries and libraries all land in build/bin; $ORIGIN rpaths keep them loadable after the
        # finished build is renamed into the cache (and for llama-cpp-python's ctypes load).
        "-DCMAKE_BUILD_RPATH_USE_ORIGIN=ON",
        "-DCMAKE_BUILD_RPATH=$ORIGIN",
        "-DLLAMA_CURL=OFF",
        "-DLLAMA_BUILD_TESTS=OFF",
        "-DLLAMA_BUILD_EXAMPLES=OFF",
        "-DLLAMA_BUILD_SERVER=OFF",
        "-DGGML_BLAS=OFF",
    ]
    if native:
        return [*common, "-DGGML_NATIVE=ON"]
    flags = cpu_flags()
    on = lambda name, present: f"-D{name}={'ON' if present else 'OFF'}"  # noqa: E731
    avx512 = {"avx512f", "avx512bw", "avx512vl", "avx512dq"} <= flags
    return [
        *common,
        "-DGGML_NATIVE=OFF",
        on("GGML_SSE42", "sse4_2" in flags),
        on("GGML_AVX", "avx" in flags),
        on("GGML_AVX2", "avx2" in flags),
        on("GGML_FMA", "fma" in flags),
        on("GGML_F16C", "f16c" in flags),
        on("GGML_BMI2", "bmi2" in flags),
        on("GGML_AVX_VNNI", "avx_vnni" in flags),
        on("GGML_AVX512", avx512),
        on("GGML_AVX512_VBMI", avx512 and "avx512_vbmi" in flags),
        on("GGML_AVX512_VNNI", avx512 and "avx512_vnni" in flags),
        on("GGML_AVX512_BF16", avx512 and "avx512_bf16" in flags),
        "-DGGML_AMX_TILE=OFF",
        "-DGGML_AMX_INT8=OFF",
        "-DGGML_AMX_BF16=OFF",
    ]


@dataclass(frozen=True)
class Toolchain:
    """A built llama.cpp: its source (convert script, gguf-py) and its binaries and libraries."""

    root: Path

    @property
    def src(self) -> Path:
        return self.root / "src"

    @property
    def bin(self) -> Path:
        return self.root / "build" / "bin"

    @property
    def lib(self) -> Path:
        """Folder holding libllama.so and the ggml libraries (for LLAMA_CPP_LIB_PATH)."""
        return self.bin

    @property
    def convert_script(self) -> Path:
        return self.src / "convert_hf_to_gguf.py"

    @property
    def gguf_py(self) -> Path:
        return self.src / "gguf-py"

    def tool(self, name: str) -> Path:
        path = self.bin / name
        if not path.exists():
            raise ToolchainError(f"{path}: llama.cpp tool missing; run `make toolchain`", tool=path.name, path=path)
        return path

    def env(self) -> dict[str, str]:
        """Environment for child processes: our libraries first, OpenMP threads that do not spin."""
        env = dict(os.environ)
        env["LLAMA_CPP_LIB_PATH"] = str(self.lib)
        env["LD_LIBRARY_PATH"] = os.pathsep.join(p for p in (str(self.lib), env.get("LD_LIBRARY_PATH")) if p)
        env.setdefault("OMP_WAIT_POLICY", "passive")
        return env

    def info(self) -> dict:
        return json.loads((self.root / "toolchain.json").read_text())


def toolchain_dir(native: bool | None = None) -> Path:
    """Cache folder keyed by llama-cpp-python version, platform and cmake flags."""
    flags = cmake_flags(native)
    key = hashlib.sha256(json.dumps([platform.machine(), flags]).encode()).hexdigest()[:12]
    return cache_root() / "llama.cpp" / f"{LLAMA_CPP_PYTHON_VERSION}-{key}"


def find() -> Toolchain:
    """The built toolchain for this machine, or a ToolchainError saying how to build it."""
    root = toolchain_dir()
    if not (root / "toolchain.json").exists():
        raise ToolchainError(f"{root}: llama.cpp toolchain not built; run `make toolchain`", path=root)
    return Toolchain(root)


def _fetch_source(dest: Path, log: Callable[[str], None]) -> None:
    """Download the pinned sdist from PyPI (pip checks its sha256) and unpack its vendored llama.cpp into `dest`."""
    with tempfile.TemporaryDirectory() as tmp:
        log(f"downloading llama-cpp-python=={LLAMA_CPP_PYTHON_VERSION} sdist")
        requirement = Path(tmp) / "requirements.txt"
        requirement.write_text(
            f"llama-cpp-python=={LLAMA_CPP_PYTHON_VERSION} --hash=sha256:{LLAMA_CPP_PYTHON_SDIST_SHA256}\n"
        )
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "-q",
                "--no-deps",
                "--no-binary",
                ":all:",
                "--require-hashes",
                "-r",
                str(requirement),
                "-d",
                tmp,
            ],
            check=True,
        )
        (sdist,) = Path(tmp).glob("llama_cpp_python-*.tar.gz")
        prefix = f"{sdist.name.removesuffix('.tar.gz')}/vendor/llama.cpp/"
        with tarfile.open(sdist) as tar:
            members = [m for m in tar.getmembers() if m.name.startswith(prefix)]
            for m in members:
                m.name = m.name[len(prefix) :]
            tar.extractall(dest, members=[m for m in members if m.name], filter="data")


def _silent(msg: str) -> None:
    """A log callback that drops every line (the default for `build`)."""


def _to_stderr(msg: str) -> None:
    print(msg, file=sys.stderr)


def build(*, jobs: int | None = None, log: Callable[[str], None] = _silent) -> Toolchain:
    """Build the tools once; later calls return the cached build at once. `log` gets one line per step
    (download, configure, build); cmake's own output goes to this process's stdout and stderr."""
    root = toolchain_dir()
    if (root / "toolchain.json").exists():
        return Toolchain(root)
    if shutil.which("cmake") is None:
        raise ToolchainError("cmake not found: install it (Debian: apt-get install cmake)", tool="cmake")
    work = root.with_name(root.name + ".partial")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    flags = cmake_flags()
    jobs = jobs or os.cpu_count() or 2
    try:
        _fetch_source(work / "src", log)
        log("configuring llama.cpp: " + " ".join(flags))
        configure = ["cmake", "-S", str(work / "src"), "-B", str(work / "build"), *flags]
        subprocess.run(configure, check=True, stdout=subprocess.DEVNULL)
        log(f"building {', '.join(TOOLS)} with {jobs} jobs (several minutes on 2 cores)")
        compile_ = ["cmake", "--build", str(work / "build"), "-j", str(jobs), "--target", *TOOLS, "llama"]
        subprocess.run(compile_, check=True)
    except subprocess.CalledProcessError as e:  # its own output is above; one line says which step failed
        step = " ".join(str(a) for a in e.cmd[:4])
        raise ToolchainError(
            f"toolchain build failed: `{step} ...` exited {e.returncode} (output above)", tool=step
        ) from None
    # Object files are not needed once linked; the cache keeps binaries, libraries and source.
    for sub in (work / "build").iterdir():
        if sub.name != "bin":
            shutil.rmtree(sub) if sub.is_dir() else sub.unlink()
    info = {"llama_cpp_python": LLAMA_CPP_PYTHON_VERSION, "cmake_flags": flags, "machine": platform.machine()}
    (work / "toolchain.json").write_text(json.dumps(info, indent=2) + "\n")
    shutil.rmtree(root, ignore_errors=True)
    work.rename(root)  # the finished build appears all at once
    return Toolchain(root)


def main(argv: list[str] | None = None) -> int:
    """`toolchain [build|dir|lib]`: build (default) and print the cache folder or the library folder."""
    cmd = (argv or ["build"])[0]
    try:
        return _main(cmd)
    except ToolchainError as exc:  # run as `python -m cmd_correct.toolchain`: one line, like the CLI
        from .cli import report

        return report(exc)


def _main(cmd: str) -> int:
    if cmd == "build":
        tc = build(log=_to_stderr)
        print(tc.root)
    elif cmd == "dir":
        print(toolchain_dir())
    elif cmd == "lib":
        print(find().lib)
    else:
        raise SystemExit(f"usage: python -m cmd_correct.toolchain [build|dir|lib]; got {cmd!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
