"""`python -m cmd_correct correct`: a GGUF tried the way the fix CLI runs it (real llama.cpp, tiny model)."""

from __future__ import annotations

import os

import pytest

from cmd_correct import contract, correct, infer, paths


@pytest.mark.parametrize(
    ("env", "shell"),
    [
        ({"SHELL": "/usr/bin/zsh"}, "zsh"),
        ({"SHELL": "/bin/dash", "PSModulePath": "x"}, "dash"),  # $SHELL first, its basename as it is
        ({"PSModulePath": "C:\\x"}, "powershell"),
        ({}, "bash"),
    ],
)
def test_shell_is_detected_as_fix_detects_it(env, shell):
    assert correct.detect_shell(env) == shell


def test_answers_with_fix_decoding_and_says_when_nothing_changed(tiny_f16_dir, capsys, monkeypatch):
    monkeypatch.setenv("OMP_WAIT_POLICY", os.environ.get("OMP_WAIT_POLICY", "passive"))  # main sets it: restore after
    gguf = paths.f16_gguf(tiny_f16_dir)
    with infer.load(gguf, threads=1) as model:
        expected = model.correct("bash", "gti status").text
    assert correct.main(["gti status", "--shell", "bash", "--gguf", str(gguf), "--threads", "1"]) == 0
    out, err = capsys.readouterr()
    assert out.strip() == (correct.NO_CORRECTION if expected == "gti status" else expected)
    assert "loaded in" in err and "shell bash" in err
    # fix's "No correction needed": the answer equals the input
    monkeypatch.setattr(correct, "correct", lambda g, c, s, threads=None, **kw: (c, 1.0))
    assert correct.main(["ls -la", "--shell", "nu", "--gguf", str(gguf)]) == 0
    out, err = capsys.readouterr()
    assert out.strip() == "No correction needed"
    assert "'nu' is not one the model was trained on" in err  # sent as it is, as fix does


def test_an_unknown_shell_name_reaches_the_prompt_verbatim(tiny_f16_dir):
    with infer.load(paths.f16_gguf(tiny_f16_dir), threads=1, max_tokens=4) as model:
        model.known_shells = False
        out = model.correct("nu", "ls")
        expected = model.llm.tokenize(
            contract.render_prompt("nu", "ls", known=False).encode(), add_bos=True, special=True
        )
    assert out.prompt_tokens == len(expected)


def test_wit_prompts_with_the_command_and_its_tool_results(tiny_f16_dir):
    results = (correct.parse_tool("which_binary(git)=/usr/bin/git"), correct.parse_tool("help_output(git)=usage:\\n x"))
    assert results[1] == contract.ToolResult("help_output", "git", "usage:\n x")
    with infer.load(paths.f16_gguf(tiny_f16_dir), threads=1, max_tokens=4, consumer="wit") as model:
        assert model.decoding.n_ctx == 1024 and model.decoding.cleanup == "wit"
        user = model.user("gti status", results)
        out = model.correct("bash", user)
        expected = model.llm.tokenize(
            contract.render_prompt("bash", user, consumer="wit").encode(), add_bos=True, special=True
        )
    assert user.startswith("Input: gti status\n\nTool results:\n- which_binary(git): /usr/bin/git\n")
    assert out.prompt_tokens == len(expected)


@pytest.mark.parametrize("bad", ["which_binary git", "rm(x)=y", "list_similar(x)=  "])
def test_a_malformed_tool_option_is_refused(bad):
    with pytest.raises(ValueError, match="--tool"):
        correct.parse_tool(bad)


def test_fix_refuses_tool_results(tmp_path, capsys):
    with pytest.raises(SystemExit):
        correct.main(["gti", "--tool", "which_binary(git)=/usr/bin/git", "--gguf", str(tmp_path / "x.gguf")])
    assert "fix sends no tool results" in capsys.readouterr().err
