"""release: publish the gated GGUF, its imatrix, metrics.json and a model card to the Hugging Face Hub.

`python -m cmd_correct release --version X.Y.Z [--tier test|public] [--dry-run]` refuses (one line per
unmet condition) unless `dvc status` is clean, metrics.json matches dvc.lock, the gates pass, HF_TOKEN
is set (not for a dry run), the version is new semver and HEAD descends from the newest release tag. What
is released is what HEAD records: params come from a file git tracks in this repository, and an upload
refuses any uncommitted change to a tracked file (a dry run only notes them). The embedded default model
goes to the test tier only, unless `--allow-embedded-public`.

The Hub repo holds several models side by side (fix lists every root `*.gguf`), so a release writes only
what belongs to its model `<name>` (release.model_name): `<name>.gguf` at the root, and `<name>/imatrix.gguf`,
`<name>/metrics.json` and `<name>/README.md` (its card); the root README.md keeps every other model's
row of the model table and entry of the model-index and gains or updates this one's (`card.merge_root`).
One commit whose message carries the provenance (version, git sha, dvc.lock sha256), to
`release.test_repo_id` (private) or `release.repo_id`; every remote file's hash is checked against the
local one; the Hub commit is tagged `<name>-v<version>` (the card shows how to pin it); for the public
tier the git commit is tagged `cmd-correct@vX.Y.Z` and `gh release create` printed (or run). The token is
only ever handed to huggingface_hub: never printed, logged or written.
"""

from __future__ import annotations

import hashlib
import os
import shlex
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import yaml
from semver import Version

from . import card as card_mod
from . import gate, io, paths
from .errors import CmdCorrectError, DataErrors, OutputError, ReleaseError
from .gate import TAG_PREFIX  # release tags are TAG_PREFIX + a semver version (the gate's references)
from .progress import Progress, noop_progress

ROOT_CARD = "README.md"
COMMIT_MESSAGE_FILE = "commit_message.txt"
TAGGER = ("-c", "user.name=cmd-correct release", "-c", "user.email=cmd-correct-release@users.noreply.github.com")


@dataclass
class Params:
    """The `release:` section."""

    repo_id: str = "animeshkundu/cmd-correct"  # public tier (the user's plan)
    test_repo_id: str = "animeshkundu/cmd-correct-test"  # test tier, created private
    model_name: str = "cmd-correct-smollm2-135m"  # the GGUF is uploaded as <model_name>.gguf at the repo root
    quant_type: str = "Q4_K_M"  # which models/quant/model-<TYPE>.gguf ships (must be gated)
    license: str = "apache-2.0"  # card license (SmolLM2 and Qwen3 are Apache-2.0)
    base_model: str | None = None  # Hub id for the card; null: base.model if it is a Hub id, else embedded_upstream
    embedded_upstream: dict[str, str] = field(
        default_factory=lambda: {"embedded:smollm2-135m": "HuggingFaceTB/SmolLM2-135M-Instruct"}
    )  # where each embedded base model comes from upstream
    # added to gguf, llama.cpp and the quant type
    tags: list[str] = field(default_factory=lambda: ["shell", "command-correction", "cmd-correct"])

    def validate(self) -> list[str]:
        problems = [
            f"{k}: expected owner/name, got {v!r}"
            for k, v in (("repo_id", self.repo_id), ("test_repo_id", self.test_repo_id))
            if v.count("/") != 1
        ]
        if "/" in self.model_name or self.model_name.endswith(".gguf") or not self.model_name:
            problems.append(f"model_name: a bare name without '/' or '.gguf', got {self.model_name!r}")
        return problems


@dataclass
class Inputs:
    """Where release reads from (paths relative to the repository root unless absolute)."""

    repo: Path = Path(".")
    params: Path = paths.PARAMS
    metrics: Path = paths.METRICS
    quant_dir: Path = paths.QUANT
    imatrix_dir: Path = paths.IMATRIX
    out_dir: Path = paths.RELEASE_DIR  # the dry-run bundle

    def at(self, p: Path) -> Path:
        return p if p.is_absolute() else self.repo / p


@dataclass
class Result:
    version: str
    tier: str
    repo_id: str
    dry_run: bool
    files: dict[str, str]  # path in the Hub repo -> sha256
    commit_message: str
    bundle: Path | None = None  # dry run: the folder written
    commit_url: str | None = None
    tag: str | None = None
    gh_command: str | None = None
    gh_ran: bool = False
    notes: list[str] = field(default_factory=list)


def _run(cmd: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)


def _last_line(text: str) -> str:
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1] if lines else "no output"


def _scrub(text: str, token: str | None) -> str:
    return text.replace(token, "***") if token else text


def dvc_lock_md5(lock: Path, target: str) -> str | None:
    """The md5 dvc.lock records for output `target` (any stage), or None if no stage lists it.

    Read as YAML: dvc.api (DVC's public API) exposes params and metrics, not the hashes dvc.lock records,
    and dvc.lock's schema (stages -> outs -> path, md5) is DVC's documented file format."""
    data = yaml.safe_load(lock.read_text(encoding="utf-8")) or {}
    for stage in (data.get("stages") or {}).values():
        for out in stage.get("outs") or []:
            if out.get("path") == target:
                return out.get("md5")
    return None


def newest_released(repo: Path) -> str | None:
    """The highest version (semver precedence) among the repo's release tags, or None before the first
    (the gate's reference: `gate.latest_release_tag`). A failing git raises ToolError."""
    tag = gate.latest_release_tag(repo)
    return tag.removeprefix(TAG_PREFIX) if tag else None


def base_model_id(params: Params, raw: dict) -> str | None:
    """The Hub id the card names as base_model."""
    if params.base_model:
        return params.base_model
    model = str((raw.get("base") or {}).get("model", ""))
    if model in params.embedded_upstream:
        return params.embedded_upstream[model]
    if model.count("/") == 1 and not model.startswith((".", "/")) and not Path(model).exists():
        return model
    return None


def hub_tag(model_name: str, version: str) -> str:
    """The Hub tag a release of `model_name` gets: one per model and version in the shared repo."""
    return f"{model_name}-v{version}"


def is_bundle(folder: Path) -> bool:
    """Whether `folder` is a dry-run bundle an earlier release wrote (so a new dry run may replace it)."""
    if not (folder / COMMIT_MESSAGE_FILE).is_file():
        return False
    models = [p.stem for p in folder.glob("*.gguf")]
    return io.holds_only("*.gguf", *models, ROOT_CARD, COMMIT_MESSAGE_FILE)(folder)


def _bundle_inputs(inp: Inputs) -> list[Path]:
    return [inp.at(p) for p in (inp.params, inp.metrics, inp.quant_dir, inp.imatrix_dir, Path("dvc.lock"))]


def preconditions(
    params: Params,
    gates: gate.Params,
    raw: dict,
    inp: Inputs,
    *,
    version: str,
    dry_run: bool,
    token: str | None,
    tier: str = "test",
    allow_embedded_public: bool = False,
) -> list[str]:
    """Every unmet release condition, one line each (empty when the release may go ahead)."""
    problems: list[str] = []
    base = str((raw.get("base") or {}).get("model", ""))
    if tier == "public" and base.startswith("embedded:") and not allow_embedded_public:
        problems.append(
            f"base.model {base} is the embedded default (a demo, not a model fix users should get): it releases "
            "to the test tier only; pass --allow-embedded-public (ALLOW_EMBEDDED_PUBLIC=1) to publish it anyway"
        )
    if dry_run:  # first: `--out .` once replaced the whole repository, .git included
        try:
            io.check_output(inp.at(inp.out_dir), stage="release", inputs=_bundle_inputs(inp), recognise=is_bundle)
        except OutputError as exc:
            problems.append(f"--out {exc}")
    problems += _version_problems(inp.repo, version)
    if not token and not dry_run:
        problems.append("HF_TOKEN is not set (a Hub write token; not needed with DRY_RUN=1)")
    problems += _dvc_problems(inp.repo)
    problems += _metrics_problems(params, gates, inp)
    for what, p in (
        ("GGUF", paths.quant_gguf(params.quant_type, inp.at(inp.quant_dir))),
        ("imatrix", paths.imatrix_gguf(inp.at(inp.imatrix_dir))),
    ):
        if not p.is_file():
            problems.append(f"{what} {p} not found: run `dvc repro` (or `dvc pull`)")
    if base_model_id(params, raw) is None:
        problems.append("release.base_model is not set and base.model is not a Hub id: set release.base_model")
    problems += _params_problems(inp)
    if not dry_run:
        # The Hub commit and the tag name HEAD: HEAD must hold everything that made the release.
        problems += _tree_problems(inp.repo)
    return problems


def _params_problems(inp: Inputs) -> list[str]:
    """The params file must be one git tracks in this repository (what HEAD records), not a file elsewhere."""
    path = inp.at(inp.params)
    try:
        rel = path.resolve().relative_to(inp.repo.resolve()).as_posix()
    except ValueError:
        return [f"--params {path} is outside the repository {inp.repo.resolve()}: release from its params.yaml"]
    r = _run(["git", "ls-files", "--error-unmatch", "--", rel], inp.repo)
    if r.returncode != 0:
        return [f"--params {rel} is not tracked by git ({_last_line(r.stderr)}): commit it first"]
    return []


def _tree_problems(repo: Path) -> list[str]:
    """No tracked file may differ from HEAD (staged or not); a git that fails is a refusal, never "clean"."""
    r = _run(["git", "status", "--porcelain", "--untracked-files=no"], repo)
    if r.returncode != 0:
        return [f"git status failed (exit {r.returncode}): {_last_line(r.stderr)}"]
    changed = [line[3:] for line in r.stdout.splitlines() if line.strip()]
    if changed:
        shown = ", ".join(changed[:10]) + (f" and {len(changed) - 10} more" if len(changed) > 10 else "")
        return [f"uncommitted changes to tracked files ({shown}): commit them first"]
    return []


def _version_problems(repo: Path, version: str) -> list[str]:
    """`version` must be semver, not tagged yet, and newer than the last release, whose commit HEAD must
    descend from (the last release of the repository, reachable from HEAD or not: the gate compares with it)."""
    tag = TAG_PREFIX + version
    if not Version.is_valid(version):
        return [f"version {version!r} is not semver (X.Y.Z)"]
    exists = _run(["git", "rev-parse", "-q", "--verify", f"refs/tags/{tag}"], repo)
    if exists.returncode == 0:
        return [f"version {version} was already released: tag {tag} exists"]
    if exists.returncode != 1:  # 1: no such tag; anything else is git failing
        return [f"git rev-parse failed (exit {exists.returncode}): {_last_line(exists.stderr)}"]
    try:
        newest = newest_released(repo)
    except CmdCorrectError as exc:
        return [f"the last release could not be read: {exc}"]
    if newest is None:
        return []
    if Version.parse(version) <= Version.parse(newest):
        return [f"version {version} is not newer than the last release {newest} (tag {TAG_PREFIX}{newest})"]
    last = TAG_PREFIX + newest
    anc = _run(["git", "merge-base", "--is-ancestor", f"refs/tags/{last}^{{commit}}", "HEAD"], repo)
    if anc.returncode == 1:
        return [
            f"HEAD does not descend from the last release {last}: merge or rebase onto it first "
            "(a release must contain every earlier one, and the gate compares with it)"
        ]
    if anc.returncode != 0:
        return [f"git merge-base --is-ancestor {last} HEAD failed (exit {anc.returncode}): {_last_line(anc.stderr)}"]
    return []


# `dvc status` words for an output or dep that is only absent here: a job that pulled just the released files
# (release.yml: `make pull-cache PULL_TARGETS=...`) sees these for every other stage, and an absent file
# cannot be a stale one. Anything else (modified, new, changed params or command) is a real change.
ABSENT = frozenset({"deleted", "not in cache"})


def _dvc_problems(repo: Path) -> list[str]:
    """`dvc status` of the root pipeline must run and show no change but absent (not pulled) data."""
    dvc = shutil.which("dvc")
    if dvc is None:
        return ["dvc not found on PATH"]
    # The root pipeline only: test fixtures may hold dvc.yaml files of their own.
    st = _run([dvc, "status", "--json", "dvc.yaml"], repo)
    if st.returncode != 0:
        return [f"dvc status failed: {_last_line(st.stderr)}"]
    status = yaml.safe_load(st.stdout.strip() or "{}") or {}
    changed = sorted(real_changes(status))
    if changed:
        return [f"dvc status is not clean ({', '.join(changed)}): run `dvc repro` (or `dvc pull`) first"]
    stages = set((yaml.safe_load((repo / "dvc.yaml").read_text(encoding="utf-8")) or {}).get("stages") or {})
    lock = repo / "dvc.lock"
    locked = (
        set((yaml.safe_load(lock.read_text(encoding="utf-8")) or {}).get("stages") or {}) if lock.is_file() else set()
    )
    if missing := sorted(stages - locked):
        return [f"dvc.lock has no entry for {', '.join(missing)}: run `dvc repro` first"]
    return []


def real_changes(status: dict) -> dict[str, list[str]]:
    """Per stage, the `dvc status --json` entries that are real changes, as text; data that is only absent
    here (not pulled: `deleted`, `not in cache`) is no change.

    Entries are strings ("changed command", "always changed") or {"changed deps"|"changed outs": {path:
    kind}}, where a params file's kind is itself a dict {param: "modified"|"new"|"deleted"}: a params change
    (a deleted param included) is always a real change, never absent data."""
    out: dict[str, list[str]] = {}
    for stage, entries in status.items():
        for entry in entries:
            if not isinstance(entry, dict):
                out.setdefault(stage, []).append(str(entry))
                continue
            for what, changes in entry.items():
                for path, kind in changes.items() if isinstance(changes, dict) else [("", changes)]:
                    if not (isinstance(kind, str) and kind in ABSENT):
                        out.setdefault(stage, []).append(f"{what}: {path} {kind}".replace(":  ", ": "))
    return out


def _metrics_problems(params: Params, gates: gate.Params, inp: Inputs) -> list[str]:
    """metrics.json must exist, match dvc.lock, and pass the gates for a gated quant type."""
    metrics = inp.at(inp.metrics)
    lock = inp.at(Path("dvc.lock"))
    target = inp.metrics.as_posix()
    if not metrics.is_file():
        return [f"{target} not found: run `dvc repro`"]
    if not lock.is_file():
        return ["dvc.lock not found: run `dvc repro`"]
    recorded = dvc_lock_md5(lock, target)
    actual = hashlib.md5(metrics.read_bytes()).hexdigest()
    if recorded is None:
        return [f"dvc.lock records no output {target}"]
    if recorded != actual:
        return [
            f"{target} does not match dvc.lock (md5 {actual[:8]} != {recorded[:8]}): "
            "it was edited or is stale; run `dvc repro`"
        ]
    problems = []
    if params.quant_type not in gates.quant_types:
        problems.append(f"release.quant_type {params.quant_type} is not gated (gates.quant_types)")
    try:
        res = gate.run(gates, metrics_path=metrics, quant_dir=inp.at(inp.quant_dir), repo=inp.repo)
    except DataErrors as exc:  # one line per metric out of its range
        problems += [f"gate could not run: {p}" for p in exc.problems]
    except CmdCorrectError as exc:
        problems.append(f"gate could not run: {exc}")
    else:
        if not res.passed:
            problems.append(f"gate failed ({', '.join(r.metric for r in res.failures)}): see `make gate`")
    return problems


def _commit_message(params: Params, version: str, tier: str, git_sha: str, lock_sha: str) -> tuple[str, str]:
    summary = f"Release {params.model_name} {version} ({params.quant_type})"
    description = (
        f"version: {version}\ntier: {tier}\nquant_type: {params.quant_type}\n"
        f"git: {git_sha}\ndvc.lock sha256: {lock_sha}\n"
    )
    return summary, description


def run(
    params: Params,
    gates: gate.Params,
    raw: dict,
    inp: Inputs,
    *,
    version: str,
    tier: Literal["test", "public"] = "test",
    dry_run: bool = False,
    token: str | None = None,
    endpoint: str | None = None,
    allow_embedded_public: bool = False,
    progress: Progress = noop_progress,
) -> Result:
    """Check every precondition, build the cards, then write the dry-run bundle or upload, verify and tag."""
    problems = preconditions(
        params,
        gates,
        raw,
        inp,
        version=version,
        dry_run=dry_run,
        token=token,
        tier=tier,
        allow_embedded_public=allow_embedded_public,
    )
    if problems:
        raise ReleaseError(
            f"release {version} refused ({len(problems)}):\n  " + "\n  ".join(problems), problems=problems
        )
    repo_id = params.test_repo_id if tier == "test" else params.repo_id
    head = _run(["git", "rev-parse", "--verify", "HEAD^{commit}"], inp.repo)
    if head.returncode != 0:
        raise ReleaseError(f"release {version} refused: git rev-parse HEAD failed: {_last_line(head.stderr)}")
    git_sha = head.stdout.strip()
    lock_sha = io.sha256_file(inp.at(Path("dvc.lock")))
    # The root card as the Hub has it now (other models' rows and model-index entries are kept); a dry run
    # reads nothing remote and shows this model's root card alone.
    root_now = None if dry_run else _remote_root_card(repo_id, params.model_name, version, token, endpoint)
    sources = _sources(
        params, raw, inp, version=version, repo_id=repo_id, git_sha=git_sha, lock_sha=lock_sha, root_now=root_now
    )
    files = {
        name: hashlib.sha256(src).hexdigest() if isinstance(src, bytes) else io.sha256_file(src)
        for name, src in sources.items()
    }
    summary, description = _commit_message(params, version, tier, git_sha, lock_sha)
    message = f"{summary}\n\n{description}"
    result = Result(version=version, tier=tier, repo_id=repo_id, dry_run=dry_run, files=files, commit_message=message)
    progress("release", 1, 4)

    if dry_run:
        result.bundle = _write_bundle(inp, sources, message)
        result.notes.append(
            f"dry run: nothing uploaded; {tier} tier would go to {repo_id}" + (" (private)" if tier == "test" else "")
        )
        result.notes += [f"an upload would refuse: {p}" for p in _tree_problems(inp.repo)]
        return result

    result.commit_url = _upload(
        repo_id,
        tier,
        sources,
        files,
        summary,
        description,
        tag=hub_tag(params.model_name, version),
        token=token,
        endpoint=endpoint,
        progress=progress,
    )
    result.notes.append(f"Hub tag {hub_tag(params.model_name, version)} marks this release in {repo_id}")
    if tier == "public":
        _tag_and_announce(result, inp.repo, summary, description, token=token)
    else:
        result.notes.append(f"test tier: no git tag (the public release of {version} will tag)")
    progress("release", 4, 4)
    return result


def _remote_root_card(repo_id: str, model_name: str, version: str, token: str | None, endpoint: str | None):
    """The shared repo's root README.md on `main` (None: no repo or no card yet); refuses a version whose Hub
    tag exists already (another checkout released it)."""
    from huggingface_hub import HfApi
    from huggingface_hub.errors import EntryNotFoundError, RepositoryNotFoundError, RevisionNotFoundError

    api = HfApi(endpoint=endpoint, token=token)
    tag = hub_tag(model_name, version)
    try:
        if tag in {t.name for t in api.list_repo_refs(repo_id, repo_type="model").tags}:
            raise ReleaseError(f"{repo_id} already has the tag {tag}: {model_name} {version} was released")
        with tempfile.TemporaryDirectory(prefix="cmd-correct-card-") as tmp:
            path = api.hf_hub_download(repo_id, ROOT_CARD, revision="main", repo_type="model", local_dir=tmp)
            return Path(path).read_text(encoding="utf-8")
    except (RepositoryNotFoundError, RevisionNotFoundError, EntryNotFoundError):
        return None
    except CmdCorrectError:
        raise
    except Exception as exc:  # HTTP and client errors: one line, token scrubbed
        raise ReleaseError(f"reading {repo_id}/{ROOT_CARD} failed: {_scrub(_last_line(str(exc)), token)}") from None


def _sources(
    params: Params,
    raw: dict,
    inp: Inputs,
    *,
    version: str,
    repo_id: str,
    git_sha: str,
    lock_sha: str,
    root_now: str | None = None,
) -> dict[str, Path | bytes]:
    """What the release uploads: path in the Hub repo -> local file, or the bytes of a card. Only this
    model's files: `<name>.gguf` at the root, the rest under `<name>/`, and the merged root card."""
    quant_meta_path = inp.at(inp.quant_dir) / "meta.json"
    card_inputs = card_mod.CardInputs(
        version=version,
        repo_id=repo_id,
        model_name=params.model_name,
        quant_type=params.quant_type,
        license=params.license,
        base_model=base_model_id(params, raw) or "",
        tags=params.tags,
        metrics=io.read_json(inp.at(inp.metrics)),
        params=raw,
        git_sha=git_sha,
        dvc_lock_sha256=lock_sha,
        quant_meta=io.read_json(quant_meta_path) if quant_meta_path.is_file() else None,
        hub_tag=hub_tag(params.model_name, version),
    )
    name = params.model_name
    return {
        f"{name}.gguf": paths.quant_gguf(params.quant_type, inp.at(inp.quant_dir)),
        f"{name}/imatrix.gguf": paths.imatrix_gguf(inp.at(inp.imatrix_dir)),
        f"{name}/metrics.json": inp.at(inp.metrics),
        f"{name}/README.md": str(card_mod.build(card_inputs)).encode("utf-8"),
        ROOT_CARD: card_mod.merge_root(root_now, card_inputs).encode("utf-8"),
    }


def _write_bundle(inp: Inputs, sources: dict[str, Path | bytes], message: str) -> Path:
    """The dry run: exactly what would be uploaded, plus the commit message, in the bundle folder."""
    out = inp.at(inp.out_dir)
    with io.atomic_dir(out, stage="release", inputs=_bundle_inputs(inp), recognise=is_bundle) as tmp:
        tmp.chmod(0o755)  # mkdtemp makes it private; the bundle is meant to be inspected and shared
        for name, src in sources.items():
            (tmp / name).parent.mkdir(parents=True, exist_ok=True)
            if isinstance(src, bytes):
                (tmp / name).write_bytes(src)
            else:
                shutil.copyfile(src, tmp / name)
        (tmp / COMMIT_MESSAGE_FILE).write_text(message, encoding="utf-8")
    return out


def _tag_and_announce(result: Result, repo: Path, summary: str, description: str, *, token: str | None) -> None:
    """Public tier: tag the commit TAG_PREFIX + version, then run `gh release create` where gh is logged in
    (else `result.gh_command` says how)."""
    result.tag = TAG_PREFIX + result.version
    # An annotated tag needs a committer; CI runners often have none configured, so name the tool.
    who = [] if _run(["git", "config", "user.email"], repo).stdout.strip() else list(TAGGER)
    t = _run(["git", *who, "tag", "-a", result.tag, "-m", result.commit_message], repo)
    if t.returncode != 0:
        raise ReleaseError(f"uploaded, but git tag {result.tag} failed: {_last_line(t.stderr)}")
    notes = f"{summary}\n\nHub: https://huggingface.co/{result.repo_id}\n\n{description}"
    cmd = ["gh", "release", "create", result.tag, "--title", summary, "--notes", notes]
    result.gh_command = shlex.join(cmd)
    gh = shutil.which("gh")
    if gh and _run([gh, "auth", "status"], repo).returncode == 0:
        r = _run([gh, *cmd[1:]], repo)
        result.gh_ran = r.returncode == 0
        if not result.gh_ran:
            result.notes.append(f"gh release create failed: {_scrub(_last_line(r.stderr), token)}")


def _upload(
    repo_id: str,
    tier: str,
    sources: dict[str, Path | bytes],
    files: dict[str, str],
    summary: str,
    description: str,
    *,
    tag: str,
    token: str | None,
    endpoint: str | None,
    progress: Progress,
) -> str:
    """create_repo, one create_commit, check every remote file's hash, then tag the commit `tag`; returns the
    commit URL."""
    from huggingface_hub import CommitOperationAdd, HfApi
    from huggingface_hub.utils.sha import git_hash  # the git blob id the Hub gives a non-LFS file

    api = HfApi(endpoint=endpoint, token=token)
    try:
        api.create_repo(repo_id, repo_type="model", private=tier == "test", exist_ok=True)
        ops = [
            CommitOperationAdd(path_in_repo=name, path_or_fileobj=src if isinstance(src, bytes) else str(src))
            for name, src in sources.items()
        ]
        info = api.create_commit(
            repo_id, ops, commit_message=summary, commit_description=description, repo_type="model"
        )
        progress("release", 2, 4)
        remote = {f.path: f for f in api.get_paths_info(repo_id, list(sources), revision=info.oid, repo_type="model")}
    except CmdCorrectError:
        raise
    except Exception as exc:  # HTTP and client errors from huggingface_hub: one line, token scrubbed
        raise ReleaseError(f"upload to {repo_id} failed: {_scrub(_last_line(str(exc)), token)}") from None
    problems = []
    for name, src in sources.items():
        f = remote.get(name)
        if f is None or not hasattr(f, "lfs"):
            problems.append(f"{name}: missing on the Hub")
        elif f.lfs is not None:
            if f.lfs.sha256 != files[name]:
                problems.append(f"{name}: remote sha256 {f.lfs.sha256[:12]} != local {files[name][:12]}")
        else:
            data = src if isinstance(src, bytes) else Path(src).read_bytes()
            if f.blob_id != git_hash(data):  # a regular (non-LFS) file: the Hub gives its git blob id
                problems.append(f"{name}: remote blob {f.blob_id[:12]} != local {git_hash(data)[:12]}")
    if problems:
        raise ReleaseError(f"upload to {repo_id} not verified: " + "; ".join(problems), problems=problems)
    try:
        api.create_tag(repo_id, tag=tag, revision=info.oid, tag_message=summary, repo_type="model")
    except Exception as exc:  # noqa: BLE001  (HTTP errors: one line, token scrubbed)
        raise ReleaseError(f"uploaded, but the Hub tag {tag} failed: {_scrub(_last_line(str(exc)), token)}") from None
    progress("release", 3, 4)
    return info.commit_url


def main(argv: list[str] | None = None) -> int:
    from . import params as P
    from .cli import parser
    from .progress import progress_bar

    p = parser("release", __doc__)
    p.add_argument("--version", required=True, help="semver X.Y.Z of this release")
    p.add_argument("--tier", choices=("test", "public"), default="test", help="test (private repo) or public")
    p.add_argument("--dry-run", action="store_true", help=f"write {paths.RELEASE_DIR}/ instead of uploading")
    p.add_argument("--metrics", type=Path, default=paths.METRICS)
    p.add_argument("--quant-dir", type=Path, default=paths.QUANT)
    p.add_argument("--imatrix-dir", type=Path, default=paths.IMATRIX)
    p.add_argument("--out", type=Path, default=paths.RELEASE_DIR, help="dry-run bundle folder")
    p.add_argument(
        "--allow-embedded-public", action="store_true", help="let the embedded default model reach the public tier"
    )
    args = p.parse_args(argv)
    raw = P.load(args.params)
    params = P.section("release", raw, path=args.params)
    gates = P.section("gates", raw, path=args.params)
    inp = Inputs(
        repo=Path.cwd(),
        params=Path(args.params),
        metrics=args.metrics,
        quant_dir=args.quant_dir,
        imatrix_dir=args.imatrix_dir,
        out_dir=args.out,
    )
    with progress_bar() as progress:
        res = run(
            params,
            gates,
            raw,
            inp,
            version=args.version,
            tier=args.tier,
            dry_run=args.dry_run,
            token=os.environ.get("HF_TOKEN") or None,
            endpoint=os.environ.get("HF_ENDPOINT") or None,  # huggingface_hub honours it too; explicit for clarity
            allow_embedded_public=args.allow_embedded_public,
            progress=progress,
        )
    for name, sha in res.files.items():
        print(f"{sha}  {name}")
    if res.bundle:
        print(f"wrote {res.bundle}/ ({len(res.files)} files + {COMMIT_MESSAGE_FILE})")
    if res.commit_url:
        print(f"uploaded and verified: {res.commit_url}")
    if res.tag:
        print(f"tagged {res.tag}; push it with: git push origin {res.tag}")
    if res.gh_command and not res.gh_ran:
        print(f"create the GitHub release with:\n  {res.gh_command}")
    for note in res.notes:
        print(note)
    return 0
