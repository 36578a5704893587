"""GGUF validation: a broken file is a hard error naming the file and the problem, never a warning."""

import shutil

import pytest

from cmd_correct import gguf, paths
from cmd_correct.errors import ModelError, ToolError


@pytest.fixture
def f16_copy(tiny_f16_dir, tmp_path):
    dst = tmp_path / "model.gguf"
    shutil.copy(paths.f16_gguf(tiny_f16_dir), dst)
    return dst


def test_truncated_gguf_is_refused(f16_copy):
    data = f16_copy.read_bytes()
    f16_copy.write_bytes(data[: len(data) // 2])  # an interrupted download or copy
    with pytest.raises(ModelError) as err:
        gguf.verify(f16_copy)
    assert err.value.path == str(f16_copy)


def test_bad_magic_is_refused(f16_copy):
    with f16_copy.open("r+b") as f:
        f.write(b"XXXX")
    with pytest.raises(ModelError, match="bad magic") as err:
        gguf.verify(f16_copy)
    assert err.value.path == str(f16_copy)


def test_garbage_header_is_refused(f16_copy):
    data = bytearray(f16_copy.read_bytes())
    data[8:64] = b"\xff" * 56  # tensor and metadata counts become absurd
    f16_copy.write_bytes(bytes(data))
    with pytest.raises(ModelError) as err:
        gguf.verify(f16_copy)
    assert err.value.path == str(f16_copy)


def test_wrong_tensor_count_is_refused(tiny_f16_dir):
    with pytest.raises(ModelError) as err:
        gguf.verify(paths.f16_gguf(tiny_f16_dir), expect_tensors=999, load=False)
    assert [p for p in err.value.problems if p.endswith("tensors, expected 999")]


def test_missing_file_is_refused(tmp_path):
    with pytest.raises(ModelError) as err:
        gguf.verify(tmp_path / "nope.gguf")
    assert err.value.path == str(tmp_path / "nope.gguf")


def test_failed_tool_raises_tool_error_with_its_output(tmp_path):
    with pytest.raises(ToolError) as err:
        gguf.run_tool("llama-quantize", [tmp_path / "missing.gguf", tmp_path / "out.gguf", "Q4_K_M"])
    assert err.value.tool == "llama-quantize" and "missing.gguf" in str(err.value)  # its command line and output


def test_missing_tool_says_how_to_build_it():
    with pytest.raises(ToolError, match="make toolchain") as err:  # the message is the fix
        gguf.run_tool("llama-no-such-tool", [])
    assert err.value.tool == "llama-no-such-tool"
