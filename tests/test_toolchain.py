"""The pinned llama.cpp toolchain: portable ISA flags with AMX off, cache key, and the built tools."""

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from cmd_correct import toolchain

ROOT = Path(__file__).parents[1]


def _flags(monkeypatch, cpu: set[str], native: str | None = None) -> list[str]:
    monkeypatch.setattr(toolchain, "cpu_flags", lambda: cpu)
    if native is None:
        monkeypatch.delenv("CMD_CORRECT_LLAMA_NATIVE", raising=False)
    else:
        monkeypatch.setenv("CMD_CORRECT_LLAMA_NATIVE", native)
    return toolchain.cmake_flags()


def test_default_build_is_portable_with_amx_off(monkeypatch):
    # an AMX-advertising Xeon: AMX must stay off (it dies with "Illegal instruction" when the kernel disables it)
    flags = _flags(
        monkeypatch,
        {
            "avx",
            "avx2",
            "fma",
            "f16c",
            "avx512f",
            "avx512bw",
            "avx512vl",
            "avx512dq",
            "amx_tile",
            "amx_int8",
            "amx_bf16",
        },
    )
    assert "-DGGML_NATIVE=OFF" in flags
    assert {"-DGGML_AMX_TILE=OFF", "-DGGML_AMX_INT8=OFF", "-DGGML_AMX_BF16=OFF"} <= set(flags)
    assert {"-DGGML_AVX2=ON", "-DGGML_FMA=ON", "-DGGML_F16C=ON", "-DGGML_AVX512=ON"} <= set(flags)


def test_avx2_only_cpu_gets_no_avx512(monkeypatch):
    flags = _flags(monkeypatch, {"avx", "avx2", "fma", "f16c"})  # this project's AMD EPYC
    assert "-DGGML_AVX2=ON" in flags and "-DGGML_AVX512=OFF" in flags


def test_native_is_opt_in_and_keyed_separately(monkeypatch):
    portable = toolchain.toolchain_dir(native=False)
    flags = _flags(monkeypatch, {"avx2"}, native="1")
    assert "-DGGML_NATIVE=ON" in flags
    assert toolchain.toolchain_dir(native=True) != portable
    assert toolchain.toolchain_dir(native=True).name.startswith(f"{toolchain.LLAMA_CPP_PYTHON_VERSION}-")


def test_pyproject_pins_the_same_llama_cpp_python():
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["gguf"]
    assert f"llama-cpp-python=={toolchain.LLAMA_CPP_PYTHON_VERSION}" in extras


def test_find_without_a_build_says_how_to_build(monkeypatch, tmp_path):
    monkeypatch.setenv("CMD_CORRECT_CACHE", str(tmp_path))
    with pytest.raises(toolchain.ToolchainError, match="make toolchain") as err:  # the message is the fix
        toolchain.find()
    assert err.value.path == str(toolchain.toolchain_dir())


def test_a_missing_toolchain_is_a_one_line_user_error(monkeypatch, tmp_path, capsys):
    # Regression: ToolchainError was a bare RuntimeError, so the CLI printed a traceback for it.
    from cmd_correct import cli, errors

    assert toolchain.ToolchainError is errors.ToolchainError  # the old import path keeps working
    assert issubclass(toolchain.ToolchainError, errors.CmdCorrectError)
    monkeypatch.setenv("CMD_CORRECT_CACHE", str(tmp_path))
    monkeypatch.delenv("CMD_CORRECT_DEBUG", raising=False)
    for run in (lambda: cli.main(["toolchain", "lib"]), lambda: toolchain.main(["lib"])):
        assert run() == 1
        out, err = capsys.readouterr()
        assert out == "" and err.count("\n") == 1 and "run `make toolchain`" in err


def test_built_tools_run():
    chain = toolchain.find()
    for tool in toolchain.TOOLS:
        proc = subprocess.run([chain.tool(tool), "--help"], capture_output=True, text=True, env=chain.env())
        assert "error while loading shared libraries" not in proc.stderr, tool
        assert proc.returncode in (0, 1), (tool, proc.stderr[-500:])
    assert chain.convert_script.is_file() and (chain.gguf_py / "gguf" / "__init__.py").is_file()
    assert (chain.convert_script.parent / "conversion").is_dir()
    assert chain.info()["cmake_flags"] == toolchain.cmake_flags()


def test_llama_cpp_python_loads_the_toolchain_libraries():
    """llama-cpp-python (installed with LLAMA_BUILD=OFF) runs on our portable build: no AMX, AVX2 on."""
    chain = toolchain.find()
    code = "import llama_cpp; print(llama_cpp.llama_print_system_info().decode())"
    env = {**chain.env(), "LLAMA_CPP_LIB_PATH": str(chain.lib)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout
    assert "AMX_INT8 = 1" not in out
    if "avx2" in toolchain.cpu_flags():
        assert "AVX2 = 1" in out


def test_tool_env_keeps_openmp_threads_from_spinning(monkeypatch):
    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    env = toolchain.Toolchain(Path("/nonexistent")).env()
    assert env["OMP_WAIT_POLICY"] == "passive" and env["LLAMA_CPP_LIB_PATH"] == "/nonexistent/build/bin"


def test_build_logs_through_its_callback_and_prints_nothing_itself(monkeypatch, tmp_path, capsys):
    # Regression: build() printed its step lines to stderr by default; core code reports through a callback.
    def fail(cmd, **kw):
        raise subprocess.CalledProcessError(1, cmd)

    monkeypatch.setenv("CMD_CORRECT_CACHE", str(tmp_path))
    monkeypatch.setattr(toolchain.shutil, "which", lambda name: "/usr/bin/" + name)
    monkeypatch.setattr(toolchain.subprocess, "run", fail)  # the sdist download fails at once
    lines: list[str] = []
    for log in (None, lines.append):
        with pytest.raises(toolchain.ToolchainError) as err:
            toolchain.build(**({"log": log} if log else {}))
        assert err.value.tool.endswith("-m pip download")  # the step that failed
    assert capsys.readouterr() == ("", "")
    assert lines == [f"downloading llama-cpp-python=={toolchain.LLAMA_CPP_PYTHON_VERSION} sdist"]
