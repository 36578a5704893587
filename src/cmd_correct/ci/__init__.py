"""CI helpers, in three parts: `remote` (the DVC remote, CI profile, PR baseline, run-cache push),
`comment` (the PR report as data, and the sticky comment rendered from it) and `lint` (shellcheck on
every workflow `run:` block). `python -m cmd_correct.ci` is their CLI (`cli`).

The workflows in .github/workflows call these through Make targets (`make ci-remote`, `ci-profile`,
`ci-baseline`, `pr-comment`), except `post`, which pr-comment.yml runs directly (its input comes from a
fork's artifact and must not pass through make or a shell); `shellcheck` is part of `make lint`.
Nothing here is needed for a local `make repro`. Importing this package needs the stdlib only:
pr-comment.yml posts with the runner's bare Python.
"""

from .cli import main
from .comment import (
    BOT_LOGIN,
    MARKER,
    api_base,
    collect,
    consumer_rows,
    failure_comment,
    load_report,
    post_comment,
    render,
)
from .lint import run_blocks, shellcheck_workflows
from .remote import (
    BASELINE_TAG,
    apply_profile,
    configure_remote,
    make_baseline,
    push_run_outputs,
    results_check,
    select_remote,
)

__all__ = [
    "BASELINE_TAG",
    "BOT_LOGIN",
    "MARKER",
    "api_base",
    "apply_profile",
    "collect",
    "configure_remote",
    "consumer_rows",
    "failure_comment",
    "load_report",
    "main",
    "make_baseline",
    "post_comment",
    "push_run_outputs",
    "render",
    "results_check",
    "run_blocks",
    "select_remote",
    "shellcheck_workflows",
]
