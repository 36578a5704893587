"""Kaggle backend: push a GPU kernel that runs the torch backend, poll it, download the adapter.

1. bundle: train/valid splits, a params.yaml (base + train with backend=torch), our wheel (built from the
   checkout's git-tracked files only) and a manifest of sha256s go to a private Kaggle dataset (created, or a
   new version of it);
2. kernel: kaggle/train_kernel.py with a kernel-metadata.json built as a dict by json.dumps (GPU on,
   internet on for pip and the Hub, the dataset attached; the accelerator from an allow-list) is pushed,
   which starts a run;
3. the run's status is polled with exponential backoff until it completes, fails or `timeout` passes;
4. its output is listed first, and refused when any server-given file name is absolute, holds `..` or
   resolves outside the output folder; only the expected files are downloaded, into a fresh temp folder, and
   moved to the output folder; there they are verified (manifest id, sha256 of every adapter file, PEFT
   config, base model identity); the adapter is kept in the work folder, and the kernel's training log
   read back from its report, for `train.run` to write into place.
Before 1, the kernel's current or last run is looked at: one that trains this same bundle (the manifest id
hashes what is trained, not the checkout's file times) is waited for and collected instead, so a CI job
rerun after its 6 h limit picks up the 12 h GPU session it started instead of training again.

The `kaggle` client runs in a child process (`python -m cmd_correct.train.kaggle_backend`): importing it
authenticates (and exits the process when no credentials exist) and it prints to stdout. Credentials
come from KAGGLE_USERNAME/KAGGLE_KEY or kaggle.json. The key (raw, URL-encoded, or inside HTTP basic
auth) is scrubbed from every text the server or the kernel hands back: client results and output, the
kernel log and result.json, and any error this backend raises.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from fnmatch import fnmatchcase
from pathlib import Path, PurePosixPath, PureWindowsPath

from .. import io
from ..errors import CmdCorrectError, ModelError, ParamsError, ToolError
from ..params import WEEK_S, bounded, operational
from ..paths import TRAIN_CONFIG
from ..progress import Progress, noop_progress
from . import common
from .common import ADAPTER_FILES, REPORT_FILES  # what train's folders hold

KERNEL_FILES = ("train_kernel.py",)  # in the repo's kaggle/ folder; kernel-metadata.json is built in code
KERNEL_CODE = "train_kernel.py"  # the kernel's entry script (code_file in kernel-metadata.json)
# Kaggle's GPU machine shapes (kaggle-cli docs/kernels.md, "Accelerators available as of Feb 2026"; some are
# limited to competitions or admins). TPU shapes are left out: the kernel trains with torch on CUDA.
ACCELERATORS = (
    "NvidiaTeslaT4",
    "NvidiaTeslaT4Highmem",
    "NvidiaTeslaP100",
    "NvidiaTeslaA100",
    "NvidiaL4",
    "NvidiaL4X1",
    "NvidiaH100",
    "NvidiaRtxPro6000",
)
# The wheel is built from these paths' git-tracked files (an untracked file in src/ must not travel).
WHEEL_SOURCES = ("src", "pyproject.toml", "README.md")
OUTPUT_PAGES = 100  # most pages of a kernel's output listing we follow
SHOWN = 60  # characters of a server-given name quoted in an error (a name may be huge)
MANIFEST = "cmd-correct-bundle.json"  # the entry script finds the dataset by this file
RESULT = "result.json"  # written by the entry script beside the adapter in /kaggle/working
BASE_ZIP = "base.zip"  # models/base in the dataset, when it is uploaded rather than rebuilt
# Installed in the kernel beside our wheel's train-torch extra, pinned to the versions here: the torch
# backend logs with dvclive, which only the (heavy, dvc-carrying) `data` extra brings.
KERNEL_REQUIREMENTS = ("dvclive",)
DONE, FAILED = "complete", ("error", "cancel_requested", "cancel_acknowledged")


@dataclass
class KaggleParams:
    # Names, visibility, internet and waiting say where and how the kernel runs, not what it trains: operational
    # (no params deps). `accelerator` (the GPU's numerics) and `upload_base` (which base copy it trains on): deps.
    kernel_slug: str = operational("cmd-correct-train")  # kernel name under the user's account
    # private dataset: train/valid splits, params, our wheel (+ base.zip)
    dataset_slug: str = operational("cmd-correct-data")
    dataset_license: str = operational("CC0-1.0")  # license of that dataset; Kaggle requires one
    accelerator: str = "NvidiaTeslaT4"  # machine shape of the kernel run (T4 x1: 16 GB, fp16, no bf16)
    internet: bool = operational(True)  # pip installs our wheel's dependencies; Hub base models download
    private: bool = operational(True)  # keep the kernel private
    # attach models/base to the dataset (false: rebuild it in the kernel; a local base.model is always attached)
    upload_base: bool = False
    # kernel run limit in seconds (0: Kaggle's own, 12 h on GPU)
    session_timeout: int = bounded(0, 0, WEEK_S, operational=True)
    # seconds between status polls, doubling up to poll_max
    poll_interval: float = bounded(30.0, 0, 24 * 3600, lo_open=True, operational=True)
    poll_max: float = bounded(300.0, 0, 24 * 3600, lo_open=True, operational=True)  # longest wait between polls
    # give up waiting for the dataset or the kernel (12.5 h: past a GPU session)
    timeout: float = bounded(12.5 * 3600.0, 0, WEEK_S, lo_open=True, operational=True)
    # give up on one kaggle client call (upload, download) after 15 min
    call_timeout: float = bounded(900.0, 0, WEEK_S, lo_open=True, operational=True)

    def validate(self) -> list[str]:
        problems = []
        for name in ("kernel_slug", "dataset_slug"):
            slug = getattr(self, name)
            if not 6 <= len(slug) <= 50 or not all(c.isalnum() or c == "-" for c in slug) or slug != slug.lower():
                problems.append(f"{name}: 6-50 lowercase letters, digits or '-' (got {slug!r})")
        for name in ("poll_interval", "poll_max", "timeout", "call_timeout"):
            if getattr(self, name) <= 0:
                problems.append(f"{name}: must be > 0")
        if self.poll_max < self.poll_interval:
            problems.append("poll_max: must be >= poll_interval")
        if self.accelerator not in ACCELERATORS:  # it is sent as the kernel's machine_shape
            problems.append(f"accelerator: one of {', '.join(ACCELERATORS)} (got {shorten(self.accelerator)})")
        return problems


# ------------------------------------------------------------------------------------------ credentials


def kaggle_config_dir() -> Path:
    """Where the kaggle client looks for kaggle.json (KAGGLE_CONFIG_DIR, ~/.kaggle, then ~/.config/kaggle)."""
    if os.environ.get("KAGGLE_CONFIG_DIR"):
        return Path(os.environ["KAGGLE_CONFIG_DIR"])
    home = Path.home() / ".kaggle"
    if home.exists() or not sys.platform.startswith("linux"):
        return home
    return Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "kaggle"


def credentials() -> tuple[str, str]:
    """(username, key) from KAGGLE_USERNAME/KAGGLE_KEY, else kaggle.json; ToolError naming both when absent."""
    user, key = os.environ.get("KAGGLE_USERNAME"), os.environ.get("KAGGLE_KEY")
    if user and key:
        return user, key
    path = kaggle_config_dir() / "kaggle.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return str(data["username"]), str(data["key"])
    except (FileNotFoundError, KeyError, TypeError, json.JSONDecodeError):
        raise ToolError(
            "train.backend=kaggle needs Kaggle credentials: set KAGGLE_USERNAME and KAGGLE_KEY, or write "
            f'{path} with {{"username": ..., "key": ...}} (kaggle.com > Settings > API > Create New Token)',
            tool="kaggle",
            path=path,
        ) from None


def secret_forms(key: str, user: str | None = None) -> tuple[str, ...]:
    """The key as server text may carry it: raw, URL-encoded, and base64 inside HTTP basic auth."""
    import base64
    import urllib.parse

    forms = {key, urllib.parse.quote(key, safe=""), urllib.parse.quote_plus(key)}
    if user:
        forms.add(base64.b64encode(f"{user}:{key}".encode()).decode())
    return tuple(sorted((f for f in forms if f), key=len, reverse=True))


def scrub(text: str, *secrets: str) -> str:
    """`text` with every occurrence of each secret replaced (we keep client output in errors)."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def shorten(value, limit: int = SHOWN) -> str:
    """repr(value), its middle cut to keep `limit` characters: a server-given name or a crafted param may be
    huge; its start and end still say which it was."""
    text = repr(value)
    half = limit // 2
    return text if len(text) <= limit else f"{text[:half]}...{text[-half:]} ({len(text)} characters)"


def scrub_obj(obj, secrets: tuple[str, ...]):
    """A copy of parsed JSON with every string scrubbed."""
    if isinstance(obj, str):
        return scrub(obj, *secrets)
    if isinstance(obj, dict):
        return {scrub_obj(k, secrets): scrub_obj(v, secrets) for k, v in obj.items()}
    if isinstance(obj, list):
        return [scrub_obj(v, secrets) for v in obj]
    return obj


# ---------------------------------------------------------------------------------------- the client


class Client:
    """Runs one kaggle API call per child process and returns its JSON result."""

    def __init__(self, key: str, call_timeout: float, user: str | None = None):
        self.key, self.call_timeout = key, call_timeout
        self.secrets = secret_forms(key, user)

    def __call__(self, op: str, **kwargs) -> dict:
        with tempfile.TemporaryDirectory(prefix="cmd-correct-kaggle-") as tmp:
            out = Path(tmp) / "result.json"
            cmd = [sys.executable, "-m", "cmd_correct.train.kaggle_backend", op, json.dumps(kwargs), str(out)]
            try:
                proc = subprocess.run(cmd, capture_output=True, text=True, timeout=self.call_timeout)
            except subprocess.TimeoutExpired:
                raise ToolError(f"kaggle {op}: no answer within {self.call_timeout:.0f} s", tool="kaggle") from None
            if proc.returncode != 0 or not out.is_file():
                tail = scrub((proc.stdout + proc.stderr).strip(), *self.secrets)[-1500:]
                raise ToolError(f"kaggle {op} failed (exit {proc.returncode}): {tail}", tool="kaggle")
            return scrub_obj(json.loads(out.read_text(encoding="utf-8")), self.secrets)  # errors, messages


def _child(op: str, kwargs: dict, out: Path) -> None:
    """The child side of `Client`: import the authenticated client, make one call, write its result."""
    from requests.exceptions import HTTPError

    from kaggle import api  # authenticates from the environment or kaggle.json

    result: dict
    if op == "dataset_status":
        try:
            result = {"status": api.dataset_status(kwargs["ref"])}
        except HTTPError as e:
            if e.response is None or e.response.status_code != 404:
                raise
            result = {"status": None}
    elif op in ("dataset_create", "dataset_version"):
        if op == "dataset_create":
            r = api.dataset_create_new(kwargs["folder"], public=False, quiet=True, dir_mode="skip")
        else:
            r = api.dataset_create_version(kwargs["folder"], kwargs["notes"], quiet=True, dir_mode="skip")
        result = {"status": r.status, "error": r.error, "url": r.url, "ref": r.ref}
    elif op == "kernel_push":
        r = api.kernels_push(kwargs["folder"], timeout=kwargs.get("timeout"))
        result = {"error": r.error, "url": r.url, "ref": r.ref, "version": r.version_number}
    elif op == "kernel_status":
        try:
            r = api.kernels_status(kwargs["ref"])
            result = {"status": r.status.name.lower(), "failure_message": r.failure_message}
        except HTTPError as e:  # no such kernel yet: nothing ran before
            if e.response is None or e.response.status_code != 404:
                raise
            result = {"status": None, "failure_message": None}
    elif op == "kernel_output_list":  # names, URLs and the log only: the parent checks every name first
        from kagglesdk.kernels.types.kernels_api_service import ApiListKernelSessionOutputRequest

        owner, slug = kwargs["ref"].split("/", 1)
        files, log, token = [], "", ""
        with api.build_kaggle_client() as kaggle:
            for _ in range(OUTPUT_PAGES):
                request = ApiListKernelSessionOutputRequest()
                request.user_name, request.kernel_slug = owner, slug
                if token:
                    request.page_token = token
                r = kaggle.kernels.kernels_api_client.list_kernel_session_output(request)
                files += [{"name": f.file_name, "url": f.url} for f in r.files or []]
                log, token = log or r.log or "", r.next_page_token
                if not token:
                    break
        result = {"files": files, "log": log}
    elif op == "kernel_output_fetch":  # into the parent's fresh folder; each name is checked again here
        import requests

        folder = Path(kwargs["folder"])
        for f in kwargs["files"]:
            target = output_target(folder, f["name"])
            with requests.get(f["url"], stream=True, timeout=(60, 600)) as r:
                r.raise_for_status()
                target.parent.mkdir(parents=True, exist_ok=True)
                with target.open("wb") as fh:
                    for block in r.iter_content(1 << 20):
                        fh.write(block)
        result = {"files": [f["name"] for f in kwargs["files"]]}
    else:
        raise SystemExit(f"unknown op {op}")
    out.write_text(json.dumps(result), encoding="utf-8")


# ------------------------------------------------------------------------------------------- the bundle


def kernel_source() -> Path:
    """The repo's kaggle/ folder (kernel template and entry script)."""
    folder = Path(__file__).resolve().parents[3] / "kaggle"
    missing = [f for f in KERNEL_FILES if not (folder / f).is_file()]
    if missing:
        raise ToolError(
            f"{folder}: missing {', '.join(missing)} (run from a checkout of cmd-correct)", tool="kaggle", path=folder
        )
    return folder


def repo_root() -> Path:
    """The checkout this module runs from (its kaggle/ folder and tracked sources travel to Kaggle)."""
    return Path(__file__).resolve().parents[3]


def tracked_files(root: Path, paths: tuple[str, ...]) -> list[str]:
    """The files under `paths` that git tracks in `root`, relative to it: as they are in the working tree
    (a tracked file's local edits count), never an untracked one; deleted ones are left out."""
    try:
        proc = subprocess.run(["git", "-C", str(root), "ls-files", "-s", "-z", "--", *paths], capture_output=True)
    except FileNotFoundError:
        raise ToolError("the kaggle backend builds its wheel from git-tracked files: no git", tool="git") from None
    if proc.returncode != 0:
        raise ToolError(
            f"{root}: git ls-files failed (exit {proc.returncode}): {os.fsdecode(proc.stderr).strip()[-500:]} "
            "(the kaggle backend builds its wheel from a git checkout's tracked files)",
            tool="git",
            path=root,
        )
    names = {}
    for entry in os.fsdecode(proc.stdout).split("\0"):
        if not entry:
            continue
        meta, _, name = entry.partition("\t")
        if meta.split()[0] not in ("100644", "100755") or (root / name).is_symlink():
            raise ToolError(
                f"{root / name}: a link or submodule in the wheel's sources; the kaggle backend ships regular files",
                tool="git",
                path=root / name,
            )
        if (root / name).is_file():
            names[name] = None  # a file in a merge conflict is listed once per stage
    return list(names)


def build_wheel(dest: Path) -> Path:
    """Our package as a wheel (pip, no dependencies), for the kernel to install: built from a copy of the
    checkout's git-tracked files only, so an untracked file under src/ never travels."""
    root = repo_root()
    if not (root / "pyproject.toml").is_file():
        raise ToolError(
            f"{root}: no pyproject.toml; the kaggle backend needs a source checkout to build a wheel",
            tool="pip",
            path=root,
        )
    with tempfile.TemporaryDirectory(prefix="cmd-correct-wheel-") as tmp:
        # Build from a copy: an in-tree build would leave build/ and egg-info files in the checkout.
        src = Path(tmp) / "src"
        for name in tracked_files(root, WHEEL_SOURCES):
            (src / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(root / name, src / name)
        # Offline when setuptools is here already; otherwise pip fetches it into an isolated build env.
        isolation = ["--no-build-isolation"] if importlib.util.find_spec("setuptools") else []
        cmd = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", *isolation, "-w", str(dest)]
        proc = subprocess.run([*cmd, str(src)], capture_output=True, text=True)
        if proc.returncode != 0:
            raise ToolError(f"pip wheel failed: {(proc.stdout + proc.stderr).strip()[-1500:]}", tool="pip")
    wheels = sorted(dest.glob("cmd_correct-*.whl"))
    if not wheels:
        raise ToolError(f"pip wheel wrote no cmd_correct wheel to {dest}", tool="pip", path=dest)
    return wheels[-1]


def wheel_digest(wheel: Path) -> str:
    """sha256 over the wheel's member names and bytes (not the zip's timestamps)."""
    import zipfile

    h = hashlib.sha256()
    with zipfile.ZipFile(wheel) as zf:
        for name in sorted(zf.namelist()):
            h.update(name.encode() + b"\0" + hashlib.sha256(zf.read(name)).digest())
    return h.hexdigest()


def base_params(base_dir: Path) -> dict:
    """The base section that produced `base_dir` (from its meta.json), so the kernel can rebuild it."""
    meta_path = base_dir / "meta.json"
    params = dict(io.read_json(meta_path).get("params") or {})
    if not params.get("model"):
        raise ModelError(f"{meta_path}: no params.model; rerun the base stage", path=meta_path, field="params.model")
    return params


def must_upload_base(base: dict, kp: KaggleParams) -> bool:
    """A local base.model is not on Kaggle: it travels in the dataset; otherwise as `upload_base` says."""
    model = str(base["model"])
    return kp.upload_base or (not model.startswith("embedded:") and Path(model).is_dir())


def zip_base(base_dir: Path, dest: Path) -> dict:
    """models/base as a flat zip (the kernel unpacks it; Kaggle may also unpack it on upload)."""
    import zipfile

    files = sorted(p for p in base_dir.iterdir() if p.is_file() and not p.name.startswith("."))
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_STORED) as zf:  # safetensors do not compress
        for p in files:
            zf.write(p, p.name)
    return {p.name: io.sha256_file(p) for p in files}


def build_bundle(params, *, seed: int, data_dir: Path, base_dir: Path, out: Path, owner: str) -> dict:
    """Fill `out` with the dataset: splits, params.yaml, wheel, manifest and dataset-metadata.json."""
    import yaml

    kp = params.kaggle
    for split in ("train", "valid"):  # the test split stays home
        shutil.copy2(data_dir / f"{split}.jsonl", out / f"{split}.jsonl")
    base = base_params(base_dir) | {"seed": seed}
    train = asdict(params) | {"backend": "torch"}  # the same params, run by the torch backend there
    (out / "params.yaml").write_text(yaml.safe_dump({"base": base, "train": train}, sort_keys=False), "utf-8")
    base_files = zip_base(base_dir, out / BASE_ZIP) if must_upload_base(base, kp) else None
    wheel = build_wheel(out)
    files = {p.name: io.sha256_file(p) for p in sorted(out.iterdir())}
    requirements = [f"{dist}=={importlib.metadata.version(dist)}" for dist in KERNEL_REQUIREMENTS]
    # The id names what is trained, so a later job (a fresh checkout) recognises the run: the wheel counts by
    # its members' bytes, not its zip timestamps, which follow the checkout's file times.
    content = files | {wheel.name: wheel_digest(wheel)}
    manifest = {
        "id": hashlib.sha256(json.dumps([content, requirements], sort_keys=True).encode()).hexdigest()[:16],
        "wheel": wheel.name,
        "extras": "train-torch",
        "requirements": requirements,
        "files": files,
        "base": base,
        "base_zip": BASE_ZIP if base_files else None,
        "base_files": base_files,
    }
    io.write_json(out / MANIFEST, manifest)
    io.write_json(
        out / "dataset-metadata.json",
        {"id": f"{owner}/{kp.dataset_slug}", "title": kp.dataset_slug, "licenses": [{"name": kp.dataset_license}]},
    )
    return manifest


def kernel_metadata(kp: KaggleParams, owner: str) -> dict:
    """kernel-metadata.json's fields: built as data (json.dumps writes it), so no param value can add or
    change a field; the params are checked again here (the accelerator against ACCELERATORS)."""
    problems = kp.validate()
    if problems:
        raise ParamsError("train.kaggle", problems)
    return {
        "id": f"{owner}/{kp.kernel_slug}",
        "title": kp.kernel_slug,
        "code_file": KERNEL_CODE,
        "language": "python",
        "kernel_type": "script",
        "is_private": kp.private is not False,  # private unless explicitly turned off
        "enable_gpu": True,
        "enable_tpu": False,
        "enable_internet": kp.internet is True,
        "machine_shape": kp.accelerator,
        "dataset_sources": [f"{owner}/{kp.dataset_slug}"],
        "competition_sources": [],
        "kernel_sources": [],
        "model_sources": [],
    }


def render_kernel(kp: KaggleParams, owner: str, out: Path) -> Path:
    """kernel-metadata.json (from `kernel_metadata`) + the entry script, in `out`."""
    src = kernel_source()
    meta = kernel_metadata(kp, owner)
    (out / "kernel-metadata.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    shutil.copy2(src / KERNEL_CODE, out / KERNEL_CODE)
    return out


# ----------------------------------------------------------------------------------------- the stage


def upload(client: Client, bundle: Path, ref: str, notes: str) -> str:
    """Create the dataset or add a version to it; returns its URL."""
    exists = client("dataset_status", ref=ref)["status"] is not None
    r = (
        client("dataset_version", folder=str(bundle), notes=notes)
        if exists
        else client("dataset_create", folder=str(bundle))
    )
    if (r.get("status") or "").lower() != "ok" or r.get("error"):
        raise ToolError(f"kaggle dataset {ref}: upload refused: {r.get('error') or r.get('status')}", tool="kaggle")
    return r.get("url") or ""


def poll(
    check,
    *,
    what: str,
    interval: float,
    longest: float,
    timeout: float,
    progress: Progress,
    sleep=time.sleep,
    clock=time.monotonic,
) -> str:
    """Call `check()` until it returns a final state; waits double from `interval` up to `longest`."""
    start = clock()
    while True:
        state = check()
        if state is not None:
            return state
        elapsed = clock() - start
        if elapsed >= timeout:
            raise ToolError(
                f"{what}: not finished after {elapsed:.0f} s (train.kaggle.timeout={timeout:.0f})",
                tool="kaggle",
                param="train.kaggle.timeout",
            )
        progress(what, int(elapsed), int(timeout))
        sleep(min(interval, max(timeout - elapsed, 0.0)))
        interval = min(interval * 2, longest)


def output_name_problem(name) -> str | None:
    """Why a server-given output file name must not be written under an output folder, or None."""
    if not isinstance(name, str) or not name:
        return "not a file name"
    if "\0" in name:
        return "holds a NUL character"
    windows = PureWindowsPath(name)
    if name.startswith(("/", "\\")) or PurePosixPath(name).is_absolute() or windows.drive or windows.root:
        return "absolute"
    if ".." in name.replace("\\", "/").split("/"):
        return "holds '..'"
    return None


def output_refusal(folder: Path, name) -> str | None:
    """Why `folder / name` must not be written for a server-given `name` (absolute, holds `..`, or resolves
    outside `folder`, through a link say), or None."""
    why = output_name_problem(name)
    if why is None:
        real, root = (folder / name).resolve(), folder.resolve()
        if real == root or not real.is_relative_to(root):
            why = "resolves outside the output folder"
    return why


def output_target(folder: Path, name) -> Path:
    """`folder / name` for a server-given `name`; ValueError (the name cut short) when `output_refusal` says no."""
    why = output_refusal(folder, name)
    if why:
        raise ValueError(f"kernel output file {shorten(name)}: {why}")
    return folder / name


# Where the kernel's output lands: result.json, the adapter folder's files and the training report.
ADAPTER_OUTPUT = (*ADAPTER_FILES, TRAIN_CONFIG, "meta.json")


def expected_output(name: str) -> bool:
    """Whether a (checked) kernel output file is one this backend uses; any other is not downloaded."""
    parts = name.split("/")
    if parts == [RESULT]:
        return True
    if parts[0] == "adapter":
        return len(parts) == 2 and parts[1] in ADAPTER_OUTPUT
    return parts[0] == "reports" and len(parts) >= 2 and any(fnmatchcase(parts[1], pat) for pat in REPORT_FILES)


def download_output(client: Client, ref: str, slug: str, out: Path) -> list[str]:
    """The kernel's output into `out` (emptied first): listed first, and refused with a ToolError naming the
    file when any name is absolute, holds `..` or resolves outside; only the expected files are downloaded,
    into a fresh temp folder, then moved in. The log goes to `<slug>.log`. Returns what `out` now holds."""
    listing = client("kernel_output_list", ref=ref)
    entries = listing.get("files") or []
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    bad = []
    for entry in entries:
        name = entry.get("name") if isinstance(entry, dict) else None
        why = output_refusal(out, name)
        if why:
            bad.append(f"{shorten(name)} ({why})")
    if bad:
        raise ToolError(
            f"kaggle kernel {ref}: output refused, {len(bad)} file name(s) would be written outside the output "
            f"folder: {', '.join(bad[:3])}{' ...' if len(bad) > 3 else ''}",
            tool="kaggle",
        )
    wanted = {e["name"]: e for e in entries if expected_output(e["name"])}  # a name listed twice: fetched once
    names = sorted(wanted)
    with tempfile.TemporaryDirectory(prefix="cmd-correct-kaggle-output-") as tmp:
        fresh = Path(tmp)
        if wanted:
            client("kernel_output_fetch", folder=str(fresh), files=[wanted[n] for n in names])
        for name in names:
            got, dest = output_target(fresh, name), output_target(out, name)
            if got.is_symlink() or not got.is_file():
                raise ToolError(f"kaggle kernel {ref}: output file {shorten(name)} was not downloaded", tool="kaggle")
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(got, dest)
    if listing.get("log"):
        names.append(f"{slug}.log")
        (out / names[-1]).write_text(str(listing["log"]), encoding="utf-8")
    return names


def verify_output(out: Path, manifest: dict, base_dir: Path) -> dict:
    """Check the downloaded kernel output; returns the kernel's result.json. Raises ModelError naming the file."""
    result_path = out / RESULT
    if not result_path.is_file():
        raise ModelError(f"{out}: the kernel wrote no {RESULT} (see the kernel log)", path=out / RESULT)
    result = io.read_json(result_path)
    if result.get("status") != "ok":
        raise ModelError(
            f"{result_path}: the kernel reports status {result.get('status')!r}: {result.get('error')}",
            path=result_path,
            field="status",
        )
    if result.get("bundle") != manifest["id"]:
        raise ModelError(
            f"{result_path}: trained on bundle {result.get('bundle')}, uploaded {manifest['id']} "
            "(an older kernel run, or the kernel saw an older dataset version; rerun)",
            path=result_path,
            field="bundle",
        )
    adapter = out / "adapter"
    for name in ADAPTER_FILES:
        path = adapter / name
        if not path.is_file():
            raise ModelError(f"{path}: missing from the kernel output", path=path)
    for name, digest in (result.get("files") or {}).items():
        path = out / name
        if not path.is_file() or io.sha256_file(path) != digest:
            raise ModelError(
                f"{path}: missing or not the file the kernel wrote (sha256 mismatch)", path=path, field="sha256"
            )
    cfg = io.read_json(adapter / "adapter_config.json")
    if cfg.get("peft_type") != "LORA":
        raise ModelError(
            f"{adapter / 'adapter_config.json'}: peft_type {cfg.get('peft_type')!r}, expected LORA",
            path=adapter / "adapter_config.json",
            field="peft_type",
        )
    from safetensors import safe_open

    with safe_open(str(adapter / "adapter_model.safetensors"), "np") as f:
        keys = list(f.keys())
    if not keys or not all(".lora_A." in k or ".lora_B." in k for k in keys):
        raise ModelError(
            f"{adapter / 'adapter_model.safetensors'}: not LoRA A/B tensors", path=adapter / "adapter_model.safetensors"
        )
    local = base_dir / "meta.json"
    remote = result.get("base") or {}
    if local.is_file():
        mine = io.read_json(local)
        if (mine.get("source"), mine.get("sha256")) != (remote.get("source"), remote.get("sha256")):
            raise ModelError(
                f"{local}: the kernel trained on base {remote.get('source')} ({remote.get('sha256')}), "
                f"not this one ({mine.get('source')}, {mine.get('sha256')})",
                path=local,
                field="base",
            )
    return result


def train(
    params,
    *,
    seed: int,
    data_dir: Path,
    base_dir: Path,
    work_dir: Path,
    progress: Progress = noop_progress,
    sleep=time.sleep,
) -> common.Trained:
    """Train on a Kaggle GPU: upload, push, poll, download, verify; the adapter is kept in `work_dir`, the
    kernel's training log read back from its report (`train.Backend`)."""
    data_dir, base_dir, work_dir = map(Path, (data_dir, base_dir, work_dir))
    if importlib.util.find_spec("kaggle") is None:
        raise ToolError("train.backend=kaggle needs the kaggle client: pip install -e '.[kaggle]'", tool="kaggle")
    owner, key = credentials()
    secrets = secret_forms(key, owner)
    session = _Session(Client(key, params.kaggle.call_timeout, owner), params.kaggle, owner, progress, sleep)
    try:
        return _train(session, params, seed, data_dir, base_dir, work_dir)
    except CmdCorrectError as exc:  # the last line of defence: no error leaves here carrying the key
        text = scrub(str(exc), *secrets)
        if text == str(exc) or not isinstance(exc, (ToolError, ModelError)):
            raise
        raise type(exc)(text) from None


@dataclass
class _Session:
    """One training run's kaggle client, its dataset and kernel, and how it waits for them."""

    client: Client
    kp: KaggleParams
    owner: str
    progress: Progress
    sleep: Callable[[float], None]

    @property
    def dataset_ref(self) -> str:
        return f"{self.owner}/{self.kp.dataset_slug}"

    @property
    def kernel_ref(self) -> str:
        return f"{self.owner}/{self.kp.kernel_slug}"

    def wait(self, check: Callable[[], str | None], what: str) -> str:
        """`poll` with the params' intervals and timeout."""
        kp = self.kp
        return poll(
            check,
            what=what,
            interval=kp.poll_interval,
            longest=kp.poll_max,
            timeout=kp.timeout,
            progress=self.progress,
            sleep=self.sleep,
        )


def _train(k: _Session, params, seed, data_dir, base_dir, work_dir) -> common.Trained:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="cmd-correct-kaggle-") as tmp:
        tmp = Path(tmp)
        bundle, kernel, out = tmp / "bundle", tmp / "kernel", tmp / "output"
        for folder in (bundle, kernel, out):
            folder.mkdir()
        manifest = build_bundle(params, seed=seed, data_dir=data_dir, base_dir=base_dir, out=bundle, owner=k.owner)
        earlier = _earlier_run(k, manifest, base_dir, out)
        if earlier is None:
            _upload_data(k, manifest, bundle)
            pushed, files = _run_kernel(k, kernel, out)
            result = verify_output(out, manifest, base_dir)
        else:  # a job that ran out of time left this run going: collect it instead of training again
            pushed, files, result = {"version": None, "resumed": True}, earlier[0], earlier[1]
        result = scrub_obj(result, k.client.secrets)  # kernel text: kept, printed
        adapter = _keep(out, result, work_dir)
        history = common.read_history(out / "reports")

    summary = dict(result.get("summary") or {})
    remote_seconds = summary.get("seconds")
    summary.update(
        backend="kaggle",
        remote_backend=summary.get("backend", "torch"),
        remote_seconds=remote_seconds,
        seconds=time.perf_counter() - started,
        kernel=k.kernel_ref,
        kernel_version=pushed.get("version"),
        resumed=bool(pushed.get("resumed")),
        dataset=k.dataset_ref,
        bundle=manifest["id"],
        output_files=len(files),
    )
    save = functools.partial(shutil.copytree, adapter, dirs_exist_ok=True)
    return common.Trained(save=save, history=history, summary=summary)


def _earlier_run(k: _Session, manifest: dict, base_dir: Path, out: Path) -> tuple[list, dict] | None:
    """The kernel's current or last run when it trains this same bundle: (its files, its verified result).

    A run still going is waited for (train.kaggle.timeout) first. None when there is no run, it failed, or it
    trained another bundle; then the caller uploads and pushes as usual.
    """
    status = k.client("kernel_status", ref=k.kernel_ref)["status"]
    if status is None or status in FAILED:
        return None
    if status != DONE:

        def settled() -> str | None:
            state = k.client("kernel_status", ref=k.kernel_ref)["status"]
            return state if state == DONE or state in FAILED else None

        if k.wait(settled, f"kaggle: kernel {k.kernel_ref} (earlier run)") != DONE:
            return None
    files = download_output(k.client, k.kernel_ref, k.kp.kernel_slug, out)
    try:
        return files, verify_output(out, manifest, base_dir)
    except ModelError:  # another bundle's run (or a broken one): start ours from a clean folder
        shutil.rmtree(out)
        out.mkdir()
        return None


def _upload_data(k: _Session, manifest: dict, bundle: Path) -> None:
    """Upload the dataset built in `bundle` and wait until Kaggle has processed it."""
    k.progress("kaggle: upload data", 0, 1)
    upload(k.client, bundle, k.dataset_ref, f"cmd-correct bundle {manifest['id']}")

    def dataset_ready() -> str | None:
        status = k.client("dataset_status", ref=k.dataset_ref)["status"]
        if status == "failed":
            raise ToolError(f"kaggle dataset {k.dataset_ref}: processing failed", tool="kaggle")
        return status if status == "ready" else None

    k.wait(dataset_ready, "kaggle: dataset processing")
    k.progress("kaggle: upload data", 1, 1)


def _run_kernel(k: _Session, kernel: Path, out: Path) -> tuple[dict, list]:
    """Push the kernel from `kernel`, wait for its run, download its output to `out`; (push result, files).

    A run that did not complete raises ToolError with Kaggle's message, the entry script's and the log tail."""
    render_kernel(k.kp, k.owner, kernel)
    limit = str(k.kp.session_timeout) if k.kp.session_timeout else None  # Kaggle's run limit, seconds
    pushed = k.client("kernel_push", folder=str(kernel), timeout=limit)
    if pushed.get("error"):
        raise ToolError(f"kaggle kernel {k.kernel_ref}: push refused: {pushed['error']}", tool="kaggle")
    failure: dict = {}
    k.sleep(k.kp.poll_interval)  # right after a push the status may still be the previous run's

    def kernel_done() -> str | None:
        status = k.client("kernel_status", ref=k.kernel_ref)
        if status["status"] in FAILED:
            failure.update(status)
            return status["status"]
        return status["status"] if status["status"] == DONE else None

    state = k.wait(kernel_done, f"kaggle: kernel {k.kernel_ref}")
    files = download_output(k.client, k.kernel_ref, k.kp.kernel_slug, out)
    if state != DONE:
        secrets = k.client.secrets
        log = out / f"{k.kp.kernel_slug}.log"
        tail = scrub(log.read_text(encoding="utf-8", errors="replace"), *secrets)[-2000:] if log.is_file() else ""
        said = io.read_json(out / RESULT).get("error") if (out / RESULT).is_file() else None
        raise ToolError(
            f"kaggle kernel {k.kernel_ref} ended {state}: {failure.get('failure_message') or 'no message'}"
            + (f"\nentry script: {scrub(str(said), *secrets)}" if said else "")
            + (f"\nlog tail:\n{tail}" if tail else ""),
            tool="kaggle",
        )
    return pushed, files


def _keep(out: Path, result: dict, work_dir: Path) -> Path:
    """The verified adapter's files and the kernel's result.json, copied from the download folder into
    `work_dir`/adapter (replacing an earlier run's) for `train.run` to install; returns that folder."""
    adapter = work_dir / "adapter"
    shutil.rmtree(adapter, ignore_errors=True)
    (adapter / "kaggle").mkdir(parents=True)
    for name in ADAPTER_FILES:
        shutil.copy2(out / "adapter" / name, adapter / name)
    io.write_json(adapter / "kaggle" / RESULT, result)
    return adapter


if __name__ == "__main__":
    # Child process of `Client`: python -m cmd_correct.train.kaggle_backend <op> <json kwargs> <result file>
    _child(sys.argv[1], json.loads(sys.argv[2]), Path(sys.argv[3]))
