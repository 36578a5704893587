"""`python -m cmd_correct.ci`: the commands the workflows and `make lint` run.

python -m cmd_correct.ci remote                      # print the remote in use: s3 or local
python -m cmd_correct.ci profile configs/ci.yaml     # merge an overlay into params.yaml (CI only)
python -m cmd_correct.ci baseline origin/main        # run the base ref with the same profile
python -m cmd_correct.ci report --base ci-baseline --gate reports/ci/gate.json --out reports/ci/pr-report.json
python -m cmd_correct.ci post pr-report.json --repo o/r --pr 7 --head-sha SHA   # GITHUB_TOKEN
python -m cmd_correct.ci results-check --base origin/main    # committed results match their code
python -m cmd_correct.ci shellcheck .github/workflows/*.yml
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from ..errors import CmdCorrectError
from ..paths import PARAMS
from . import comment, remote
from .comment import BOT_LOGIN, CONCLUSION, PR_NUMBER, QUIET_CONCLUSIONS, REPO, RUN_URL, SHA


def _matching(pattern: re.Pattern, what: str):
    """An argparse type that accepts only a full match of `pattern`; its error never echoes the value
    (it may be text a fork wrote, and the runner reads `::` workflow commands from the log)."""

    def check(value: str) -> str:
        if not pattern.fullmatch(value):
            raise argparse.ArgumentTypeError(f"not {what}")
        return value

    return check


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m cmd_correct.ci", description="CI helpers")
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
    s.add_argument("--tag", default=remote.BASELINE_TAG)
    s.add_argument(
        "--target", dest="targets", action="append", default=[], help="a dvc stage (repeatable; default: all)"
    )
    s = sub.add_parser("results-check", help="dvc.lock/metrics.json, if changed, match the code")
    s.add_argument("--base", required=True, help="the ref the change is compared with (origin/main, HEAD~1)")
    s = sub.add_parser("shellcheck", help="shellcheck every bash/sh run: block of the given workflow files")
    s.add_argument("workflows", nargs="+", type=Path)
    s = sub.add_parser("report", help="write the PR report (data only: JSON) that pr-comment.yml renders")
    s.add_argument("--base", default=remote.BASELINE_TAG, help="git ref the diffs compare against")
    s.add_argument("--label", default=None, help="how to name the base in the comment (default: --base)")
    s.add_argument("--gate", type=Path, default=None, help="`gate --json` output (its exit status in .rc beside it)")
    s.add_argument("--out", type=Path, required=True)
    # No --api: the API root is GITHUB_API_URL only (an argument could be steered to another host).
    s = sub.add_parser(
        "post",
        allow_abbrev=False,
        help="render the PR report into the sticky comment (GITHUB_TOKEN; API root from GITHUB_API_URL)",
    )
    s.add_argument("report", type=Path, help="the PR run's report (`ci report`); unused unless --conclusion is success")
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
        print(remote.configure_remote(os.environ))
    elif a.cmd == "push-run-outputs":
        print(f"{remote.push_run_outputs()} object(s) pushed for the run-cache")
    elif a.cmd == "profile":
        if not (a.force or os.environ.get("CI")):
            raise CmdCorrectError("profile rewrites params.yaml; it is for CI checkouts (set CI=1 or --force)")
        for key in remote.apply_profile(a.overlay, a.params, expect=dict(e.split("=", 1) for e in a.expect)):
            print(key)
    elif a.cmd == "baseline":
        pull = remote.select_remote(os.environ) == "s3"
        print(remote.make_baseline(a.ref, profile=a.profile, pull=pull, targets=a.targets, tag=a.tag))
    elif a.cmd == "results-check":
        print(remote.results_check(a.base))
    elif a.cmd == "shellcheck":
        from .lint import shellcheck_workflows

        checked, findings = shellcheck_workflows(a.workflows)
        for f in findings:
            print(f)
        print(f"shellcheck: {checked} run: block(s) in {len(a.workflows)} file(s), {len(findings)} finding(s)")
        return 1 if findings else 0
    elif a.cmd == "report":
        from ..io import write_json  # here: `ci post` runs on a bare Python

        write_json(a.out, comment.collect(a.base, label=a.label, gate_json=a.gate, env=os.environ))
    elif a.cmd == "post":
        return _post(a)
    return 0


def _post(a: argparse.Namespace) -> int:
    """`ci post`: render the report and post it (a failure body unless the pipeline run succeeded)."""
    token = os.environ.get("GITHUB_TOKEN", "")
    if not token:
        raise CmdCorrectError("GITHUB_TOKEN is not set")
    if a.conclusion in QUIET_CONCLUSIONS:
        print(f"pipeline run {a.conclusion}: nothing posted")
        return 0
    run_url = a.run_url or ""
    if a.conclusion != "success":
        body = comment.failure_comment(conclusion=a.conclusion, head=a.head_sha, run_url=run_url)
    else:
        try:
            body = comment.render(comment.load_report(a.report), head=a.head_sha, run_url=run_url)
        except CmdCorrectError as e:
            print(f"warning: {e}", file=sys.stderr)
            body = comment.unreadable_comment(head=a.head_sha, run_url=run_url)
        if len(body) > comment.BODY_LIMIT:
            body = comment.unreadable_comment(head=a.head_sha, run_url=run_url)
    print(
        comment.post_comment(
            body,
            repo=a.repo,
            pr=int(a.pr),
            head_sha=a.head_sha,
            token=token,
            api=comment.api_base(os.environ),
            bot_login=a.bot_login,
        )
    )
    return 0
