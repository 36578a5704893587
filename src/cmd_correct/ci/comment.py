"""The sticky PR comment: the PR's run writes data, the default branch's code writes the words.

A PR's pipeline run (pipeline.yml) executes the PR's own code, so whatever it uploads is a fork's text.
It therefore uploads data only (`collect`: the dvc params/metrics diffs as JSON, the gate's verdict and
rows, numbers per variant), and pr-comment.yml, which runs the default branch's code with a token that
can comment, renders that data (`render`): every number is formatted here, every string must match a
short allow-list pattern and is shown inside a code span (no mention, link, image or HTML can form), the
verdict words are ours, and anything else is dropped and counted. The numbers are still the PR's run's
own: the comment says so.

    python -m cmd_correct.ci report --base ci-baseline --out reports/ci/pr-report.json   # the PR's run
    python -m cmd_correct.ci post pr-report.json --repo o/r --pr 7 --head-sha SHA        # GITHUB_TOKEN
"""

from __future__ import annotations

import json
import math
import re
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import CmdCorrectError, ToolError

# The hidden line that makes the PR comment sticky: `post` edits the comment carrying it.
MARKER = "<!-- cmd-correct:pipeline-report -->"
REPORT_VERSION = 1
REPORT_LIMIT = 1_000_000  # bytes of report JSON `post` reads at most
ROW_LIMIT = 200  # rows per table shown; the rest are counted
# What a string from the report may be: printable ASCII without backtick, pipe or backslash, at most 120
# characters (a gate row names a release tag, cmd-correct@v1.2.0). Always shown inside a code span, where
# GitHub forms no mention, link, image or HTML tag, and which no backtick can close early.
TEXT = re.compile(r"[A-Za-z0-9 _.,:;=<>+*/%()#'\"\-\[\]!?~^{}$@&]{0,120}", re.ASCII)
LABEL = re.compile(r"[A-Za-z0-9._/-]{1,64}", re.ASCII)  # a branch, tag or profile path
VARIANT = re.compile(r"[A-Za-z0-9_]{1,16}", re.ASCII)  # f16, Q4_K_M, ...
VERDICTS = ("pass", "FAIL", "skip")  # gate.PASS, FAIL, SKIP (not imported: this needs the stdlib only)
CONSUMER_KEYS = ("exact_match", "identity_preserved", "echo_rate", "acceptance_passed", "load_ms")
CONSUMER_NUMBERS = (*CONSUMER_KEYS, "acceptance_total")


# --- the PR's run: data only ------------------------------------------------------------------------


def collect(
    base: str, *, label: str | None, gate_json: Path | None, env: Mapping[str, str], cwd: str | Path = "."
) -> dict:
    """The report a PR's run uploads: dvc's diffs against `base`, the gate, what a fix user sees."""
    from .remote import _dvc, select_remote

    gate: dict[str, Any] = {"rc": None, "ref": None, "rows": []}
    if gate_json is not None:
        rc_file = gate_json.with_suffix(".rc")
        if rc_file.exists():
            gate["rc"] = int(rc_file.read_text().strip())
        found = _read_json(gate_json)
        gate["ref"] = found.get("ref")
        gate["rows"] = found.get("rows", [])
    return {
        "version": REPORT_VERSION,
        "base": label or base,
        "base_ref": base,
        "profile": env.get("CI_PROFILE", ""),
        "fork": env.get("CI_FORK", "") in ("1", "true") or select_remote(env) == "local",
        "params": _flat_diff(json.loads(_dvc(["params", "diff", base, "--json"], cwd) or "{}")),
        "metrics": _flat_diff(json.loads(_dvc(["metrics", "diff", base, "--json"], cwd) or "{}")),
        "consumer": consumer_rows(_read_json(Path(cwd) / "metrics.json")),
        "gate": gate,
    }


def _flat_diff(diff: Mapping) -> list[dict]:
    """`dvc params|metrics diff --json` ({file: {key: {old, new[, diff]}}}) as rows."""
    rows = []
    for path, keys in diff.items():
        for key, d in (keys or {}).items():
            rows.append({"path": path, "key": key, "old": d.get("old"), "new": d.get("new"), "change": d.get("diff")})
    return rows


def consumer_rows(metrics: Mapping) -> list[dict]:
    """Per variant of metrics.json: what a fix user sees (numbers only)."""
    variants = (metrics.get("settings") or {}).get("variants", [])
    out = []
    for name in variants if isinstance(variants, list) else []:
        m = metrics.get(name)
        if isinstance(name, str) and isinstance(m, Mapping):
            out.append({"variant": name} | {k: m.get(k) for k in CONSUMER_NUMBERS})
    return out


def _read_json(path: Path) -> dict:
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return {}
    return found if isinstance(found, dict) else {}


# --- the trusted side: words, from data -------------------------------------------------------------


def load_report(path: Path) -> dict:
    """The report JSON a PR's run uploaded; CmdCorrectError (nothing echoed) unless it is one."""
    try:
        raw = path.read_bytes()
        if len(raw) > REPORT_LIMIT:
            raise CmdCorrectError(f"{path}: over {REPORT_LIMIT} bytes; not a pipeline report")
        found = json.loads(raw.decode("utf-8"))
    except (OSError, ValueError, RecursionError) as e:
        raise CmdCorrectError(f"{path}: not a pipeline report ({type(e).__name__})") from None
    if not isinstance(found, dict) or found.get("version") != REPORT_VERSION:
        raise CmdCorrectError(f"{path}: not a version {REPORT_VERSION} pipeline report")
    return found


def _num(v: Any) -> str | None:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        return None
    return f"{v:.4g}"


def _code(v: Any) -> str | None:
    """`v` in a code span, when it is allowed text; None otherwise."""
    if not isinstance(v, str) or not TEXT.fullmatch(v):
        return None
    return f"`{v}`" if v.strip() else "-"


def _value(v: Any) -> str | None:
    """A params value: a number, a boolean, null, allowed text, or a list/dict of those as compact JSON."""
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "`true`" if v else "`false`"
    if isinstance(v, (int, float)):
        return _num(v)
    if isinstance(v, str):
        return _code(v)
    if isinstance(v, (list, dict)):
        try:
            return _code(json.dumps(v, separators=(",", ":"), ensure_ascii=True))
        except (TypeError, ValueError, RecursionError):
            return None
    return None


class _Table:
    """Rows whose every cell renders; the others are counted, never shown."""

    def __init__(self, *header: str) -> None:
        self.lines = ["| " + " | ".join(header) + " |", "|---" * len(header) + "|"]
        self.dropped = self.over = 0

    def add(self, *cells: str | None) -> None:
        if any(c is None for c in cells):
            self.dropped += 1
        elif len(self.lines) - 2 >= ROW_LIMIT:
            self.over += 1
        else:
            self.lines.append("| " + " | ".join(cells) + " |")  # type: ignore[arg-type]

    def markdown(self, empty: str) -> list[str]:
        out = self.lines if len(self.lines) > 2 else [f"_{empty}_"]
        if self.over:
            out = [*out, "", f"_{self.over} more row(s) are in the workflow artifacts._"]
        if self.dropped:
            out = [*out, "", f"_{self.dropped} row(s) not in the expected format were left out._"]
        return [*out, ""]


def _rows(report: Mapping, key: str) -> list[Mapping]:
    found = report.get(key)
    return [r for r in found if isinstance(r, Mapping)] if isinstance(found, list) else []


def render(report: Mapping, *, head: str, run_url: str = "") -> str:
    """The Markdown body of the sticky comment (starts with MARKER), from a report's data. `head` and
    `run_url` come from GitHub's workflow_run event, not from the report."""
    profile = report.get("profile")
    profile = profile if isinstance(profile, str) and LABEL.fullmatch(profile) else ""
    base = report.get("base")
    base = base if isinstance(base, str) and LABEL.fullmatch(base) else "the base branch"
    base_ref = report.get("base_ref")
    parts = [MARKER, "## Pipeline report" + (f" (profile `{profile}`)" if profile else ""), ""]
    against = f"Compared with `{base}`" if base != "the base branch" else "Compared with the base branch"
    if isinstance(base_ref, str) and LABEL.fullmatch(base_ref) and base_ref != base:
        against += f" (column `{base_ref}`)"
    against += f"; this PR is commit `{head[:12]}`."
    if profile:
        against += f" Both sides ran with `{profile}` applied, so the numbers compare like with like."
    parts += [against, "The numbers below are as this PR's workflow run reported them (the PR's own code ran it).", ""]

    params = _Table("file", "param", "base", "this PR")
    for r in _rows(report, "params"):
        params.add(_code(r.get("path")), _code(r.get("key")), _value(r.get("old")), _value(r.get("new")))
    parts += ["### Params", "", *params.markdown("No parameter changed.")]

    metrics = _Table("file", "metric", "base", "this PR", "change")
    for r in _rows(report, "metrics"):
        shown = [_num(r.get(k)) for k in ("old", "new", "change")]  # numbers only; anything else is "-"
        if shown[0] is None and shown[1] is None:
            continue  # not a number on either side (a setting's text): metrics are numbers
        metrics.add(_code(r.get("path")), _code(r.get("key")), *(s or "-" for s in shown))
    parts += ["### Metrics", "", *metrics.markdown("No metric changed.")]

    consumer = _Table("variant", *CONSUMER_KEYS)
    for i, r in enumerate(_rows(report, "consumer")):
        name = r.get("variant")
        label = f"`{name}`" if isinstance(name, str) and VARIANT.fullmatch(name) else f"variant {i + 1}"
        cells = {k: _num(r.get(k)) or "-" for k in CONSUMER_NUMBERS}
        cells["acceptance_passed"] += "/" + cells["acceptance_total"]
        consumer.add(label, *(cells[k] for k in CONSUMER_KEYS))
    if len(consumer.lines) > 2:
        parts += ["### As the fix CLI sees it", "", *consumer.markdown("")]

    gate = report.get("gate") if isinstance(report.get("gate"), Mapping) else {}
    rc = gate.get("rc")
    if not isinstance(rc, int) or isinstance(rc, bool):
        verdict = "did not run"
    elif rc == 0:
        verdict = "passed"
    else:
        verdict = f"**failed** (exit {rc})" if 0 < rc < 256 else "**failed**"
    parts += ["### Gate", "", f"Gate {verdict}. On a PR it informs; `release.yml` enforces it.", ""]
    table = _Table("metric", "value", "limit / reference", "verdict")
    for r in _rows(gate, "rows"):
        v = r.get("verdict")
        table.add(_code(r.get("metric")), _code(r.get("value")), _code(r.get("limit")), v if v in VERDICTS else None)
    if len(table.lines) > 2 or table.dropped:
        parts += table.markdown("")

    where = f"[this workflow run]({run_url})" if run_url else "this workflow run"
    parts += ["### Plots and reports", ""]
    parts += [f"Plots (`dvc plots diff`, HTML) and the reports are attached as artifacts of {where}.", ""]
    if report.get("fork") is True:
        parts += [
            "> [!NOTE]",
            "> This run had no repository secrets (a PR from a fork gets none), so it did not pull from",
            "> or push to the shared DVC remote: the baseline was computed on this runner, and this PR's run",
            "> reused only the stages it left unchanged.",
            "",
        ]
    return "\n".join(parts).rstrip() + "\n"


def unreadable_comment(*, head: str, run_url: str = "") -> str:
    """The sticky body when a successful run's report cannot be read: an older report no longer applies."""
    where = f"[the workflow run]({run_url})" if run_url else "the workflow run"
    return (
        f"{MARKER}\n## Pipeline report\n\nThe pipeline run for commit `{head[:12]}` finished, but its report"
        f" artifact is not a pipeline report this repository's code can read, so nothing from it is shown;"
        f" an earlier report on this PR no longer applies. See {where}.\n"
    )


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


# --- posting (sticky) -------------------------------------------------------------------------------
# pr-comment.yml runs this with a token that can write PR comments, on data a fork may have written (its
# artifact). The PR number must match PR_NUMBER, the PR's head must be the commit the pipeline run
# measured, and only our own marked comment is ever edited. The API root comes from GITHUB_API_URL (set
# by GitHub on its runners, GHES included), never from an argument.
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
        raise CmdCorrectError("comment body lacks the sticky marker; build it with `render`")
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
