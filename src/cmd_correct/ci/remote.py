"""CI's DVC side: the remote (s3 or local), the CI-sized profile, the PR baseline, the run-cache push.

python -m cmd_correct.ci remote                      # print the remote in use: s3 or local
python -m cmd_correct.ci profile configs/ci.yaml     # merge an overlay into params.yaml (CI only)
python -m cmd_correct.ci baseline origin/main        # run the base ref with the same profile
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from ..errors import ParamsError, ToolError
from ..paths import PARAMS

BASELINE_TAG = "ci-baseline"
# Committed as the baseline, with every `cache: false` output (metrics, plots) the run wrote.
BASELINE_FILES = (str(PARAMS), "dvc.lock")

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
            # No public API: dvc.api has no run-cache calls, and this is how `dvc repro --pull` finds them.
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

    from ..params import deep_merge

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


# --- committed results ------------------------------------------------------------------------------

RESULT_FILES = ("dvc.lock", "metrics.json")


def results_check(base: str, *, cwd: str | Path = ".") -> str:
    """When the change since `base` touches dvc.lock or metrics.json, refuse unless they describe the
    checked-out code: `dvc status` may report outputs absent from this checkout (`release.real_changes`),
    never a changed dep, param, command, or a metrics file that differs from the one dvc.lock recorded.
    Returns a summary."""
    import json

    from ..release import real_changes  # here, not at the top: `ci post` runs on a bare Python

    merge_base = _run(["git", "merge-base", base, "HEAD"], cwd).strip()
    changed = _run(["git", "diff", "--name-only", merge_base, "HEAD", "--", *RESULT_FILES], cwd).split()
    if not changed:
        return f"{' and '.join(RESULT_FILES)} unchanged since {base}: nothing to check"
    stale = [f"{stage}: {c}" for stage, cs in real_changes(json.loads(_dvc(["status", "--json"], cwd) or "{}")).items()
             for c in cs]  # fmt: skip
    if stale:
        raise ToolError(
            f"{', '.join(changed)} changed since {base} but do not describe this commit's code (`dvc status`):\n  "
            + "\n  ".join(stale)
            + "\nCommit results together with the code and params that made them (rerun `dvc repro`).",
            tool="dvc",
        )
    return f"{', '.join(changed)} changed since {base} and match this commit's code and params"
