"""Kaggle kernel entry: install cmd-correct from the attached dataset, rebuild the base model, run the
torch training stage on the GPU and leave the adapter in /kaggle/working.

The dataset (built by `train.backend=kaggle`) holds train/valid.jsonl, params.yaml, our wheel,
cmd-correct-bundle.json (sha256 of every file) and, when the base model is not rebuilt here (a local
base.model, or train.kaggle.upload_base), base.zip. Output, in /kaggle/working:
  adapter/   PEFT adapter + train_config.json + meta.json (what `python -m cmd_correct train` writes)
  reports/   dvclive metrics.json + plots
  result.json  status, bundle id, training summary, sha256 of the adapter files, base model identity
Standard library only: it runs before our package is installed.
Environment: KAGGLE_INPUT / KAGGLE_WORKING replace /kaggle/input and /kaggle/working (the local end-to-end
test uses temp folders); CMD_CORRECT_PIP_ARGS adds pip options (e.g. `--no-deps --target DIR` offline).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import traceback
import zipfile
from pathlib import Path

MANIFEST = "cmd-correct-bundle.json"
# Printed by the installed package: which copy of cmd_correct the stages below run (recorded in result.json).
WHICH = "import cmd_correct, sys; print(cmd_correct.__version__, cmd_correct.__file__)"


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def find_bundle(root: Path) -> Path:
    """The attached dataset's folder (Kaggle mounts datasets at varying depths under /kaggle/input)."""
    hits = sorted(root.rglob(MANIFEST))
    if not hits:
        raise RuntimeError(f"no {MANIFEST} under {root}: is the cmd-correct dataset attached to this kernel?")
    if len(hits) > 1:
        raise RuntimeError(f"several {MANIFEST} under {root}: {', '.join(map(str, hits))}; attach one dataset")
    return hits[0].parent


def ok_file(path: Path, digest: str) -> bool:
    # Kaggle may unpack an uploaded zip into a folder of the same name; unpack_base checks its files.
    if path.suffix == ".zip" and path.is_dir():
        return True
    return path.is_file() and sha256(path) == digest


def installed(requirement: str) -> bool:
    """Whether `name==version` is already installed (Kaggle's image, or the local test's venv)."""
    name, _, version = requirement.partition("==")
    try:
        return importlib.metadata.version(name) == version
    except importlib.metadata.PackageNotFoundError:
        return False


def unpack_base(bundle: Path, manifest: dict, dest: Path) -> None:
    """models/base from the dataset's base.zip (or the folder Kaggle unpacked it to), checked file by file."""
    src = bundle / manifest["base_zip"]
    dest.mkdir(parents=True)
    if src.is_file():
        with zipfile.ZipFile(src) as zf:
            zf.extractall(dest)
    else:
        for p in src.iterdir():
            shutil.copy2(p, dest / p.name)
    bad = [name for name, digest in manifest["base_files"].items() if sha256(dest / name) != digest]
    if bad:
        raise RuntimeError(f"base model files differ from the manifest: {', '.join(bad)}")


def step(name: str, cmd: list[str], env: dict) -> str:
    """Run one command, echoing it and its stdout into the kernel log; returns stdout."""
    print(f"+ {' '.join(cmd)}", flush=True)
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, env=env)  # stderr goes straight to the log
    print(proc.stdout, end="", flush=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{name} failed with exit code {proc.returncode} (see the log above)")
    return proc.stdout


def main() -> int:
    input_root = Path(os.environ.get("KAGGLE_INPUT", "/kaggle/input"))
    working = Path(os.environ.get("KAGGLE_WORKING", "/kaggle/working"))
    working.mkdir(parents=True, exist_ok=True)
    result: dict = {"status": "error"}
    scratch = Path(tempfile.mkdtemp(prefix="cmd-correct-"))  # the base model: not worth downloading back
    env = dict(os.environ, CMD_CORRECT_NO_PROGRESS="1", OMP_WAIT_POLICY="passive", PYTHONUNBUFFERED="1")
    try:
        bundle = find_bundle(input_root)
        manifest = json.loads((bundle / MANIFEST).read_text(encoding="utf-8"))
        result["bundle"] = manifest["id"]
        bad = [name for name, digest in manifest["files"].items() if not ok_file(bundle / name, digest)]
        if bad:
            raise RuntimeError(f"dataset files differ from the manifest: {', '.join(bad)}")

        wheel = bundle / manifest["wheel"]
        pip = [sys.executable, "-m", "pip", "install", "--quiet", f"{wheel}[{manifest['extras']}]"]
        pip += [r for r in manifest.get("requirements", []) if not installed(r)]
        pip += shlex.split(os.environ.get("CMD_CORRECT_PIP_ARGS", ""))
        step("pip install", pip, env)
        result["package"] = step("import", [sys.executable, "-c", WHICH], env).strip()

        params = bundle / "params.yaml"
        cc = [sys.executable, "-m", "cmd_correct"]
        base = scratch / "base"
        if manifest.get("base_zip"):
            unpack_base(bundle, manifest, base)
        else:
            step("base", [*cc, "base", str(base), "--params", str(params)], env)
        out = step(
            "train",
            [
                *cc,
                "train",
                str(bundle),
                str(scratch / "base"),
                str(working / "adapter"),
                str(working / "reports"),
                "--params",
                str(params),
            ],
            env,
        )
        base_meta = json.loads((base / "meta.json").read_text(encoding="utf-8"))
        files = sorted(p for p in (working / "adapter").rglob("*") if p.is_file())
        result.update(
            status="ok",
            summary=json.loads(out.strip().splitlines()[-1]),
            files={p.relative_to(working).as_posix(): sha256(p) for p in files},
            base={k: base_meta.get(k) for k in ("source", "revision", "sha256", "package_version")},
        )
        return 0
    except Exception as e:  # the kernel log and result.json must say what failed, whatever it was
        traceback.print_exc()
        result["error"] = f"{type(e).__name__}: {e}"
        return 1
    finally:
        (working / "result.json").write_text(json.dumps(result, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
