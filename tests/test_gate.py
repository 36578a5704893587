"""gate: every absolute limit passes and fails on its own, missing metrics, GGUF validity, and regressions
against a reference tag read through the real `dvc metrics diff` in a temp git + DVC repo."""

from __future__ import annotations

import copy
import json
import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from cmd_correct import gate
from cmd_correct.errors import DataError, DataErrors, ToolError

SHELLS = ("bash", "zsh", "powershell", "cmd", "fish", "tcsh")
# The limits these tests' numbers are written against (params.yaml's move with new measurements).
LIMITS = {
    "exact_match_min": 0.30,
    "exact_match_by_shell_min": dict.fromkeys(SHELLS, 0.15),
    "kld_mean_max": {"Q4_K_M": 0.10, "Q5_K_M": 0.03, "Q8_0": 0.015},
    "ppl_ratio_max": {"Q4_K_M": 1.12, "Q5_K_M": 1.04, "Q8_0": 1.02},
    "latency_ms_p95_max": 1500.0,
}
GOOD = {
    "f16": {"exact_match": 0.41, "ppl": 3.1, "ppl_ratio": 1.0},
    "Q4_K_M": {
        "exact_match": 0.39,
        "exact_match_by_shell": {
            "bash": 0.43,
            "zsh": 0.42,
            "powershell": 0.36,
            "cmd": 0.33,
            "fish": 0.37,
            "tcsh": 0.30,
        },
        "ppl": 3.3,
        "ppl_ratio": 1.07,
        "kld_mean": 0.061,
        "same_top_pct": 85.7,
        "latency_ms_p50": 330,
        "latency_ms_p95": 610,
        "identity_preserved": 0.9,
        "load_ms": 150.0,
    },
}


def _git(repo: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@e",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@e",
    }
    r = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    return r.stdout


def _header_gguf(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"GGUF" + struct.pack("<IQQ", 3, 30, 20) + bytes(64))


@pytest.fixture(autouse=True)
def _path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("DVC_NO_ANALYTICS", "1")


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """A git repo with no commits yet (so: no reference) holding a good metrics.json."""
    _git(tmp_path, "init", "-q")
    (tmp_path / "metrics.json").write_text(json.dumps(GOOD))
    return tmp_path


def _run(work: Path, metrics: dict | None = None, **params) -> gate.Result:
    if metrics is not None:
        (work / "metrics.json").write_text(json.dumps(metrics))
    params.setdefault("gguf_valid", False)
    return gate.run(
        gate.Params(**{**LIMITS, **params}),
        metrics_path=work / "metrics.json",
        quant_dir=work / "models/quant",
        repo=work,
    )


def _failed(res: gate.Result) -> list[str]:
    return [r.metric for r in res.failures]


def test_good_metrics_pass_with_no_reference_said_plainly(work: Path) -> None:
    res = _run(work)
    assert res.passed and res.ref is None
    assert res.rows[-1].metric == "regression" and "no reference yet" in res.rows[-1].limit
    assert [r.metric for r in res.rows][:2] == ["Q4_K_M.exact_match", "Q4_K_M.exact_match_by_shell.bash"]


@pytest.mark.parametrize(
    ("key", "bad"),
    [
        ("exact_match", 0.29),
        ("exact_match_by_shell.tcsh", 0.10),
        ("kld_mean", 0.11),
        ("ppl_ratio", 1.13),
        ("latency_ms_p95", 1600),
    ],
)
def test_each_absolute_limit_fails_alone(work: Path, key: str, bad: float) -> None:
    m = copy.deepcopy(GOOD)
    target = m["Q4_K_M"]
    *parents, last = key.split(".")
    for p in parents:
        target = target[p]
    target[last] = bad
    assert _failed(_run(work, m)) == [f"Q4_K_M.{key}"]


def test_limits_are_inclusive_and_read_per_quant_type(work: Path) -> None:
    m = copy.deepcopy(GOOD)
    m["Q8_0"] = {**m["Q4_K_M"], "kld_mean": 0.03, "ppl_ratio": 1.03}  # fine for Q4_K_M, not for Q8_0
    m["Q4_K_M"]["exact_match"] = 0.30
    res = _run(work, m, quant_types=["Q4_K_M", "Q8_0"])
    assert _failed(res) == ["Q8_0.kld_mean", "Q8_0.ppl_ratio"]


def test_missing_metric_fails_unless_optional(work: Path) -> None:
    m = copy.deepcopy(GOOD)
    del m["Q4_K_M"]["latency_ms_p95"]
    del m["Q4_K_M"]["exact_match_by_shell"]["fish"]
    res = _run(work, m)
    assert _failed(res) == ["Q4_K_M.exact_match_by_shell.fish", "Q4_K_M.latency_ms_p95"]
    assert next(r for r in res.rows if r.metric == "Q4_K_M.latency_ms_p95").value == "missing"
    res = _run(work, m, optional=["latency_ms_p95"])
    assert _failed(res) == ["Q4_K_M.exact_match_by_shell.fish"]
    assert next(r for r in res.rows if r.metric == "Q4_K_M.latency_ms_p95").verdict == gate.SKIP


def test_missing_variant_and_non_numbers_are_failure_lines_not_crashes(work: Path) -> None:
    m = copy.deepcopy(GOOD)
    m["Q4_K_M"]["kld_mean"] = "NaN?"
    res = _run(work, m, quant_types=["Q4_K_M", "Q5_K_M"])
    assert _failed(res) == ["Q4_K_M.kld_mean", "Q5_K_M"]


def test_gguf_validity(work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    quant = work / "models/quant"
    res = _run(work, gguf_valid=True)  # no file at all
    assert _failed(res) == ["Q4_K_M.gguf"]
    quant.mkdir(parents=True)
    (quant / "model-Q4_K_M.gguf").write_bytes(b"PK\x03\x04 not a gguf")
    row = next(r for r in _run(work, gguf_valid=True).rows if r.metric == "Q4_K_M.gguf")
    assert row.verdict == gate.FAIL and "magic" in row.value
    # the header fallback used when the evaluation helper's validator is absent
    _header_gguf(quant / "model-Q4_K_M.gguf")
    assert gate.header_problem(quant / "model-Q4_K_M.gguf") is None
    (quant / "model-Q4_K_M.gguf").write_bytes(b"GGUF" + struct.pack("<IQQ", 3, 0, 0))
    assert "0 tensors" in gate.header_problem(quant / "model-Q4_K_M.gguf")


@pytest.mark.slow
def test_real_gguf_passes_the_full_validator(work: Path) -> None:
    """The embedded SmolLM2 GGUF (a real llama.cpp model file) through cmd_correct.gguf.verify."""
    from cmd_correct import base, toolchain

    try:
        toolchain.find()
    except toolchain.ToolchainError as e:
        pytest.skip(f"needs the llama.cpp toolchain (`make test` builds it): {e}")
    quant = work / "models/quant"
    quant.mkdir(parents=True)
    (quant / "model-Q4_K_M.gguf").symlink_to(base.embedded_gguf_path())
    row = next(r for r in _run(work, gguf_valid=True).rows if r.metric == "Q4_K_M.gguf")
    assert (row.verdict, row.value) == (gate.PASS, (quant / "model-Q4_K_M.gguf").as_posix())


def test_params_refuse_a_gated_type_without_limits() -> None:
    assert gate.Params(quant_types=["IQ2_XS"]).validate() == [
        "kld_mean_max: no limit for gated quant type IQ2_XS",
        "ppl_ratio_max: no limit for gated quant type IQ2_XS",
    ]
    assert "unknown shell 'sh'" in gate.Params(exact_match_by_shell_min={"sh": 0.1}).validate()[0]


# -- regression against a reference release, through the real `dvc metrics diff` ---------------------


@pytest.fixture
def dvc_repo(tmp_path: Path) -> Path:
    """Commit 1 (tagged cmd-correct@v0.1.0) and commit 2 both hold metrics.json declared as DVC metrics."""
    _git(tmp_path, "init", "-q")
    subprocess.run(["dvc", "init", "-q"], cwd=tmp_path, check=True)
    (tmp_path / "dvc.yaml").write_text("metrics:\n  - metrics.json\n")
    (tmp_path / "metrics.json").write_text(json.dumps(GOOD))
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-qm", "release 0.1.0")
    _git(tmp_path, "tag", "cmd-correct@v0.1.0")
    (tmp_path / "README").write_text("later work\n")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-qm", "later")
    return tmp_path


def _regressions(res: gate.Result) -> dict[str, gate.Row]:
    return {r.metric.split(" vs ")[0]: r for r in res.rows if " vs " in r.metric}


def test_regression_rows_compare_with_the_latest_tag(dvc_repo: Path) -> None:
    res = _run(dvc_repo)
    assert res.passed and res.ref == "cmd-correct@v0.1.0"
    rows = _regressions(res)
    assert rows["Q4_K_M.exact_match"].limit == "ref 0.39, drop <= 0.03"
    assert rows["Q4_K_M.exact_match"].verdict == gate.PASS


def test_regression_beyond_limits_fails_even_when_absolute_limits_pass(dvc_repo: Path) -> None:
    m = copy.deepcopy(GOOD)
    m["Q4_K_M"]["exact_match"] = 0.35  # -0.04 > 0.03 allowed, but still above the 0.30 minimum
    m["Q4_K_M"]["kld_mean"] = 0.085  # +0.024 > 0.02, still under 0.10
    m["Q4_K_M"]["latency_ms_p95"] = 1000  # +64% > 50%, still under 1500 ms
    m["Q4_K_M"]["exact_match_by_shell"]["tcsh"] = 0.21  # -0.09: within the per-shell band
    res = _run(dvc_repo, m)
    assert _failed(res) == [
        "Q4_K_M.exact_match vs cmd-correct@v0.1.0",
        "Q4_K_M.kld_mean vs cmd-correct@v0.1.0",
        "Q4_K_M.latency_ms_p95 vs cmd-correct@v0.1.0",
    ]


def test_a_change_exactly_at_the_limit_passes(dvc_repo: Path) -> None:
    """Regression: 0.39 -> 0.36 is a 0.030000000000000027 drop in floats and failed a 0.03 limit."""
    m = copy.deepcopy(GOOD)
    m["Q4_K_M"]["exact_match"] = 0.36
    assert _run(dvc_repo, m).passed


def test_newest_tag_wins_and_ref_can_be_named(dvc_repo: Path) -> None:
    m = copy.deepcopy(GOOD)
    m["Q4_K_M"]["exact_match"] = 0.50
    (dvc_repo / "metrics.json").write_text(json.dumps(m))
    _git(dvc_repo, "commit", "-qam", "better")
    _git(dvc_repo, "tag", "cmd-correct@v0.10.0")  # version order, not name order: 0.10.0 > 0.9.0
    _git(dvc_repo, "tag", "cmd-correct@v0.9.0", "HEAD~1")
    m["Q4_K_M"]["exact_match"] = 0.45
    res = _run(dvc_repo, m)
    assert res.ref == "cmd-correct@v0.10.0"
    assert _failed(res) == ["Q4_K_M.exact_match vs cmd-correct@v0.10.0"]
    res = gate.run(
        gate.Params(**LIMITS, gguf_valid=False),
        metrics_path=dvc_repo / "metrics.json",
        quant_dir=dvc_repo / "models/quant",
        repo=dvc_repo,
        ref="cmd-correct@v0.1.0",
    )
    assert res.passed and res.ref == "cmd-correct@v0.1.0"


def test_metric_new_since_the_reference_is_not_a_regression(dvc_repo: Path) -> None:
    m = copy.deepcopy(GOOD)
    m["Q4_K_M"]["exact_match_by_shell"]["tcsh"] = 0.3
    old = copy.deepcopy(GOOD)
    del old["Q4_K_M"]["latency_ms_p95"]
    (dvc_repo / "metrics.json").write_text(json.dumps(old))
    _git(dvc_repo, "commit", "-qam", "no latency yet")
    _git(dvc_repo, "tag", "cmd-correct@v0.2.0")
    row = _regressions(_run(dvc_repo, m))["Q4_K_M.latency_ms_p95"]
    assert (row.verdict, row.limit) == (gate.SKIP, "no reference value")


def _with_cases(metrics: dict, sha: str) -> dict:
    return copy.deepcopy(metrics) | {"settings": {"case_ids_sha256": sha}}


def test_a_reference_scored_on_other_cases_is_not_compared(dvc_repo: Path) -> None:
    # A data change gives a new test split: a 0.09 drop on harder cases is no regression, and the floors judge.
    (dvc_repo / "metrics.json").write_text(json.dumps(_with_cases(GOOD, "a" * 64)))
    _git(dvc_repo, "commit", "-qam", "release on the old split")
    _git(dvc_repo, "tag", "cmd-correct@v0.2.0")
    worse = _with_cases(GOOD, "b" * 64)
    worse["Q4_K_M"]["exact_match"] = 0.30
    res = _run(dvc_repo, worse)
    assert res.passed and list(_regressions(res)) == ["regression"]  # one row, no per-metric comparison
    row = _regressions(res)["regression"]
    assert row.verdict == gate.SKIP and "case_ids_sha256" in row.limit
    # The same cases: compared as always, and the same drop fails.
    res = _run(dvc_repo, _with_cases(worse, "a" * 64))
    assert _failed(res) == ["Q4_K_M.exact_match vs cmd-correct@v0.2.0"]


def test_a_reference_without_the_case_hash_is_compared_as_before(dvc_repo: Path) -> None:
    worse = _with_cases(GOOD, "b" * 64)  # the tagged metrics.json (GOOD) predates the hash
    worse["Q4_K_M"]["exact_match"] = 0.30
    assert _failed(_run(dvc_repo, worse)) == ["Q4_K_M.exact_match vs cmd-correct@v0.1.0"]


def test_a_reference_without_metrics_fails_instead_of_comparing_nothing(dvc_repo: Path) -> None:
    _git(dvc_repo, "rm", "-q", "metrics.json")
    _git(dvc_repo, "commit", "-qm", "metrics not committed")
    _git(dvc_repo, "tag", "cmd-correct@v0.2.0")
    res = _run(dvc_repo, copy.deepcopy(GOOD))
    assert _failed(res) == ["regression vs cmd-correct@v0.2.0"]
    assert "has no committed metrics" in res.failures[0].limit


# -- the CLI ---------------------------------------------------------------------------------------------


def _params_file(tmp: Path, **gates) -> Path:
    import yaml

    p = tmp / "gate-params.yaml"
    p.write_text(yaml.safe_dump({"gates": {**LIMITS, "gguf_valid": False, **gates}}))
    return p


def test_cli_prints_one_table_and_exits_zero(dvc_repo: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.chdir(dvc_repo)
    assert gate.main(["--params", str(_params_file(dvc_repo))]) == 0
    out = capsys.readouterr().out
    assert "quality gates (reference: cmd-correct@v0.1.0)" in out
    assert out.count("┏") == 1 and "Q4_K_M.kld_mean" in out and "FAIL" not in out


def test_cli_exits_nonzero_with_one_error_line(work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    params = _params_file(work, exact_match_min=0.5)
    r = subprocess.run(
        [sys.executable, "-m", "cmd_correct", "gate", "--params", str(params)],
        cwd=work,
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert r.returncode == 1
    assert "no reference yet" in r.stdout and "FAIL" in r.stdout
    assert r.stderr.strip().splitlines() == ["error: 1 gate(s) failed: Q4_K_M.exact_match"]


def test_markdown_table_for_pr_comments(work: Path) -> None:
    md = _run(work).markdown().splitlines()
    assert md[0] == "| metric | value | limit / reference | verdict |"
    assert "| Q4_K_M.kld_mean | 0.061 | <= 0.1 | pass |" in md


# -- issue 23, item 5: every metric the gate reads is finite and in its natural range ----------------------


@pytest.mark.parametrize(
    ("key", "bad", "params"),
    [
        ("exact_match", float("inf"), {}),
        ("exact_match", 1.5, {}),
        ("exact_match_by_shell.bash", -0.1, {}),
        ("identity_preserved", float("nan"), {}),
        ("kld_mean", -0.01, {}),
        ("ppl_ratio", 0.0, {}),
        ("latency_ms_p95", -1, {}),
        ("latency_ms_p95", 10**400, {}),  # a JSON integer no float holds
        ("load_ms", float("-inf"), {}),
        ("acceptance_pass_rate", 1.2, {"acceptance_min": 0.5}),
        ("acceptance_fix_e2e_passed", 2.5, {"acceptance_fix_e2e": True}),
        ("acceptance_fix_e2e_total", -6, {"acceptance_fix_e2e": True}),
    ],
)
def test_a_metric_out_of_its_natural_range_is_an_error_naming_file_and_key(
    work: Path, key: str, bad: float, params: dict
) -> None:
    # Regression: `exact_match: inf` and a negative latency passed every gate.
    m = copy.deepcopy(GOOD)
    m["Q4_K_M"] |= {"acceptance_pass_rate": 0.8, "acceptance_fix_e2e_passed": 6, "acceptance_fix_e2e_total": 6}
    target = m["Q4_K_M"]
    *parents, last = key.split(".")
    for p in parents:
        target = target[p]
    target[last] = bad
    with pytest.raises(DataError) as err:
        _run(work, m, **params)
    assert str(err.value).startswith(f"{work / 'metrics.json'}: Q4_K_M.{key}: ")
    assert len(str(err.value)) < 200  # no echo of a huge value


def test_every_variant_and_the_published_reference_are_checked_and_all_problems_listed(work: Path) -> None:
    m = copy.deepcopy(GOOD)
    m["Q8_0"] = {"exact_match": -0.5}  # not gated, still a broken file
    m["baselines"] = {"reference": {"exact_match": 2.0, "repo_id": "o/r"}}
    with pytest.raises(DataErrors) as err:
        _run(work, m)
    assert [(p.field, p.path) for p in err.value.problems] == [
        ("Q8_0.exact_match", str(work / "metrics.json")),
        ("baselines.reference.exact_match", str(work / "metrics.json")),
    ]


def test_the_committed_metrics_are_in_range() -> None:
    root = Path(__file__).resolve().parents[1]
    assert gate.metric_problems(json.loads((root / "metrics.json").read_text()), "metrics.json") == []


def test_the_range_table_covers_every_metric_the_gate_reads(work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    read: set[str] = set()
    real_get = gate._get

    def recording_get(metrics, dotted):
        value = real_get(metrics, dotted)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            read.add(dotted.split(".", 1)[1] if dotted.startswith("Q4_K_M.") else dotted)
        return value

    monkeypatch.setattr(gate, "_get", recording_get)
    m = copy.deepcopy(GOOD)
    m["Q4_K_M"] |= {"acceptance_pass_rate": 0.8, "acceptance_fix_e2e_passed": 6, "acceptance_fix_e2e_total": 6}
    m["baselines"] = {"reference": {"exact_match": 0.3, "identity_preserved": 0.8, "exact_match_by_shell": {}}}
    _run(work, m, acceptance_min=0.5, acceptance_fix_e2e=True)
    assert "exact_match_by_shell.bash" in read and "acceptance_fix_e2e_total" in read
    names = {k if k in gate.METRIC_RANGES else k.split(".")[0] + ".*" for k in read}
    assert names <= set(gate.METRIC_RANGES), names - set(gate.METRIC_RANGES)


def test_a_reference_out_of_range_is_an_error_naming_the_revision(dvc_repo: Path) -> None:
    old = copy.deepcopy(GOOD)
    old["Q4_K_M"]["latency_ms_p95"] = -1  # forged: any latency would "improve" on it by any percent
    (dvc_repo / "metrics.json").write_text(json.dumps(old))
    _git(dvc_repo, "commit", "-qam", "forged release")
    _git(dvc_repo, "tag", "cmd-correct@v0.2.0")
    with pytest.raises(DataError) as err:
        _run(dvc_repo, copy.deepcopy(GOOD))
    assert str(err.value).startswith(f"{dvc_repo / 'metrics.json'} at cmd-correct@v0.2.0: Q4_K_M.latency_ms_p95: ")


def test_a_branch_cut_before_the_last_release_is_compared_with_it(dvc_repo: Path) -> None:
    # Regression: the reference was the newest tag reachable from HEAD: this branch compared with 0.1.0.
    _git(dvc_repo, "branch", "feature")
    better = copy.deepcopy(GOOD)
    better["Q4_K_M"]["exact_match"] = 0.50
    (dvc_repo / "metrics.json").write_text(json.dumps(better))
    _git(dvc_repo, "commit", "-qam", "release 0.2.0")
    _git(dvc_repo, "tag", "cmd-correct@v0.2.0")
    _git(dvc_repo, "checkout", "-q", "feature")
    res = _run(dvc_repo)  # GOOD: 0.39, 0.11 below the 0.2.0 release
    assert res.ref == "cmd-correct@v0.2.0"
    assert _failed(res) == ["Q4_K_M.exact_match vs cmd-correct@v0.2.0"]


def test_latest_release_tag_orders_by_semver_and_a_failing_git_is_an_error(
    dvc_repo: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    _git(dvc_repo, "tag", "cmd-correct@v0.10.0-rc.1")  # a pre-release of 0.10.0 precedes nothing older
    _git(dvc_repo, "tag", "cmd-correct@v0.9.0")
    _git(dvc_repo, "tag", "cmd-correct@vnext")  # not semver: ignored
    assert gate.latest_release_tag(dvc_repo) == "cmd-correct@v0.10.0-rc.1"
    _git(dvc_repo, "tag", "cmd-correct@v0.10.0")
    assert gate.latest_release_tag(dvc_repo) == "cmd-correct@v0.10.0"
    plain = tmp_path_factory.mktemp("plain")  # not a git repository: an error, not "no release yet"
    with pytest.raises(ToolError):
        gate.latest_release_tag(plain)
