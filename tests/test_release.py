"""release: each refusal, the dry-run bundle, and the upload against a loopback stand-in for huggingface.co.

The upload tests run the real huggingface_hub client against tests/hub_server.py, a local HTTP server that
stands in for the Hugging Face Hub (huggingface.co): create_repo, validate-yaml, preupload, LFS batch/upload/
verify, the NDJSON commit and paths-info. Nothing leaves the machine. Each test works in a temp git + DVC
repository whose one stage writes a small fake GGUF, an imatrix and metrics.json, so `dvc status`,
dvc.lock and `git tag` are all real.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from cmd_correct import gate, release
from cmd_correct import params as P
from cmd_correct.errors import ParamsError, ReleaseError

sys.path.insert(0, str(Path(__file__).parent))
from hub_server import FakeHub, Repo  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
FAKE_TOKEN = "hf_FAKEtok3n_9f8e7d6c5b4a_never_print_me"
GOOD_METRICS = {
    "f16": {
        "exact_match": 0.41,
        "exact_match_by_shell": dict.fromkeys(("bash", "zsh", "powershell", "cmd", "fish", "tcsh"), 0.4),
        "ppl": 3.1,
        "ppl_ratio": 1.0,
    },
    "Q4_K_M": {
        "exact_match": 0.50,  # above params.yaml's gate floors (the measured run minus 3 standard errors)
        "exact_match_by_shell": {
            "bash": 0.60,
            "zsh": 0.58,
            "powershell": 0.36,
            "cmd": 0.31,
            "fish": 0.45,
            "tcsh": 0.45,
        },
        "exact_match_by_family": {"single": 0.5, "chained": 0.3, "natural": 0.25, "tools": 0.45},
        "ppl": 3.3,
        "ppl_ratio": 1.017,
        "kld_mean": 0.0366,
        "kld_p99": 0.9,
        "same_top_pct": 85.7,
        "latency_ms_p50": 330,
        "latency_ms_p95": 610,
        "tokens_per_s": 72.0,
        "size_mb": 0.07,
        "identity_preserved": 0.9,
        "echo_rate": 0.05,
        "load_ms": 120.0,
        "acceptance_passed": 2,
        "acceptance_total": 3,
        "acceptance_checklist": {"fix:gti-status": True, "fix:ls-la": True, "valid:dir": False},
    },
    "baselines": {"base": {"exact_match": 0.02}, "thefuck": {"exact_match": 0.12, "n_cases": 140}},
    "settings": {"threads": 2, "omp_wait_policy": "passive", "n_cases": 1000},
}
QUANT_META = {"types": {"Q4_K_M": {"fallback_tensors": 90, "fallback_to": {"q8_0": 90}}}}  # quantize's meta.json
# The stage script of the temp repo: deterministic fake outputs (a GGUF header + bytes, not a real model).
MAKE_OUTPUTS = f"""
import json, os, struct
os.makedirs("models/quant", exist_ok=True); os.makedirs("models/imatrix", exist_ok=True)
blob = bytes(range(256)) * 256
open("models/quant/model-Q4_K_M.gguf", "wb").write(b"GGUF" + struct.pack("<IQQ", 3, 30, 20) + blob)
open("models/quant/meta.json", "w").write({json.dumps(QUANT_META)!r})
open("models/imatrix/imatrix.gguf", "wb").write(b"GGUF" + struct.pack("<IQQ", 3, 60, 4) + blob[::-1])
open("metrics.json", "w").write(json.dumps(json.loads({json.dumps(GOOD_METRICS)!r}), indent=2, sort_keys=True))
"""


def _sh(cwd: Path, *cmd: str) -> str:
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    assert r.returncode == 0, f"{cmd}: {r.stderr}"
    return r.stdout


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    for k, v in {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
        "DVC_NO_ANALYTICS": "1",
    }.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    # The fake Hub serves the LFS protocol; hf_xet would otherwise upload to a Xet CAS server.
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_DISABLE_XET", True)


@pytest.fixture(scope="module")
def template_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A committed git + DVC repo after `dvc repro` (built once; tests copy it)."""
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
        "DVC_NO_ANALYTICS": "1",
    }
    repo = tmp_path_factory.mktemp("release_repo")
    raw = yaml.safe_load((ROOT / "params.yaml").read_text())
    raw["gates"]["gguf_valid"] = False  # fake GGUF bytes here; the validator itself is tested in test_gate
    (repo / "params.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    (repo / "make_outputs.py").write_text(MAKE_OUTPUTS)
    stage = {
        "cmd": f"{sys.executable} make_outputs.py",
        "deps": ["make_outputs.py"],
        "outs": ["models/quant", "models/imatrix"],
        "metrics": [{"metrics.json": {"cache": False}}],
    }
    (repo / "dvc.yaml").write_text(yaml.safe_dump({"stages": {"evaluate": stage}}))
    for cmd in (
        ["git", "init", "-q"],
        ["dvc", "init", "-q"],
        ["dvc", "repro", "-q"],
        ["git", "add", "-A"],
        ["git", "commit", "-qm", "pipeline"],
    ):
        r = subprocess.run(cmd, cwd=repo, capture_output=True, text=True, env=env)
        assert r.returncode == 0, f"{cmd}: {r.stderr}"
    return repo


@pytest.fixture
def repo(template_repo: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "repo"
    shutil.copytree(template_repo, dst, symlinks=True)
    return dst


def _load(repo: Path):
    raw = P.load(repo / "params.yaml")
    return P.section("release", raw), P.section("gates", raw), raw


def _release(repo: Path, **kw) -> release.Result:
    params, gates, raw = _load(repo)
    return release.run(params, gates, raw, release.Inputs(repo=repo), **kw)


def _refusal(repo: Path, **kw) -> str:
    with pytest.raises(ReleaseError) as e:
        _release(repo, **kw)
    return str(e.value)


# -- refusals -------------------------------------------------------------------------------------------


def _refusals(repo: Path) -> list[str]:
    """What release.preconditions says about `repo` for a real (not dry) 0.1.0 upload."""
    params, gates, raw = _load(repo)
    return release.preconditions(
        params, gates, raw, release.Inputs(repo=repo), version="0.1.0", dry_run=False, token=FAKE_TOKEN
    )


def test_clean_repo_has_no_refusals(repo: Path) -> None:
    assert _refusals(repo) == []


def test_refuses_non_semver_version(repo: Path) -> None:
    assert "version '1.0' is not semver" in _refusal(repo, version="1.0", dry_run=True)


def test_refuses_a_version_already_tagged(repo: Path) -> None:
    _sh(repo, "git", "tag", "cmd-correct@v0.1.0")
    assert "already released: tag cmd-correct@v0.1.0 exists" in _refusal(repo, version="0.1.0", dry_run=True)


def test_refuses_a_version_older_than_the_last_release(repo: Path) -> None:
    _sh(repo, "git", "tag", "cmd-correct@v0.10.0")
    _sh(repo, "git", "tag", "cmd-correct@v0.9.0")  # numeric order, not text order: 0.10.0 is the newest
    assert "not newer than the last release 0.10.0" in _refusal(repo, version="0.9.1", dry_run=True)
    assert "not newer" in _refusal(repo, version="0.10.0-rc.1", dry_run=True)  # a pre-release precedes it
    _sh(repo, "git", "tag", "cmd-correct@v0.11.0-rc.2")
    _sh(repo, "git", "tag", "cmd-correct@v0.11.0-rc.10")  # pre-release numbers compare as numbers too
    _sh(repo, "git", "tag", "cmd-correct@vnext")  # not semver: ignored
    assert release.newest_released(repo) == "0.11.0-rc.10"
    assert "not newer than the last release 0.11.0-rc.10" in _refusal(repo, version="0.11.0-rc.9", dry_run=True)


def test_gate_compares_against_the_release_tags(repo: Path) -> None:
    # One tag prefix (gate.TAG_PREFIX): the tags release makes are the ones the gate takes as its reference.
    _sh(repo, "git", "tag", release.TAG_PREFIX + "0.1.0")
    _sh(repo, "git", "tag", "other@v9.0.0")
    assert gate.latest_release_tag(repo) == release.TAG_PREFIX + "0.1.0"


def test_refuses_without_hf_token_unless_dry_run(repo: Path) -> None:
    assert "HF_TOKEN is not set" in _refusal(repo, version="0.1.0", token=None)
    assert _release(repo, version="0.1.0", dry_run=True, token=None).bundle is not None


def test_refuses_when_dvc_status_is_not_clean(repo: Path) -> None:
    with (repo / "make_outputs.py").open("a") as f:
        f.write("# changed\n")
    msg = _refusal(repo, version="0.1.0", dry_run=True)
    assert "dvc status is not clean (evaluate)" in msg


def test_outputs_not_pulled_are_no_refusal_but_a_changed_one_is(repo: Path) -> None:
    # A release job pulls only the GGUF and the imatrix (scale issue: 1.7B's other outputs are ~10 GB).
    stages = yaml.safe_load((repo / "dvc.yaml").read_text())
    stages["stages"]["fuse"] = {"cmd": "mkdir -p models/fused && echo w > models/fused/w.bin", "outs": ["models/fused"]}
    stages["stages"]["evaluate"]["deps"].append("models/fused")
    (repo / "dvc.yaml").write_text(yaml.safe_dump(stages))
    _sh(repo, "dvc", "repro", "-q")
    _sh(repo, "git", "add", "-A")
    _sh(repo, "git", "commit", "-qm", "two stages")
    shutil.rmtree(repo / "models" / "fused")  # as after `dvc pull models/quant models/imatrix` in a fresh clone
    _sh(repo, "dvc", "gc", "-w", "-f", "-q")
    params, gates, raw = _load(repo)
    assert (
        release.preconditions(params, gates, raw, release.Inputs(repo=repo), version="0.1.0", dry_run=True, token=None)
        == []
    )
    (repo / "models" / "fused").mkdir()
    (repo / "models" / "fused" / "w.bin").write_text("edited\n")
    assert "dvc status is not clean (evaluate, fuse)" in _refusal(repo, version="0.1.0", dry_run=True)


def test_refuses_metrics_that_do_not_match_dvc_lock(repo: Path) -> None:
    m = json.loads((repo / "metrics.json").read_text())
    m["Q4_K_M"]["exact_match"] = 0.99  # a hand-edited metric
    (repo / "metrics.json").write_text(json.dumps(m))
    assert "metrics.json does not match dvc.lock" in _refusal(repo, version="0.1.0", dry_run=True)


def test_refuses_when_the_gate_fails(repo: Path) -> None:
    raw = yaml.safe_load((repo / "params.yaml").read_text())
    raw["gates"]["exact_match_min"] = 0.9
    (repo / "params.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    assert "gate failed (Q4_K_M.exact_match)" in _refusal(repo, version="0.1.0", dry_run=True)


def test_refuses_to_tag_uncommitted_dvc_lock(repo: Path) -> None:
    with (repo / "dvc.lock").open("a") as f:
        f.write("\n")
    assert "uncommitted changes" in _refusal(repo, version="0.1.0", token=FAKE_TOKEN)


def test_lists_every_refusal_on_its_own_line(repo: Path) -> None:
    _sh(repo, "git", "tag", "cmd-correct@v0.1.0")
    lines = _refusal(repo, version="0.1.0", token=None).splitlines()
    assert lines[0] == "release 0.1.0 refused (2):"
    assert any("already released" in ln for ln in lines) and any("HF_TOKEN" in ln for ln in lines)


# -- dry run --------------------------------------------------------------------------------------------


def test_dry_run_writes_exactly_the_upload_and_the_commit_message(repo: Path) -> None:
    res = _release(repo, version="0.1.0", dry_run=True)
    out = repo / "dist" / "release"
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert written == [
        "README.md",
        "cmd-correct-smollm2-135m.gguf",
        "cmd-correct-smollm2-135m/README.md",
        "cmd-correct-smollm2-135m/imatrix.gguf",
        "cmd-correct-smollm2-135m/metrics.json",
        "commit_message.txt",
    ]
    for name, sha in res.files.items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == sha
    assert (out / "cmd-correct-smollm2-135m.gguf").read_bytes() == (
        repo / "models/quant/model-Q4_K_M.gguf"
    ).read_bytes()
    msg = (out / "commit_message.txt").read_text()
    git_sha = _sh(repo, "git", "rev-parse", "HEAD").strip()
    lock_sha = hashlib.sha256((repo / "dvc.lock").read_bytes()).hexdigest()
    assert msg.startswith("Release cmd-correct-smollm2-135m 0.1.0 (Q4_K_M)\n")
    assert f"git: {git_sha}" in msg and f"dvc.lock sha256: {lock_sha}" in msg and "version: 0.1.0" in msg
    assert (
        "90 tensors of this Q4_K_M file fell back to another quantization type (q8_0: 90)"
        in (out / "cmd-correct-smollm2-135m/README.md").read_text()
    )  # from models/quant/meta.json
    card = (out / "cmd-correct-smollm2-135m/README.md").read_text()
    assert "- [ ] `valid:dir`" in card and "- [x] `fix:ls-la`" in card and "90.0%" in card  # fix's view
    assert "--revision cmd-correct-smollm2-135m-v0.1.0" in card  # how to pin this release
    assert _sh(repo, "git", "tag", "--list") == ""  # a dry run tags nothing


# -- upload against the loopback Hub --------------------------------------------------------------------


def test_test_tier_uploads_one_verified_commit_to_a_private_repo(repo: Path) -> None:
    with FakeHub(FAKE_TOKEN) as hub:
        res = _release(repo, version="0.1.0", tier="test", token=FAKE_TOKEN, endpoint=hub.url)
    r = hub.repos["animeshkundu/cmd-correct-test"]
    assert r.private and len(r.commits) == 1 and not hub.unhandled
    c = r.commits[0]
    assert sorted(c.files) == [
        "README.md",
        "cmd-correct-smollm2-135m.gguf",
        "cmd-correct-smollm2-135m/README.md",
        "cmd-correct-smollm2-135m/imatrix.gguf",
        "cmd-correct-smollm2-135m/metrics.json",
    ]
    assert r.tags == {"cmd-correct-smollm2-135m-v0.1.0": c.oid}
    # the GGUF went through LFS, and what the Hub holds is byte-for-byte what we have
    gguf = c.files["cmd-correct-smollm2-135m.gguf"]
    local = (repo / "models/quant/model-Q4_K_M.gguf").read_bytes()
    assert gguf["lfs"]["oid"] == hashlib.sha256(local).hexdigest() == res.files["cmd-correct-smollm2-135m.gguf"]
    name = "cmd-correct-smollm2-135m"
    assert hub.file_bytes(r.repo_id, f"{name}/metrics.json") == (repo / "metrics.json").read_bytes()
    assert hub.file_bytes(r.repo_id, f"{name}/imatrix.gguf") == (repo / "models/imatrix/imatrix.gguf").read_bytes()
    assert c.summary == "Release cmd-correct-smollm2-135m 0.1.0 (Q4_K_M)"
    assert f"git: {_sh(repo, 'git', 'rev-parse', 'HEAD').strip()}" in c.description
    assert f"dvc.lock sha256: {hashlib.sha256((repo / 'dvc.lock').read_bytes()).hexdigest()}" in c.description
    assert res.commit_url.endswith(c.oid)
    assert res.tag is None and _sh(repo, "git", "tag", "--list") == ""  # the public release tags, not the test one
    # every API call carried the token; the "S3" upload did not (it never should leave the Hub API)
    assert all(authed for m, p, authed in hub.requests if not p.startswith("/lfs-upload/"))
    assert not any(authed for m, p, authed in hub.requests if p.startswith("/lfs-upload/"))


def test_public_tier_reuses_an_existing_repo_tags_and_prints_gh_command(repo: Path) -> None:
    with FakeHub(FAKE_TOKEN) as hub:
        hub.repos["animeshkundu/cmd-correct"] = Repo("animeshkundu/cmd-correct", False)
        res = _release(
            repo, version="0.1.0", tier="public", token=FAKE_TOKEN, endpoint=hub.url, allow_embedded_public=True
        )
    assert len(hub.repos["animeshkundu/cmd-correct"].commits) == 1
    assert res.tag == "cmd-correct@v0.1.0"
    assert _sh(repo, "git", "tag", "--list").split() == ["cmd-correct@v0.1.0"]
    assert _sh(repo, "git", "rev-parse", "cmd-correct@v0.1.0^{commit}") == _sh(repo, "git", "rev-parse", "HEAD")
    assert res.gh_command.startswith("gh release create cmd-correct@v0.1.0 --title ")
    # the new tag makes the same version a refusal next time
    assert "already released" in _refusal(repo, version="0.1.0", token=FAKE_TOKEN)


def test_public_tier_tags_on_a_runner_without_git_identity(repo: Path, monkeypatch, tmp_path: Path) -> None:
    for k in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.gitconfig, like a fresh CI runner
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    with FakeHub(FAKE_TOKEN) as hub:
        res = _release(
            repo, version="0.1.0", tier="public", token=FAKE_TOKEN, endpoint=hub.url, allow_embedded_public=True
        )
    assert "tagger cmd-correct release" in _sh(repo, "git", "cat-file", "-p", res.tag)


def test_upload_that_does_not_verify_is_refused_and_not_tagged(repo: Path) -> None:
    with FakeHub(FAKE_TOKEN) as hub:
        hub.tamper_sha256 = True
        with pytest.raises(ReleaseError) as err:
            _release(
                repo, version="0.1.0", tier="public", token=FAKE_TOKEN, endpoint=hub.url, allow_embedded_public=True
            )
    # one problem per tampered file, the released GGUF among them
    assert "cmd-correct-smollm2-135m.gguf" in {p.split(": ")[0] for p in err.value.problems if "remote sha256" in p}
    assert _sh(repo, "git", "tag", "--list") == ""


def test_wrong_token_is_one_line_error_without_the_token(repo: Path) -> None:
    with FakeHub("hf_the_right_one") as hub, pytest.raises(ReleaseError) as e:
        _release(repo, version="0.1.0", tier="test", token=FAKE_TOKEN, endpoint=hub.url)
    assert "animeshkundu/cmd-correct-test" in str(e.value) and "failed: Invalid credentials" in str(e.value)
    assert FAKE_TOKEN not in str(e.value) and "\n" not in str(e.value)


def test_token_never_reaches_output_files_git_or_the_hub_content(repo: Path, monkeypatch, capfd) -> None:
    """The CLI end to end (dry run, test tier, public tier), then a scan of everything it could leak into."""
    monkeypatch.chdir(repo)
    monkeypatch.setenv("HF_TOKEN", FAKE_TOKEN)
    monkeypatch.setenv("CMD_CORRECT_NO_PROGRESS", "1")
    with FakeHub(FAKE_TOKEN) as hub:
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        assert release.main(["--version", "0.2.0", "--dry-run"]) == 0
        assert release.main(["--version", "0.2.0", "--tier", "test"]) == 0
        assert release.main(["--version", "0.2.0", "--tier", "public", "--allow-embedded-public"]) == 0
    out, err = capfd.readouterr()
    assert "uploaded and verified" in out and "cmd-correct@v0.2.0" in out
    assert FAKE_TOKEN not in out and FAKE_TOKEN not in err
    leaked = [p for p in repo.rglob("*") if p.is_file() and FAKE_TOKEN.encode() in p.read_bytes()]
    assert leaked == []
    tag_message = _sh(repo, "git", "cat-file", "-p", "cmd-correct@v0.2.0")
    assert FAKE_TOKEN not in tag_message
    for r in hub.repos.values():
        for c in r.commits:
            assert FAKE_TOKEN not in c.summary + c.description
            for path in c.files:
                assert FAKE_TOKEN.encode() not in hub.file_bytes(r.repo_id, path)


def test_the_embedded_default_goes_to_the_test_tier_only_unless_allowed(repo: Path) -> None:
    params, gates, raw = _load(repo)
    assert raw["base"]["model"].startswith("embedded:")
    why = release.preconditions(
        params, gates, raw, release.Inputs(repo=repo), version="0.1.0", dry_run=True, token=None, tier="public"
    )
    assert len(why) == 1 and "test tier only" in why[0] and "--allow-embedded-public" in why[0]
    assert not release.preconditions(
        params, gates, raw, release.Inputs(repo=repo), version="0.1.0", dry_run=True, token=None, tier="test"
    )


def test_one_hub_repo_holds_several_models_and_a_release_keeps_the_others(repo: Path) -> None:
    """Loopback Hub (tests/hub_server.py stands in for huggingface.co): release A, then B, then A again."""
    import dataclasses

    params, gates, raw = _load(repo)
    a = dataclasses.replace(params, model_name="qwen3-correct-0.6B")
    b = dataclasses.replace(params, model_name="qwen3-correct-1.7B")

    def ship(p, version):
        return release.run(
            p, gates, raw, release.Inputs(repo=repo), version=version, token=FAKE_TOKEN, endpoint=hub.url
        )

    with FakeHub(FAKE_TOKEN) as hub:
        ship(a, "0.1.0")
        ship(b, "0.1.0")
        r = hub.repos["animeshkundu/cmd-correct-test"]
        b_files = {p: f for p, f in r.tree.items() if p.startswith("qwen3-correct-1.7B")}
        ship(a, "0.2.0")
        with pytest.raises(ReleaseError, match="already has the tag qwen3-correct-1.7B-v0.1.0"):
            ship(b, "0.1.0")
        root = hub.file_bytes(r.repo_id, "README.md").decode()
    assert not hub.unhandled
    assert {p: f for p, f in r.tree.items() if p.startswith("qwen3-correct-1.7B")} == b_files  # B untouched
    assert sorted(p for p in r.tree if "/" not in p) == [
        "README.md",
        "qwen3-correct-0.6B.gguf",
        "qwen3-correct-1.7B.gguf",
    ]
    assert sorted(r.tags) == ["qwen3-correct-0.6B-v0.1.0", "qwen3-correct-0.6B-v0.2.0", "qwen3-correct-1.7B-v0.1.0"]
    assert r.tags["qwen3-correct-1.7B-v0.1.0"] == r.commits[1].oid
    meta = yaml.safe_load(root.split("---\n")[1])
    assert [e["name"] for e in meta["model-index"]] == ["qwen3-correct-1.7B", "qwen3-correct-0.6B"]
    rows = {ln.split(" | ")[0][2:]: ln for ln in root.splitlines() if ln.startswith("| qwen3-correct-")}
    assert sorted(rows) == ["qwen3-correct-0.6B", "qwen3-correct-1.7B"]
    assert "| 0.2.0 | `qwen3-correct-0.6B-v0.2.0` |" in rows["qwen3-correct-0.6B"]
    assert "| 0.1.0 | `qwen3-correct-1.7B-v0.1.0` |" in rows["qwen3-correct-1.7B"]
    card_a = hub.file_bytes(r.repo_id, "qwen3-correct-0.6B/README.md").decode()
    assert "qwen3-correct-0.6B (Q4_K_M GGUF) v0.2.0" in card_a and "--revision qwen3-correct-0.6B-v0.2.0" in card_a


def test_every_real_profile_ships_under_the_name_fix_downloads() -> None:
    # fix downloads <name>.gguf from the repo root: qwen3-correct-0.6B is its default, 1.7B its other model.
    names = {
        c.name: P.section("release", P.load(ROOT / "params.yaml", [c])).model_name
        for c in sorted((ROOT / "configs").glob("qwen3-*.yaml"))
    }
    assert names == {
        "qwen3-0.6b-mlx.yaml": "qwen3-correct-0.6B",
        "qwen3-1.7b-kaggle.yaml": "qwen3-correct-1.7B",
        "qwen3-1.7b-mlx.yaml": "qwen3-correct-1.7B",
        "qwen3-4b-kaggle.yaml": "qwen3-correct-4B",
        "qwen3-wit-1.7b-kaggle.yaml": "qwen3-wit-1.7B",
    }
    assert P.section("release", P.load(ROOT / "params.yaml")).model_name == "cmd-correct-smollm2-135m"


def test_release_section_validates() -> None:
    with pytest.raises(ParamsError) as err:
        P.build(release.Params, {"model_name": "x.gguf"}, where="release")
    assert err.value.params == ("release.model_name",)
    assert gate.Params().quant_types == [release.Params().quant_type]


# -- issue 10: the dry-run bundle never replaces what release did not write -----------------------------


@pytest.mark.parametrize("out", [".", "models/quant", "src"])
def test_dry_run_refuses_an_out_folder_it_did_not_write(repo: Path, out: str) -> None:
    # Regression: `release --dry-run --out .` replaced the whole repository, .git included.
    (repo / "src").mkdir()
    (repo / "src" / "keep.py").write_text("x = 1\n")
    before = sorted(p.relative_to(repo).as_posix() for p in repo.rglob("*") if ".git" not in p.parts)
    params, gates, raw = _load(repo)
    with pytest.raises(ReleaseError) as err:
        release.run(params, gates, raw, release.Inputs(repo=repo, out_dir=Path(out)), version="0.1.0", dry_run=True)
    [line] = [ln.strip() for ln in str(err.value).splitlines()[1:]]
    assert line.startswith(f"--out {repo / out}: ")
    assert (repo / ".git" / "HEAD").is_file()
    assert sorted(p.relative_to(repo).as_posix() for p in repo.rglob("*") if ".git" not in p.parts) == before


def test_dry_run_replaces_its_own_earlier_bundle(repo: Path) -> None:
    _release(repo, version="0.1.0", dry_run=True)
    res = _release(repo, version="0.1.0", dry_run=True)
    assert res.bundle == repo / "dist" / "release" and (res.bundle / "commit_message.txt").is_file()


# -- issue 23, item 5: release provenance ---------------------------------------------------------------


def _commit_all(repo: Path, message: str) -> None:
    _sh(repo, "git", "add", "-A")
    _sh(repo, "git", "commit", "-qm", message)


def test_refuses_an_uncommitted_change_to_any_tracked_file(repo: Path) -> None:
    # Regression: only dvc.lock, params.yaml and metrics.json were looked at, so an edited gate.py shipped.
    (repo / "src" / "cmd_correct").mkdir(parents=True)
    gate_py = repo / "src" / "cmd_correct" / "gate.py"
    gate_py.write_text("EXACT_MATCH_MIN = 0.45\n")
    _commit_all(repo, "code")
    gate_py.write_text("EXACT_MATCH_MIN = 0.0\n")
    msg = _refusal(repo, version="0.1.0", token=FAKE_TOKEN)
    assert "uncommitted changes to tracked files (src/cmd_correct/gate.py)" in msg
    _sh(repo, "git", "add", "-A")  # staged is no better than unstaged
    assert "uncommitted changes to tracked files (src/cmd_correct/gate.py)" in _refusal(
        repo, version="0.1.0", token=FAKE_TOKEN
    )
    # A dry run still writes its bundle (a preview), and says what an upload would refuse.
    res = _release(repo, version="0.1.0", dry_run=True)
    assert any("an upload would refuse: uncommitted changes" in n for n in res.notes)


def test_untracked_files_are_no_refusal(repo: Path) -> None:
    (repo / "notes.txt").write_text("scratch\n")
    assert _refusals(repo) == []


def test_a_failing_git_status_is_a_refusal_not_clean(repo: Path) -> None:
    (repo / ".git" / "index").write_bytes(b"DIRC not an index")  # git status exits 128
    msg = _refusal(repo, version="0.1.0", token=FAKE_TOKEN)
    assert "git status failed (exit 128)" in msg


def test_refuses_params_from_outside_the_repo_or_untracked(repo: Path, tmp_path: Path, monkeypatch) -> None:
    # Regression: `--params /elsewhere.yaml` made `git status -- /elsewhere.yaml` fail, which read as clean.
    outside = tmp_path / "elsewhere.yaml"
    shutil.copyfile(repo / "params.yaml", outside)
    params, gates, raw = _load(repo)
    for dry_run in (False, True):
        why = release.preconditions(
            params,
            gates,
            raw,
            release.Inputs(repo=repo, params=outside),
            version="0.1.0",
            dry_run=dry_run,
            token=FAKE_TOKEN,
        )
        assert why == [f"--params {outside} is outside the repository {repo.resolve()}: release from its params.yaml"]
    (repo / "mine.yaml").symlink_to(outside)  # a link inside that leads outside is outside
    why = release.preconditions(
        params, gates, raw, release.Inputs(repo=repo, params=Path("mine.yaml")), version="0.1.0", dry_run=False,
        token=FAKE_TOKEN,
    )  # fmt: skip
    assert len(why) == 1 and "is outside the repository" in why[0]
    (repo / "mine.yaml").unlink()
    shutil.copyfile(repo / "params.yaml", repo / "mine.yaml")  # inside, but HEAD does not record it
    why = release.preconditions(
        params, gates, raw, release.Inputs(repo=repo, params=Path("mine.yaml")), version="0.1.0", dry_run=False,
        token=FAKE_TOKEN,
    )  # fmt: skip
    assert len(why) == 1 and why[0].startswith("--params mine.yaml is not tracked by git")
    # The CLI end to end: --params from outside is refused.
    monkeypatch.chdir(repo)
    monkeypatch.setenv("CMD_CORRECT_NO_PROGRESS", "1")
    monkeypatch.setenv("HF_TOKEN", FAKE_TOKEN)
    with pytest.raises(ReleaseError, match="is outside the repository"):
        release.main(["--version", "0.1.0", "--params", str(outside)])


def test_the_newest_release_is_the_reference_and_head_must_descend_from_it(repo: Path) -> None:
    # Regression: the reference was the newest tag reachable from HEAD, so a branch cut before the last
    # release compared with an older one (or none) and skipped the regression check.
    _sh(repo, "git", "branch", "before-release")
    (repo / "CHANGES").write_text("0.1.0\n")
    _commit_all(repo, "release 0.1.0")
    _sh(repo, "git", "tag", "cmd-correct@v0.1.0")
    _sh(repo, "git", "checkout", "-q", "before-release")
    assert gate.latest_release_tag(repo) == "cmd-correct@v0.1.0"
    assert release.newest_released(repo) == "0.1.0"
    msg = _refusal(repo, version="0.2.0", dry_run=True)
    assert "HEAD does not descend from the last release cmd-correct@v0.1.0" in msg
    # Once the branch holds the release (a merge here), it may release, and the gate compares with 0.1.0.
    _sh(repo, "git", "merge", "-q", "--ff-only", "cmd-correct@v0.1.0")
    params, gates, raw = _load(repo)
    assert (
        release.preconditions(params, gates, raw, release.Inputs(repo=repo), version="0.2.0", dry_run=True, token=None)
        == []
    )
    res = gate.run(gates, metrics_path=repo / "metrics.json", quant_dir=repo / "models/quant", repo=repo)
    assert res.ref == "cmd-correct@v0.1.0" and any(" vs cmd-correct@v0.1.0" in r.metric for r in res.rows)


def test_a_params_only_change_is_a_refusal_not_a_crash(repo: Path) -> None:
    # Regression: `dvc status --json` shows a changed param as {"params.yaml": {"evaluate.n_cases": "modified"}},
    # a dict where the other deps have a string, and `release --dry-run` died with "TypeError: unhashable type".
    stages = yaml.safe_load((repo / "dvc.yaml").read_text())
    stages["stages"]["evaluate"]["params"] = ["evaluate.n_cases"]
    (repo / "dvc.yaml").write_text(yaml.safe_dump(stages))
    _sh(repo, "dvc", "repro", "-q")
    _commit_all(repo, "evaluate reads a param")
    raw = yaml.safe_load((repo / "params.yaml").read_text())
    raw["evaluate"]["n_cases"] += 1
    (repo / "params.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    assert "dvc status is not clean (evaluate)" in _refusal(repo, version="0.1.0", dry_run=True)
    del raw["evaluate"]["n_cases"]  # a deleted param is a change too, not absent data
    (repo / "params.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    assert "dvc status is not clean (evaluate)" in _refusal(repo, version="0.1.0", dry_run=True)
    deleted_param = {"evaluate": [{"changed deps": {"params.yaml": {"evaluate.n_cases": "deleted"}}}]}
    assert list(release.real_changes(deleted_param)) == ["evaluate"]
    absent = {"q": [{"changed outs": {"models/quant": "deleted"}}, {"changed deps": {"x": "not in cache"}}]}
    assert release.real_changes(absent) == {}
    assert release.real_changes({"s": ["changed command"]}) == {"s": ["changed command"]}


def test_metrics_out_of_range_are_refused_one_line_each(repo: Path) -> None:
    # The stage itself writes them (dvc.lock matches): the gate's ranges are what refuse them.
    with (repo / "make_outputs.py").open("a") as f:
        f.write(
            'm = json.load(open("metrics.json")); m["Q4_K_M"]["exact_match"] = float("inf")\n'
            'm["Q4_K_M"]["latency_ms_p95"] = -5\n'
            'open("metrics.json", "w").write(json.dumps(m, indent=2, sort_keys=True))\n'
        )
    _sh(repo, "dvc", "repro", "-q")
    _commit_all(repo, "bad metrics")
    lines = [ln.strip() for ln in _refusal(repo, version="0.1.0", dry_run=True).splitlines()]
    metrics = repo / "metrics.json"
    assert f"gate could not run: {metrics}: Q4_K_M.exact_match: inf is not finite: expected a number in [0, 1]" in lines
    assert (
        f"gate could not run: {metrics}: Q4_K_M.latency_ms_p95: -5.0 is out of range: expected a number >= 0" in lines
    )


# -- release.yml: the write token and what the release jobs install -------------------------------------


def _release_workflow() -> dict:
    return yaml.safe_load((ROOT / ".github" / "workflows" / "release.yml").read_text())


def test_no_checkout_keeps_a_token_and_only_the_tag_push_hands_git_one() -> None:
    # Regression: release-public's checkout kept the write token in .git/config for every later step.
    for name, job in _release_workflow()["jobs"].items():
        for step in job["steps"]:
            if step.get("uses", "").startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False, name
            run = step.get("run", "")
            if "git push" in run or "push-release-tag" in run:
                assert step["env"] == {"TAG_PUSH_TOKEN": "${{ github.token }}"}, (name, step)
                assert 'GIT_CONFIG_VALUE_0="AUTHORIZATION: basic $auth"' in run and "::add-mask::$auth" in run
            elif "github.token" in json.dumps(step):
                assert "gh release create" in run, (name, step)  # the GitHub Release step, after the push
    runs = [s.get("run", "") for s in _release_workflow()["jobs"]["release-public"]["steps"]]
    assert sum("push-release-tag" in r or "git push" in r for r in runs) == 1


def test_the_token_step_installs_and_builds_nothing() -> None:
    # Regression: `make release` ran `make install` and the toolchain build in the step that held HF_TOKEN.
    for name, job in _release_workflow()["jobs"].items():
        runs = [s.get("run", "") for s in job["steps"]]
        for i, step in enumerate(job["steps"]):
            if "HF_TOKEN" not in json.dumps(step):
                continue
            assert step["run"].startswith("make release -o install -o toolchain "), (name, step)
            assert "pip" not in step["run"]
            assert any(r == "make toolchain" for r in runs[:i]), f"{name}: the toolchain is built after the token"
            assert any("make pull-cache" in r for r in runs[:i]), name  # pull-cache runs `make install`


def test_release_jobs_install_llama_cpp_python_by_hash_and_the_toolchain_checks_it(monkeypatch, tmp_path) -> None:
    from cmd_correct import toolchain

    sha = toolchain.LLAMA_CPP_PYTHON_SDIST_SHA256
    assert len(sha) == 64 and int(sha, 16) >= 0
    for name, job in _release_workflow()["jobs"].items():
        runs = [s.get("run", "") for s in job["steps"]]
        first_make = next(i for i, r in enumerate(runs) if "make " in r)
        [pin] = [i for i, r in enumerate(runs) if "--require-hashes" in r]
        assert pin < first_make, name  # before `make install` (in pull-cache), which then keeps it
        assert "LLAMA_CPP_PYTHON_SDIST_SHA256" in runs[pin] and "--no-deps" in runs[pin], name
    # The workflow's requirement line, made the way the workflow makes it.
    step = next(s for s in _release_workflow()["jobs"]["gate"]["steps"] if "--require-hashes" in s.get("run", ""))
    make_req = step["run"].split("python -m venv")[0]
    r = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", make_req],
        cwd=ROOT,
        env={**os.environ, "RUNNER_TEMP": str(tmp_path), "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"},
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    line = f"llama-cpp-python=={toolchain.LLAMA_CPP_PYTHON_VERSION} --hash=sha256:{sha}"
    assert (tmp_path / "llama-cpp-python.txt").read_text().strip() == line
    # The toolchain build downloads the same sdist with the same hash required.
    seen: list[tuple[list[str], str]] = []

    def fake_run(cmd, **kw):
        req = Path(cmd[cmd.index("-r") + 1]) if "-r" in cmd else None
        seen.append((cmd, req.read_text() if req else ""))
        raise subprocess.CalledProcessError(1, cmd)

    monkeypatch.setattr(toolchain.subprocess, "run", fake_run)
    with pytest.raises(subprocess.CalledProcessError):
        toolchain._fetch_source(tmp_path / "src", lambda msg: None)
    [(cmd, req_text)] = seen
    assert "--require-hashes" in cmd and req_text.strip() == line
