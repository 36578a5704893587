"""evaluate: metrics.json, plots and predictions on the tiny pipeline (real tools), parsers pinned on captured text."""

import dataclasses
import hashlib
import json
from pathlib import Path

import pytest

from cmd_correct import baseline, contract, evaluate, infer, paths
from cmd_correct.errors import DataErrors, ParamsError, ToolError
from cmd_correct.evaluate import bench, cases, exact, perplexity, thefuck_baseline
from cmd_correct.evaluate.cases import Case

FIXTURES = Path(__file__).parent / "fixtures" / "llama_cpp"
# Values printed in the captured runs (SmolLM2-135M embedded base, 40 chunks of 128 tokens of held-out ChatML).
PINNED_F16 = {"ppl": 4.6607, "ppl_stderr": 0.24845}
PINNED_KLD = {
    "ppl": 4.858431,
    "ppl_base": 4.660742,
    "ppl_ratio": 1.042416,
    "kld_mean": 0.031357,
    "kld_max": 1.582032,
    "kld_p99": 0.19693,
    "kld_median": 0.017407,
    "same_top_pct": 94.365,
}
PINNED_BENCH = {"tokens_per_s": 18.4, "stddev": 0.3, "n_gen": 32, "threads": 2}
TINY_EVAL = evaluate.Params(
    n_cases=30,
    base_cases=24,
    parallel=4,
    latency_cases=12,
    threads=1,
    ppl_ctx=64,
    ppl_chunks=4,
    bench_n_gen=4,
    bench_reps=1,
    latency_threads=[1, 2],
    latency_sweep=["f16"],
)


@pytest.fixture(scope="module")
def evaluated(tiny_f16_dir, tiny_quant_dir, tiny_final_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("evaluate")
    # the tiny f16 stands in for the base model's GGUF: same file, so the baseline must equal f16 exactly
    baseline.run(
        TINY_EVAL,
        base_gguf_dir=tiny_f16_dir,
        final_dir=tiny_final_dir,
        out_dir=out / "baseline",
        seed=7,
        generated_dir=tiny_final_dir.parent / "generated",
    )
    res = evaluate.run(
        TINY_EVAL,
        f16_dir=tiny_f16_dir,
        quant_dir=tiny_quant_dir,
        baseline_dir=out / "baseline",
        final_dir=tiny_final_dir,
        metrics_path=out / "metrics.json",
        report_dir=out / "report",
        seed=7,
    )
    return res, out


@pytest.mark.slow  # the whole evaluate stage on the tiny pipeline (~1 min on 2 cores)
def test_metrics_json_has_every_variant_and_the_stable_schema(evaluated, tiny_f16_dir):
    from conftest import TINY_QUANT_TYPES

    res, out = evaluated
    m = json.loads((out / "metrics.json").read_text())
    assert m == res.metrics
    assert set(m) == {"f16", *TINY_QUANT_TYPES, "baselines", "settings"}
    common = {
        "exact_match",
        "equivalent_match",
        "equivalent_match_by_shell",
        "equivalent_match_by_family",
        "exact_match_by_shell",
        "exact_match_by_family",
        "n_cases",
        "latency_ms_p50",
        "latency_ms_p95",
        "tokens_per_s",
        "bench_tokens_per_s",
        "bench_ratio",
        "size_mb",
        "ppl",
        "ppl_ratio",
    }
    assert common <= set(m["f16"])
    for q in TINY_QUANT_TYPES:
        assert common | {"kld_mean", "kld_p99", "same_top_pct", "fallback_tensors"} <= set(m[q])
        assert m[q]["kld_mean"] >= 0 and 0 <= m[q]["same_top_pct"] <= 100
        assert m[q]["ppl_ratio"] == pytest.approx(m[q]["ppl"] / m["f16"]["ppl"], rel=2e-3)
    assert m["f16"]["ppl_ratio"] == 1.0
    assert set(m["f16"]["exact_match_by_shell"]) == set(contract.SHELLS)
    assert set(m["f16"]["exact_match_by_family"]) == set(contract.FAMILIES)
    assert m["f16"]["latency_ms_p95"] >= m["f16"]["latency_ms_p50"] > 0
    assert m["settings"]["threads"] == 1 and m["settings"]["omp_wait_policy"] == "passive"
    assert m["settings"]["n_cases"] == 30 and m["settings"]["n_test"] == 120
    # The gate's same-cases check: the hash of the scored ids in order, as the baseline ties itself with.
    ids = [json.loads(line)["id"] for line in (out / "report" / "predictions.jsonl").read_text().splitlines()]
    assert m["settings"]["case_ids_sha256"] == hashlib.sha256("\n".join(ids).encode()).hexdigest()
    assert (
        m["settings"]["case_ids_sha256"]
        == json.loads((out / "baseline/metrics.json").read_text())["settings"]["case_ids_sha256"]
    )
    assert m["settings"]["parallel"] == 4 and m["settings"]["latency_cases"] == m["f16"]["latency_cases"] == 12
    assert 0 <= m["f16"]["batch_agreement"] <= 1
    assert m["f16"]["size_mb"] == round(paths.f16_gguf(tiny_f16_dir).stat().st_size / 1e6, 2)


def test_metrics_say_what_a_fix_user_sees(evaluated):
    """Answers read as fix reads them; valid commands kept, broken ones echoed, acceptance cases, load time."""
    from cmd_correct.evaluate import acceptance

    res, out = evaluated
    m = res.metrics
    assert m["settings"]["decoding"] == "fix" and m["settings"]["max_tokens"] == contract.FIX.max_tokens == 128
    for name in m["settings"]["variants"]:
        v = m[name]
        assert 0 <= v["identity_preserved"] <= 1 and v["identity_cases"] == m["settings"]["identity_cases"] > 0
        assert 0 <= v["echo_rate"] <= 1 and v["load_ms"] > 0
        assert v["acceptance_total"] == len(acceptance.CASES) and v["acceptance_fix_e2e_total"] == 6
        assert set(v["acceptance_checklist"]) == {c.name for c in acceptance.CASES}
        assert v["acceptance_passed"] == sum(v["acceptance_checklist"].values())
    rows = [json.loads(line) for line in (out / "report" / "acceptance.jsonl").read_text().splitlines()]
    assert len(rows) == len(acceptance.CASES) * len(m["settings"]["variants"])
    kept = [json.loads(line) for line in (out / "report" / "identity.jsonl").read_text().splitlines()]
    assert len(kept) == m["settings"]["identity_cases"] and all(r["command"] == r["expected"] for r in kept)
    f16 = [r["f16"].strip() == r["command"] for r in kept]
    assert m["f16"]["identity_preserved"] == round(sum(f16) / len(f16), 4)


@pytest.mark.slow  # the whole evaluate stage on the tiny pipeline (~1 min on 2 cores)
def test_only_the_latency_sweep_variants_are_timed_per_thread_count_and_cached(evaluated):
    from conftest import TINY_QUANT_TYPES

    m = evaluated[0].metrics
    # 1 and 2 (evaluate.latency_threads), and llama.cpp's default count, which fix runs with
    fix_threads = str(evaluate.fix_default_threads())
    assert set(m["f16"]["latency_by_threads"]) == {"1", "2", fix_threads} and "cached_prefix" in m["f16"]
    assert m["settings"]["fix_default_threads"] == int(fix_threads)
    for q in TINY_QUANT_TYPES:
        assert set(m[q]["latency_by_threads"]) == {"1"} and "cached_prefix" not in m[q]
        assert m[q]["latency_ms_p50"] == m[q]["latency_by_threads"]["1"]["latency_ms_p50"]


def _evaluate_tiny(params, f16_dir, quant_dir, final_dir, tmp_path):
    """evaluate.run on the tiny pipeline's models and data, with no baseline, writing under `tmp_path`."""
    return evaluate.run(
        params,
        f16_dir=f16_dir,
        quant_dir=quant_dir,
        baseline_dir=None,
        final_dir=final_dir,
        metrics_path=tmp_path / "metrics.json",
        report_dir=tmp_path / "report",
        seed=7,
    )


def test_a_latency_sweep_naming_no_variant_is_refused(tiny_f16_dir, tiny_quant_dir, tiny_final_dir, tmp_path):
    bad = dataclasses.replace(TINY_EVAL, latency_sweep=["Q5_K_S"])
    with pytest.raises(ParamsError) as e:
        _evaluate_tiny(bad, tiny_f16_dir, tiny_quant_dir, tiny_final_dir, tmp_path)
    assert e.value.problems[0].startswith("evaluate.latency_sweep: Q5_K_S")
    assert not (tmp_path / "metrics.json").exists() and not (tmp_path / "report").exists()


@pytest.mark.slow  # the whole evaluate stage on the tiny pipeline (~1 min on 2 cores)
def test_same_model_as_baseline_scores_the_same(evaluated):
    res, _ = evaluated
    base = res.metrics["baselines"]["base"]
    rows = [json.loads(line) for line in res.predictions.read_text().splitlines()]
    scored = [r for r in rows if r["base"] is not None]  # base_cases=24 of the 30: a stratified sub-sample
    assert base["n_cases"] == len(scored) == 24 and len(rows) == 30
    assert set(base["exact_match_by_shell"]) == set(contract.SHELLS)  # every shell still has cases
    assert all(r["base"] == r["f16"] for r in scored)  # same file, same batched decoding, same answers
    hits = sum(exact.is_exact(r["f16"], r["expected"]) for r in scored)
    assert base["exact_match"] == round(hits / len(scored), 4)


@pytest.mark.slow  # the whole evaluate stage on the tiny pipeline (~1 min on 2 cores)
def test_thefuck_baseline_counts_only_cases_in_reach(evaluated):
    res, _ = evaluated
    tf = res.metrics["baselines"]["thefuck"]
    rows = [json.loads(line) for line in res.predictions.read_text().splitlines()]
    reach = [r for r in rows if r["shell"] != "cmd" and r["family"] != "natural"]
    assert tf["n_cases"] == len(reach) > 0
    assert all(r["thefuck"] is None for r in rows if r not in reach)
    assert tf["with_error_message"] == len(reach)  # joined from data/generated by id
    assert 0 <= tf["exact_match"] <= 1 and "cmd unsupported" in tf["reach"]


@pytest.mark.slow  # the whole evaluate stage on the tiny pipeline (~1 min on 2 cores)
def test_predictions_and_plots_are_written(evaluated):
    from conftest import TINY_QUANT_TYPES

    res, out = evaluated
    rows = [json.loads(line) for line in res.predictions.read_text().splitlines()]
    assert len(rows) == 30
    assert {"id", "shell", "family", "command", "expected", "f16", *TINY_QUANT_TYPES, "base"} <= set(rows[0])
    plots = {p.relative_to(out / "report" / "plots").as_posix() for p in res.plots}
    assert {
        "by_shell/f16.json",
        "by_shell/Q4_K_M.json",
        "by_shell/baseline-base.json",
        "quant_tradeoff.json",
        "exact_match_by_shell.png",
        "quant_tradeoff.png",
    } <= plots
    trade = json.loads((out / "report" / "plots" / "quant_tradeoff.json").read_text())
    assert [t["model"] for t in trade] == ["f16", *TINY_QUANT_TYPES]
    assert all((out / "report" / "plots" / p).stat().st_size > 0 for p in plots)


# --- parsers, pinned on captured llama.cpp output (tests/fixtures/llama_cpp) ---


def test_perplexity_parser_on_captured_f16_run():
    got = perplexity.parse_ppl((FIXTURES / "llama-perplexity-f16-base.txt").read_text())
    assert got == PINNED_F16


def test_kld_parser_on_captured_q4_k_m_run():
    got = perplexity.parse_kld((FIXTURES / "llama-perplexity-Q4_K_M-kld.txt").read_text())
    assert got == PINNED_KLD


def test_parsers_refuse_output_without_results():
    with pytest.raises(ToolError) as err:
        perplexity.parse_ppl("perplexity: tokenizing the input ..\n")
    assert err.value.tool == "llama-perplexity"
    with pytest.raises(ToolError, match="at least 100 scored tokens") as err:  # the message says the fix
        perplexity.parse_kld("  3      4.8 ±  0.2   0.04 ±  0.005\n")
    assert err.value.tool == "llama-perplexity"
    with pytest.raises(ToolError, match="kld_mean") as err:  # names the statistics it could not read
        perplexity.parse_kld("====== KL divergence statistics ======\nMean PPL(Q)                   :  10.0 ±  0.1\n")
    assert err.value.tool == "llama-perplexity"


def test_bench_parser_on_captured_json():
    got = bench.parse_bench_json((FIXTURES / "llama-bench-Q4_K_M.txt").read_text())
    assert got == PINNED_BENCH


# --- cases: the one prompt definition, and the stratified sample ---


def _case(i, shell, family):
    return Case(f"c{i}", shell, family, f"gti {i}", f"git {i}")


def test_stratified_sample_covers_every_stratum_in_proportion():
    pool = [
        _case(i, s, f)
        for i, (s, f) in enumerate(
            [(s, f) for s in contract.SHELLS for f in contract.FAMILIES for _ in range(40 if s == "bash" else 5)]
        )
    ]
    got = cases.stratified_sample(pool, 60, seed=1)
    assert len(got) == 60
    strata = {(c.shell, c.family) for c in got}
    assert strata == {(s, f) for s in contract.SHELLS for f in contract.FAMILIES}
    assert sum(c.shell == "bash" for c in got) > sum(c.shell == "tcsh" for c in got)
    assert got == cases.stratified_sample(pool, 60, seed=1)
    assert got != cases.stratified_sample(pool, 60, seed=2)
    assert cases.stratified_sample(pool, 0, seed=1) == pool


def test_split_written_with_another_prompt_is_refused(tmp_path):
    path = tmp_path / "test.jsonl"
    good = {"messages": contract.messages("bash", "sl", "ls"), "shell": "bash", "family": "single", "id": "a"}
    bad = {**good, "id": "b", "messages": [{"role": "system", "content": "You fix commands."}, *good["messages"][1:]]}
    path.write_text(json.dumps(good) + "\n" + json.dumps(bad) + "\n" + json.dumps({**good, "shell": "sh"}) + "\n")
    with pytest.raises(DataErrors) as e:
        cases.load_cases(path)
    assert [(p.line, p.field) for p in e.value.problems] == [(2, "messages"), (3, "shell")]


def test_train_and_evaluate_prompts_are_the_same_tokens(tiny_model_dir, tiny_f16_dir, tiny_final_dir):
    """Training renders data/final `messages` with the tokenizer's chat template (train.data); evaluation sends
    contract.render_prompt to llama.cpp. Both must reach the model as the same token ids."""
    from transformers import AutoTokenizer

    from cmd_correct.train import data as train_data

    tok = AutoTokenizer.from_pretrained(tiny_model_dir)
    examples = train_data.read_split(tiny_final_dir / "train.jsonl")[:12]
    with infer.load(paths.f16_gguf(tiny_f16_dir), threads=1) as model:
        for ex in examples:
            ids, labels = train_data.encode(tok, ex, max_length=512)
            train_prompt = [i for i, lab in zip(ids, labels, strict=True) if lab == train_data.IGNORE]
            eval_prompt = model.llm.tokenize(
                contract.render_prompt(ex.shell, ex.command).encode(), add_bos=True, special=True
            )
            assert train_prompt == eval_prompt


def test_score_counts_exact_matches_after_strip():
    cs = [_case(0, "bash", "single"), _case(1, "bash", "tools"), _case(2, "cmd", "single")]
    got = exact.score(cs, [" git 0 ", "git  1", None])
    assert got["exact_match"] == round(1 / 3, 4)
    assert got["exact_match_by_shell"] == {"bash": 0.5, "cmd": 0.0}
    assert got["exact_match_by_family"] == {"single": 0.5, "tools": 0.0}
    # `git  1` differs from `git 1` only in whitespace between words: equivalent, not exact
    assert got["equivalent_match"] == round(2 / 3, 4)
    assert got["equivalent_match_by_shell"] == {"bash": 1.0, "cmd": 0.0}


def test_thefuck_rules_run_without_a_shell():
    cs = [
        Case(
            "a",
            "zsh",
            "single",
            "git comit -m x",
            "",
            "git: 'comit' is not a git command. See 'git --help'.\n\nThe most similar command is\n\tcommit",
        ),
        Case("b", "cmd", "single", "dri", "dir"),
        Case("c", "bash", "natural", "list files", "ls"),
    ]
    got = thefuck_baseline.suggest(cs)
    assert got == {"a": "git commit -m x"}  # cmd and natural-language cases are out of its reach


def test_baseline_made_on_other_cases_is_refused(evaluated, tiny_f16_dir, tiny_quant_dir, tiny_final_dir, tmp_path):
    # A baseline folder from another sample (n_cases, seed) must not be folded into these metrics.
    from cmd_correct.errors import DataError

    _, out = evaluated
    with pytest.raises(DataError) as e:
        evaluate.run(
            TINY_EVAL,
            f16_dir=tiny_f16_dir,
            quant_dir=tiny_quant_dir,
            baseline_dir=out / "baseline",
            final_dir=tiny_final_dir,
            metrics_path=tmp_path / "metrics.json",
            report_dir=tmp_path / "report",
            seed=8,
        )
    assert e.value.field == "settings.case_ids_sha256"
    assert not (tmp_path / "metrics.json").exists()


# --- batched decoding against one case at a time ---


@pytest.fixture(scope="module")
def tiny_cases(tiny_final_dir):
    return cases.stratified_sample(cases.load_cases(tiny_final_dir / "test.jsonl"), 40, seed=3)


def test_batched_answers_come_back_in_request_order_and_match_single(tiny_f16_dir, tiny_cases):
    """Continuous batching (4 sequences, slots refilled as answers finish) answers each request as the
    one-at-a-time path does; parallel=1 is the same arithmetic and must agree exactly."""
    reqs = [(c.shell, c.command) for c in tiny_cases]
    with infer.load(paths.f16_gguf(tiny_f16_dir), threads=1, max_tokens=12) as model:
        single = [model.correct(s, c).text for s, c in reqs]
        one = [a.text for a in model.correct_many(reqs, parallel=1)]
        many = model.correct_many(reqs, parallel=4)
        again = model.correct_many(reqs, parallel=4)
    assert one == single
    agree = sum(a.text == s for a, s in zip(many, single, strict=True)) / len(reqs)
    assert agree >= 0.9, f"batched vs single agreement {agree:.2f}"
    assert [a.text for a in again] == [a.text for a in many]  # deterministic
    assert all(1 <= a.completion_tokens <= 13 for a in many)


def test_run_model_reports_agreement_against_its_own_single_answers(tiny_f16_dir, tiny_cases):
    timed = tiny_cases[:10]
    ran = exact.run_model(
        "f16",
        paths.f16_gguf(tiny_f16_dir),
        tiny_cases,
        timed=timed,
        threads=1,
        max_tokens=8,
        seed=0,
        parallel=4,
    )
    by_id = dict(zip((c.id for c in tiny_cases), ran.answers, strict=True))
    differ = [c.id for c, t in zip(timed, ran.timed, strict=True) if by_id[c.id] != t.text]
    assert [d["id"] for d in ran.disagreements] == differ
    assert ran.agreement == round(1 - len(differ) / len(timed), 4)
    assert len(ran.timed) == 10 and all(t.latency_ms > 0 for t in ran.timed)


def test_restored_system_prompt_state_gives_the_uncached_answers(tiny_f16_dir, tiny_cases):
    """What a cached system prompt saves is advice to the `fix` CLI: it must not change a single answer."""
    with infer.load(paths.f16_gguf(tiny_f16_dir), threads=1, max_tokens=10) as model:
        plain = [model.correct(c.shell, c.command) for c in tiny_cases[:16]]
        cached = [model.correct(c.shell, c.command, cached_head=True) for c in tiny_cases[:16]]
        again = [model.correct(c.shell, c.command) for c in tiny_cases[:16]]  # a restore leaves no trace
    assert [c.text for c in cached] == [p.text for p in plain] == [a.text for a in again]
    assert all(c.prompt_tokens == p.prompt_tokens for c, p in zip(cached, plain, strict=True))


def test_latency_is_split_per_thread_count_and_names_the_fastest(tiny_f16_dir, tiny_cases):
    ran = exact.run_model(
        "f16",
        paths.f16_gguf(tiny_f16_dir),
        tiny_cases[:8],
        timed=tiny_cases[:6],
        threads=1,
        max_tokens=6,
        seed=0,
        parallel=4,
        latency_threads=[1, 2],
        cached_head=True,
    )
    got = exact.latency(ran)
    assert set(got["latency_by_threads"]) == {"1", "2"}
    for row in got["latency_by_threads"].values():
        assert row["latency_ms_p50"] >= row["prompt_ms_p50"] > 0 and row["latency_cases"] == 6
    fastest = got["fastest_threads"]
    by = got["latency_by_threads"]
    assert by[str(fastest["prompt"])]["prompt_ms_p50"] == min(r["prompt_ms_p50"] for r in by.values())
    assert got["cached_prefix"]["identical_pct"] == 100.0
    assert got["cached_prefix"]["prompt_tokens_mean"] == round(sum(c.prompt_tokens for c in ran.timed) / 6, 1)


def test_acceptance_check_is_fix_e2e_strict():
    from cmd_correct.evaluate import acceptance

    by = {c.name: c for c in acceptance.CASES}
    assert by["fix:ls-la"].check("ls -al") and by["fix:ls-la"].check("ls -la") and not by["fix:ls-la"].check("ls")
    assert by["fix:echo"].check('echo "hello world"') and not by["fix:echo"].check("printf hello")
    assert not by["fix:gti-status"].check("git status\ngit log")  # one clean line, as fix's test demands
    assert not by["fix:gti-status"].check(" git status") and not by["fix:gti-status"].check("")
    assert sum(c.source == "fix-e2e" for c in acceptance.CASES) == 6 and len(acceptance.CASES) >= 40
    for c in acceptance.CASES:  # every name is one the data trains (a typo would test another prompt)
        contract.system_prompt(c.shell)
    assert any(c.equals == (c.command,) for c in acceptance.CASES if c.name.startswith("valid:"))


def test_acceptance_summary_counts_the_checklist():
    from cmd_correct.evaluate import acceptance

    rows = [
        {"name": "fix:a", "source": "fix-e2e", "passed": True},
        {"name": "fix:b", "source": "fix-e2e", "passed": False},
        {"name": "ours", "source": "ours", "passed": True},
    ]
    s = acceptance.summary(rows)
    assert (s["acceptance_passed"], s["acceptance_total"], s["acceptance_fix_e2e_passed"]) == (2, 3, 1)
    assert s["acceptance_checklist"] == {"fix:a": True, "fix:b": False, "ours": True}


def _fix_case(i, shell, command, expected, family="single", prompt_shell=None, category=None):
    return Case(f"c{i}", shell, family, command, expected, None, prompt_shell, category)


def test_identity_cases_are_references_no_row_takes_as_input():
    rows = [
        _fix_case(1, "bash", "gti status", "git status"),
        _fix_case(2, "bash", "rm build", "rm -r build"),
        _fix_case(3, "bash", "ls", "rm build"),  # `rm build` is row 2's input: not a valid command to keep
        _fix_case(4, "zsh", "gti status", "git status"),
        _fix_case(5, "bash", "git sttus", "git status"),  # the same reference twice: one identity case
    ]
    got = cases.identity_cases(rows, 10, seed=1)
    assert sorted((c.shell, c.command) for c in got) == [("bash", "git status"), ("bash", "rm -r build"),
                                                         ("zsh", "git status")]  # fmt: skip
    assert all(c.command == c.expected and c.category == "identity" and not c.broken for c in got)
    assert cases.identity_cases(rows, 0, seed=1) == []


def test_echo_rate_counts_broken_inputs_returned_unchanged_and_alias_rows_are_scored_apart():
    sample = [
        _fix_case(1, "bash", "gti status", "git status"),
        _fix_case(2, "bash", "dcoker ps", "docker ps", prompt_shell="sh"),
        _fix_case(3, "bash", "ls -la", "ls -la", category="identity"),
        _fix_case(4, "powershell", "Get-Proces", "Get-Process", prompt_shell="pwsh"),
    ]
    s = exact.score(sample, ["gti status", "docker ps", "ls -la", "Get-Process"])
    assert s["echo_rate"] == round(1 / 3, 4)  # case 1 echoed; the identity case is not a broken input
    assert s["exact_match_broken"] == round(2 / 3, 4) and s["exact_match"] == 0.75
    assert s["exact_match_by_alias"] == {"pwsh": 1.0, "sh": 1.0}


def test_an_alias_row_must_name_its_own_dialect(tmp_path):
    row = {"shell": "zsh", "prompt_shell": "pwsh", "family": "single", "id": "x",
           "messages": contract.messages("pwsh", "a", "b")}  # fmt: skip
    (tmp_path / "test.jsonl").write_text(json.dumps(row) + "\n")
    with pytest.raises(DataErrors, match="prompt_shell"):
        cases.load_cases(tmp_path / "test.jsonl")
    row["shell"] = "powershell"
    (tmp_path / "test.jsonl").write_text(json.dumps(row) + "\n")
    (c,) = cases.load_cases(tmp_path / "test.jsonl")
    assert (c.shell, c.name, c.prompt_shell) == ("powershell", "pwsh", "pwsh")


def test_the_published_model_is_scored_on_the_same_cases_from_the_loopback_hub(
    tiny_f16_dir, tiny_final_dir, tmp_path, monkeypatch
):
    """tests/hub_server.py stands in for huggingface.co on loopback: the baseline stage downloads the
    published GGUF (here: the tiny f16) and scores it as every variant is scored; the gate compares."""
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    from hub_server import Commit, FakeHub, Repo, blob_oid, lfs_pointer

    from cmd_correct import gate

    data = paths.f16_gguf(tiny_f16_dir).read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    entry = {"size": len(data), "oid": blob_oid(lfs_pointer(sha, len(data))), "lfs": {"oid": sha, "size": len(data)}}
    params = dataclasses.replace(
        TINY_EVAL,
        baselines=["reference"],
        identity_cases=10,
        reference=evaluate.Reference("someone/cmd-correct", "qwen3-correct-0.6B.gguf", "main"),
    )
    with FakeHub("hf_tok") as hub:
        repo = hub.repos["someone/cmd-correct"] = Repo("someone/cmd-correct", private=False)
        repo.commits.append(Commit("c0ffee" * 6 + "abcd", "publish", "", {"qwen3-correct-0.6B.gguf": entry}))
        hub.lfs[sha] = data
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        monkeypatch.setenv("HF_TOKEN", "hf_tok")
        monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
        res = baseline.run(params, base_gguf_dir=None, final_dir=tiny_final_dir, out_dir=tmp_path / "b", seed=7)
        missing = dataclasses.replace(params, reference=evaluate.Reference("someone/cmd-correct", "nope.gguf"))
        with pytest.raises(Exception, match="evaluate.reference someone/cmd-correct/nope.gguf@main"):
            baseline.run(missing, base_gguf_dir=None, final_dir=tiny_final_dir, out_dir=tmp_path / "c", seed=7)
    ref = res.metrics["reference"]
    assert ref["n_cases"] == res.metrics["settings"]["n_cases"] and ref["identity_cases"] == 10
    assert ref["file"] == "qwen3-correct-0.6B.gguf" and "acceptance_passed" in ref
    # the same file as the candidate: it scores exactly what the candidate scores, so the gate passes ...
    with infer.load(paths.f16_gguf(tiny_f16_dir), threads=1) as model:
        sample = baseline.sample(params, tiny_final_dir, 7)
        got = exact.score(
            sample, [a.text for a in model.correct_many([(c.name, c.command) for c in sample], parallel=4)]
        )
    assert got["exact_match"] == ref["exact_match"]
    cand = {"Q4_K_M": {**ref, "exact_match": ref["exact_match"]}, "baselines": {"reference": ref}}
    rows = gate._reference_rows(gate.Params(), cand)
    assert rows and all(r.verdict in (gate.PASS, gate.SKIP) for r in rows)
    # ... and a candidate below it by more than the regression limit fails
    worse = {"Q4_K_M": {**ref, "exact_match": ref["exact_match"] - 0.05}, "baselines": {"reference": ref}}
    bad = [r.metric for r in gate._reference_rows(gate.Params(), worse) if r.verdict == gate.FAIL]
    assert bad == ["Q4_K_M.exact_match vs published"]


def test_ppl_ratio_is_ppl_over_f16_ppl_not_llamas_floored_base(monkeypatch, tmp_path):
    """The measured default run (Q4_K_M, 40 chunks of 128): f16 7.1569 directly, but llama-perplexity's KLD run
    printed PPL(base) 7.048809 from its logits file (each token floored at 16 nats below the top logit) and so
    PPL(Q)/PPL(base) 1.051259 for PPL(Q) 7.410125. ppl_ratio is ppl / f16's ppl on the same tokens: 1.0354."""
    kld = {"ppl": 7.410125, "ppl_base": 7.048809, "ppl_ratio": 1.051259, "kld_mean": 0.033955, "kld_median": 0.00442,
           "kld_p99": 0.29642, "kld_max": 0.8239, "same_top_pct": 93.65}  # fmt: skip
    ran = type("Ran", (), {"output": ""})()
    monkeypatch.setattr(perplexity, "base_run", lambda *a, **k: ({"ppl": 7.1569, "ppl_stderr": 0.51313}, ran))
    monkeypatch.setattr(perplexity, "kld_run", lambda *a, **k: (dict(kld), ran))
    metrics = {"f16": {}, "Q4_K_M": {}}
    models = {"f16": {"gguf": tmp_path / "f16.gguf"}, "Q4_K_M": {"gguf": tmp_path / "q.gguf"}}
    evaluate.perplexities(evaluate.Params(scratch_dir=str(tmp_path)), models, tmp_path / "heldout.txt", metrics, None)
    assert metrics["f16"]["ppl_ratio"] == 1.0
    assert metrics["Q4_K_M"]["ppl_ratio"] == 1.0354 and metrics["Q4_K_M"]["ppl_ratio_llama"] == 1.0513


def test_llama_cpps_tools_run_before_any_in_process_decoding(
    monkeypatch, tiny_f16_dir, tiny_quant_dir, tiny_final_dir, tmp_path
):
    # Regression: llama-bench and llama-perplexity ran after the in-process decoding, whose OpenMP threads keep
    # spinning under the active wait policy (0.99 CPU-s per idle second after the model was closed): the tools
    # were timed beside a busy core.
    calls: list[str] = []
    ran = type("Ran", (), {"output": ""})()
    kld = {"ppl": 7.4, "ppl_ratio": 1.05, "kld_mean": 0.03, "kld_median": 0.004, "kld_p99": 0.3, "kld_max": 0.8,
           "same_top_pct": 93.0}  # fmt: skip

    class Decoded(Exception):
        pass

    def decode(*a, **k):
        calls.append("decode")
        raise Decoded

    monkeypatch.setattr(bench, "bench", lambda *a, **k: calls.append("llama-bench") or {"tokens_per_s": 100.0})
    monkeypatch.setattr(perplexity, "base_run", lambda *a, **k: calls.append("ppl") or ({"ppl": 7.0}, ran))
    monkeypatch.setattr(perplexity, "kld_run", lambda *a, **k: calls.append("kld") or (dict(kld), ran))
    monkeypatch.setattr(exact, "run_model", decode)
    with pytest.raises(Decoded):
        _evaluate_tiny(TINY_EVAL, tiny_f16_dir, tiny_quant_dir, tiny_final_dir, tmp_path)
    from conftest import TINY_QUANT_TYPES

    variants = 1 + len(TINY_QUANT_TYPES)
    assert calls == ["llama-bench"] * variants + ["ppl"] + ["kld"] * (variants - 1) + ["decode"]
