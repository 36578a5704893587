"""The wit consumer through the data stages: rows with tool results -> validate -> prepare (wit's prompt) ->
training examples and evaluation cases, with and without their tool results."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import DATA_SEED

from cmd_correct import contract, generate, prepare, validate
from cmd_correct.errors import DataErrors
from cmd_correct.evaluate import cases
from cmd_correct.train import data

TARGETS = (generate.Params().shell_weights, generate.Params().family_weights)


def _with_results(small_generated: Path, out: Path) -> Path:
    """small_generated, each row given the one result wit always asks for: list_similar of its first word,
    answered by that word itself (an installed program lists itself)."""
    shutil.copytree(small_generated, out)
    for f in contract.FAMILIES:
        path = out / f"{f}.jsonl"
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        for r in rows:
            first = r["command"].split()[0]
            r["tool_results"] = [{"tool": "list_similar", "arg": first, "output": first}]
        path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return out


@pytest.fixture(scope="module")
def wit_final(small_generated: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("wit")
    gen = _with_results(small_generated, tmp / "generated")
    validate.run(validate.Params(), *TARGETS, gen, tmp / "validation.json")
    prepare.run(
        prepare.Params(calibration_rows=20, heldout_rows=10), DATA_SEED, gen, tmp / "validation.json", tmp / "final",
        consumer="wit",
    )  # fmt: skip
    return tmp / "final"


def test_prepare_writes_wit_prompts_calibration_and_meta(wit_final: Path):
    row = json.loads((wit_final / "train.jsonl").open().readline())
    name = row.get("prompt_shell") or row["shell"]
    results = contract.tool_results(row["tool_results"])
    user = contract.user_turn(row["command"], results, consumer="wit")
    assert row["messages"] == contract.messages(name, user, row["messages"][2]["content"], consumer="wit")
    assert user.startswith(f"Input: {row['command']}\n\nTool results:\n- list_similar(")
    calibration = (wit_final / "calibration.txt").read_text(encoding="utf-8")
    assert calibration.count("Use the provided tool results") == 20 and "Output only the corrected" not in calibration
    assert json.loads((wit_final / "meta.json").read_text())["params"]["consumer"] == "wit"


def test_training_reads_wit_rows_with_their_consumer(wit_final: Path):
    examples = data.read_split(wit_final / "train.jsonl")
    assert {ex.consumer for ex in examples} == {"wit"}
    assert examples[0].command.startswith("Input: ")


def test_cases_hold_the_command_and_can_drop_the_tool_results(wit_final: Path):
    loaded = cases.load_cases(wit_final / "test.jsonl", "wit")
    c = loaded[0]
    assert c.tool_results and c.turn == contract.user_turn(c.command, c.tool_results, consumer="wit")
    bare = cases.without_tools(loaded, "wit")[0]
    assert (bare.id, bare.expected, bare.tool_results) == (c.id, c.expected, ())
    assert bare.turn == f"Input: {c.command}\n\n"
    identity = cases.identity_cases(loaded, 5, DATA_SEED, "wit")
    assert all(i.turn == f"Input: {i.command}\n\n" for i in identity)
    with pytest.raises(DataErrors, match="for fix"):  # a wit split is not fix's
        cases.load_cases(wit_final / "test.jsonl", "fix")


def test_fix_prepare_refuses_rows_made_for_wit(small_generated: Path, tmp_path: Path):
    gen = _with_results(small_generated, tmp_path / "generated")
    validate.run(validate.Params(), *TARGETS, gen, tmp_path / "validation.json")
    with pytest.raises(DataErrors, match="base.consumer is 'fix'"):
        prepare.run(prepare.Params(), DATA_SEED, gen, tmp_path / "validation.json", tmp_path / "final")


@pytest.mark.parametrize(
    ("results", "why"),
    [
        ([{"tool": "help_output", "arg": "zzz", "output": "usage"}], "not a call wit makes"),
        ([{"tool": "list_similar", "arg": "{first}", "output": "x" * 300}], "cut at 200"),
        ([{"tool": "list_similar", "arg": "{first}", "output": "a\x1b[0m"}], "control character"),
        ("not a list", "expected a list"),
    ],
)
def test_validate_holds_tool_results_to_the_contract(small_generated: Path, tmp_path: Path, results, why):
    gen = _with_results(small_generated, tmp_path / "generated")
    path = gen / "single.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines()
    row = json.loads(lines[0])
    first = row["command"].split()[0]
    row["tool_results"] = (
        [{**r, "arg": r["arg"].format(first=first)} for r in results] if isinstance(results, list) else results
    )
    lines[0] = json.dumps(row)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DataErrors) as exc:
        validate.run(validate.Params(), *TARGETS, gen, tmp_path / "validation.json")
    found = [p for p in exc.value.problems if p.line == 1 and p.field == "tool_results"]
    assert found and why in found[0].reason, [str(p) for p in exc.value.problems][:3]


def test_evaluate_scores_the_same_cases_without_their_tool_results(wit_final: Path, monkeypatch):
    from cmd_correct import evaluate
    from cmd_correct.evaluate import exact

    seen = []

    def fake_run_model(name, gguf, batch, *, timed, consumer, **kwargs):  # right only when grounded
        seen.append((name, consumer, [c.turn for c in batch]))
        answers = [c.expected if c.tool_results else c.command for c in batch]
        return exact.ModelRun(name, answers, [], [], None, [], 0.0)

    monkeypatch.setattr(exact, "run_model", fake_run_model)
    sample = [c for c in cases.load_cases(wit_final / "test.jsonl", "wit") if c.tool_results][:12]
    got = evaluate.without_tools(evaluate.Params(), "Q4_K_M", Path("m.gguf"), sample, 1, lambda *a: None, "wit")
    assert seen[0][:2] == ("Q4_K_M without tools", "wit")
    assert all(turn == f"Input: {c.command}\n\n" for turn, c in zip(seen[0][2], sample, strict=True))
    assert set(got) == set(evaluate.ABLATION_KEYS) and got["n_cases"] == len(sample)
    broken = sum(c.broken for c in sample)
    assert got["exact_match"] == round(1 - broken / len(sample), 4)
    assert set(got["exact_match_by_shell"]) == {c.shell for c in sample}


@pytest.mark.slow  # the evaluate stage on the tiny models with wit's prompt and decoding (~1 min on 2 cores)
def test_evaluate_runs_wit_end_to_end_on_the_tiny_models(wit_final, tiny_f16_dir, tiny_quant_dir, tmp_path):
    from cmd_correct import evaluate

    params = evaluate.Params(
        n_cases=12, parallel=4, latency_cases=3, identity_cases=4, threads=1, ppl_ctx=64, ppl_chunks=4,
        bench_n_gen=4, bench_reps=1, latency_threads=[1], latency_sweep=[], cached_prefix=False, baselines=[],
    )  # fmt: skip
    res = evaluate.run(
        params, f16_dir=tiny_f16_dir, quant_dir=tiny_quant_dir, baseline_dir=None, final_dir=wit_final,
        metrics_path=tmp_path / "metrics.json", report_dir=tmp_path / "report", seed=7, consumer="wit",
    )  # fmt: skip
    m = res.metrics
    assert (m["settings"]["decoding"], m["settings"]["max_tokens"], m["settings"]["n_ctx"]) == ("wit", 256, 1024)
    for variant in ("f16", "Q4_K_M"):
        bare = m[variant]["without_tools"]
        assert bare["n_cases"] == m[variant]["n_cases"] == 12 and 0 <= bare["exact_match"] <= 1
        assert set(bare["exact_match_by_shell"]) == set(m[variant]["exact_match_by_shell"])
