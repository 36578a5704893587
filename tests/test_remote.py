"""The shared DVC remote over S3: push, pull, and run-cache restore.

LOOPBACK FAKE: the S3 service here is moto's server mode (`moto[server]` from PyPI,
`ThreadedMotoServer` on 127.0.0.1, a random port), standing in for AWS S3 or any S3-compatible store
(MinIO, R2). Everything else is real: the repo's committed .dvc/config, `cmd_correct.ci`'s remote
selection, and the `dvc` CLI with dvc-s3/s3fs/boto speaking HTTP to that server.
"""

from __future__ import annotations

import json

import pytest

from cmd_correct import ci

BUCKET = "cmd-correct-test"


@pytest.fixture
def s3(monkeypatch):
    """A loopback moto S3 server with one bucket; yields the env CI would get from its secrets."""
    boto3 = pytest.importorskip("boto3")
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    env = {
        "DVC_S3_BUCKET": BUCKET,
        "DVC_S3_PREFIX": "dvc",
        "DVC_S3_ENDPOINT_URL": f"http://{host}:{port}",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    client = boto3.client("s3", endpoint_url=env["DVC_S3_ENDPOINT_URL"], region_name="us-east-1")
    client.create_bucket(Bucket=BUCKET)
    try:
        yield env, client
    finally:
        server.stop()


def _keys(client, prefix: str) -> list[str]:
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix)
    return [o["Key"] for page in pages for o in page.get("Contents", [])]


def test_remote_selection_follows_the_environment():
    assert ci.select_remote({}) == "local"
    assert ci.select_remote({"DVC_S3_BUCKET": "  "}) == "local"  # an unset secret arrives empty
    assert ci.select_remote({"DVC_S3_BUCKET": "b"}) == "s3"


def test_configure_writes_only_non_secret_settings_to_config_local(toy_dvc, s3):
    env, _ = s3
    repo = toy_dvc.new("src")
    assert ci.configure_remote(env, cwd=repo) == "s3"
    local = (repo / ".dvc" / "config.local").read_text()
    assert f"s3://{BUCKET}/dvc" in local and env["DVC_S3_ENDPOINT_URL"] in local
    assert "testing" not in local  # keys stay in AWS_* variables
    assert "config.local" in (repo / ".dvc" / ".gitignore").read_text()  # and config.local is not committed
    assert toy_dvc.sh(repo, "dvc", "config", "core.remote").strip() == "s3"


def test_s3_push_pull_and_run_cache_restore_skip_the_stage(toy_dvc, s3):
    env, client = s3
    toy_dvc.env.update(env)
    src = toy_dvc.new("src", n=3)
    ci.configure_remote(env, cwd=src)

    # As on main: the committed lock is one profile (n=3, pushed); CI then bakes in another (n=5),
    # runs it and pushes with --run-cache, without committing that run.
    toy_dvc.sh(src, "dvc", "repro")
    toy_dvc.commit(src, "n=3")
    toy_dvc.sh(src, "dvc", "push")
    toy_dvc.set_params(src, n=5)
    toy_dvc.sh(src, "dvc", "repro")
    toy_dvc.sh(src, "dvc", "push", "--run-cache")
    assert ci.push_run_outputs(cwd=src) > 0  # the cache: false outputs (metrics, plots) the restore needs
    assert toy_dvc.runs() == 2
    assert _keys(client, "dvc/files/md5/"), "pushed outputs are in the bucket"
    assert _keys(client, "dvc/runs/"), "the run-cache is in the bucket"

    # A fresh clone with an empty cache: pull restores the committed output from S3.
    dst = toy_dvc.root / "dst"
    toy_dvc.sh(toy_dvc.root, "git", "clone", "-q", str(src), str(dst))
    assert ci.configure_remote(env, cwd=dst) == "s3"
    assert not (dst / "out").exists()
    toy_dvc.sh(dst, "dvc", "pull")
    assert (dst / "out" / "data.txt").read_text() == "xxx"

    # n=5 was never committed, but its run is in the remote's run-cache: repro restores it, no rerun.
    toy_dvc.set_params(dst, n=5)
    out = toy_dvc.sh(dst, "dvc", "repro", "--pull", "--allow-missing")
    assert toy_dvc.runs() == 2, out
    assert "skipping run" in out, out
    assert (dst / "out" / "data.txt").read_text() == "xxxxx"
    assert json.loads((dst / "metrics.json").read_text()) == {"score": 0.5, "rows": 5}

    # Control: params nobody ran before really run, so the counter above would have caught a rerun.
    toy_dvc.set_params(dst, n=7)
    toy_dvc.sh(dst, "dvc", "repro", "--pull", "--allow-missing")
    assert toy_dvc.runs() == 3


def test_default_local_remote_is_outside_the_repo_and_round_trips_offline(toy_dvc, tmp_path):
    """The committed default (`~/.cache/cmd-correct/dvc-remote`), with HOME pointed at a temp dir."""
    home = tmp_path / "home"
    toy_dvc.env["HOME"] = str(home)
    src = toy_dvc.new("src")
    assert ci.configure_remote({}, cwd=src) == "local"
    url = toy_dvc.sh(src, "dvc", "config", "remote.local.url").strip()  # dvc expands the committed `~/...`
    assert url == str(home / ".cache" / "cmd-correct" / "dvc-remote")
    toy_dvc.sh(src, "dvc", "repro")
    toy_dvc.commit(src, "n=3")
    toy_dvc.sh(src, "dvc", "push")
    assert any((home / ".cache" / "cmd-correct" / "dvc-remote" / "files" / "md5").rglob("*"))

    dst = toy_dvc.root / "dst"
    toy_dvc.sh(toy_dvc.root, "git", "clone", "-q", str(src), str(dst))
    toy_dvc.sh(dst, "dvc", "pull")
    assert (dst / "out" / "data.txt").read_text() == "xxx"
