"""kaggle backend: the kernel entry script run locally end to end, and the stage's orchestration against a
loopback server that stands in for kaggle.com (tests/kaggle_server.py: it answers the requests the real
`kaggle` 2.1.0 client sends). Nothing here reaches Kaggle; a real GPU run is not exercised.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from kaggle_server import FakeKaggle

from cmd_correct import base, contract, io
from cmd_correct.errors import ModelError, ParamsError, ToolError
from cmd_correct.train import Params, kaggle_backend, run

# Only find it: importing `kaggle` authenticates, and exits the process when there are no credentials.
if importlib.util.find_spec("kaggle") is None:
    pytest.skip("the kaggle client is not installed (pip install -e '.[kaggle]')", allow_module_level=True)

USER, KEY = "alice", "kaggle-key-0123456789abcdef-do-not-log"
REPO = Path(__file__).resolve().parents[1]
TRAIN = dict(
    iters=4,
    batch_size=4,
    eval_interval=2,
    eval_batches=2,
    checkpoint_interval=2,
    warmup=1,
    log_interval=1,
    max_length=64,
    rank=4,
    alpha=8.0,
    target_modules=["q_proj", "v_proj"],
)


def _rows(n: int, seed: int) -> list[dict]:
    import random

    rng = random.Random(seed)
    words = ["ls -la", "git status", "grep -r foo .", "cat notes.txt", "docker ps", "make test"]
    return [
        {"messages": contract.messages("bash", w.replace(w[1], w[1] * 2, 1), w)}
        for w in (rng.choice(words) for _ in range(n))
    ]


@pytest.fixture(scope="module")
def final_dir(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("final")
    io.write_jsonl(d / "train.jsonl", _rows(16, 1))
    io.write_jsonl(d / "valid.jsonl", _rows(8, 2))
    io.write_jsonl(d / "test.jsonl", _rows(8, 3))  # must not travel to Kaggle
    return d


@pytest.fixture(scope="module")
def base_dir(tmp_path_factory, tiny_model_dir) -> Path:
    """models/base made by the base stage from the tiny model folder (a local base.model: it is uploaded)."""
    out = tmp_path_factory.mktemp("models") / "base"
    base.run(base.Params(model=str(tiny_model_dir)), out)
    return out


def _kernel_env(tmp: Path) -> dict:
    # Offline stand-in for the kernel's `pip install`: our wheel only, into a folder first on the path.
    site = tmp / "site"
    return {
        "CMD_CORRECT_PIP_ARGS": f"--no-deps --no-index --target {site}",
        "PYTHONPATH": str(site),
        "OMP_WAIT_POLICY": "passive",
    }


def _scan_for_key(*roots: Path, text: str = "") -> None:
    assert KEY not in text
    for root in roots:
        for p in root.rglob("*") if root.is_dir() else [root]:
            if p.is_file():
                assert KEY.encode() not in p.read_bytes(), p


@pytest.fixture
def fake(tmp_path, monkeypatch):
    """FakeKaggle on a loopback port, with the real client pointed at it the way it supports."""
    monkeypatch.setenv("KAGGLE_USERNAME", USER)
    monkeypatch.setenv("KAGGLE_KEY", KEY)
    monkeypatch.setenv("KAGGLE_CONFIG_DIR", str(tmp_path / "kaggle-config"))
    monkeypatch.setenv("KAGGLE_API_ENVIRONMENT", "LOCALHOST")  # the client's own endpoint switch
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # no ~/.kaggle/access_token from the real home
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.setenv(name, "")
    with FakeKaggle(tmp_path / "kaggle.com", USER, KEY, kernel_env=_kernel_env(tmp_path)) as server:
        for name in ("HTTP_PROXY", "http_proxy"):
            monkeypatch.setenv(name, server.proxy)
        yield server


def _params(**kaggle) -> Params:
    return Params(backend="kaggle", **TRAIN, kaggle=kaggle_backend.KaggleParams(**kaggle))


def _train_fast(tmp_path: Path, *, timeout: float) -> dict:
    """kaggle_backend.train on tmp_path's folders, polling the (fake) server without waiting."""
    return kaggle_backend.train(
        _params(poll_interval=0.01, poll_max=0.01, timeout=timeout),
        seed=5,
        data_dir=tmp_path / "final",
        base_dir=tmp_path / "base",
        work_dir=tmp_path / ".adapter.kaggle-checkpoint",
        sleep=lambda s: None,
    )


@pytest.mark.slow
def test_entry_script_end_to_end_writes_what_the_torch_backend_writes(tmp_path, final_dir, base_dir):
    """kaggle/train_kernel.py on a fake /kaggle/input: installs our wheel, trains, same adapter as torch here."""
    import numpy as np
    from safetensors.numpy import load_file

    bundle = tmp_path / "input" / "cmd-correct-data"
    bundle.mkdir(parents=True)
    params = Params(**TRAIN)
    manifest = kaggle_backend.build_bundle(
        params, seed=5, data_dir=final_dir, base_dir=base_dir, out=bundle, owner=USER
    )
    assert "test.jsonl" not in manifest["files"] and manifest["base_zip"] == "base.zip"
    env = dict(
        os.environ,
        KAGGLE_INPUT=str(tmp_path / "input"),
        KAGGLE_WORKING=str(tmp_path / "working"),
        **_kernel_env(tmp_path),
    )
    proc = subprocess.run(
        [sys.executable, str(REPO / "kaggle" / "train_kernel.py")], env=env, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    working = tmp_path / "working"
    result = kaggle_backend.verify_output(working, manifest, base_dir)
    assert result["package"].endswith(str(tmp_path / "site" / "cmd_correct" / "__init__.py"))  # the wheel ran

    local = run(
        params,
        seed=5,
        data_dir=final_dir,
        base_dir=base_dir,
        adapter_dir=tmp_path / "adapter",
        report_dir=tmp_path / "reports",
    )
    names = lambda d: sorted(p.relative_to(d).as_posix() for p in d.rglob("*") if p.is_file())  # noqa: E731
    assert names(working / "adapter") == names(tmp_path / "adapter")
    assert names(working / "reports") == names(tmp_path / "reports")
    remote = load_file(working / "adapter" / "adapter_model.safetensors")
    mine = load_file(tmp_path / "adapter" / "adapter_model.safetensors")
    assert sorted(remote) == sorted(mine)
    for k in mine:
        np.testing.assert_allclose(remote[k], mine[k], atol=1e-6)
    assert result["summary"]["train_loss"] == pytest.approx(local.summary["train_loss"], rel=1e-5)


@pytest.mark.slow
def test_stage_trains_through_the_fake_kaggle(tmp_path, fake, final_dir, base_dir, capfd):
    """The server stands in for kaggle.com: upload, push, poll, download, verify, copy into place."""
    result = run(
        _params(poll_interval=0.05, poll_max=0.2, timeout=60),
        seed=5,
        data_dir=final_dir,
        base_dir=base_dir,
        adapter_dir=tmp_path / "adapter",
        report_dir=tmp_path / "reports",
    )
    assert fake.unauthorized == 0
    svc = lambda c: c.split("/")[1]  # noqa: E731
    calls = [svc(c) for c in fake.calls]
    assert calls[:2] == ["GetKernelSessionStatus", "GetDatasetStatus"]  # no earlier run (404), no dataset yet
    assert "CreateDataset" in calls and "CreateDatasetVersion" not in calls
    assert calls.index("SaveKernel") > calls.index("CreateDataset")
    assert calls.count("GetDatasetStatus") >= 3  # 404, then polled through "blobs received" to "ready"
    assert calls[-1] == "ListKernelSessionOutput" and calls.count("GetKernelSessionStatus") == 3
    uploaded = fake.datasets[f"{USER}/cmd-correct-data"]
    assert sorted(uploaded) == sorted(
        [
            "base.zip",
            "cmd-correct-bundle.json",
            "params.yaml",
            "train.jsonl",
            "valid.jsonl",
            next(n for n in uploaded if n.endswith(".whl")),
        ]
    )
    pushed = fake.kernel["request"]
    assert (pushed["slug"], pushed["enableGpu"], pushed["enableInternet"], pushed["isPrivate"]) == (
        f"{USER}/cmd-correct-train",
        True,
        True,
        True,
    )
    assert pushed["machineShape"] == "NvidiaTeslaT4" and pushed["datasetDataSources"] == [f"{USER}/cmd-correct-data"]
    assert pushed["text"] == (REPO / "kaggle" / "train_kernel.py").read_text()

    adapter = tmp_path / "adapter"
    assert sorted(p.relative_to(adapter).as_posix() for p in adapter.rglob("*") if p.is_file()) == [
        "adapter_config.json",
        "adapter_model.safetensors",
        "kaggle/result.json",
        "meta.json",
        "train_config.json",
    ]
    assert result.summary["backend"] == "kaggle" and result.summary["remote_backend"] == "torch"
    assert result.summary["steps"] == 4 and result.summary["train_loss"] > 0
    assert (tmp_path / "reports" / "metrics.json").is_file()
    assert (tmp_path / "reports" / "plots" / "metrics" / "train_loss.tsv").is_file()
    out, err = capfd.readouterr()
    _scan_for_key(adapter, tmp_path / "reports", text=out + err + json.dumps(fake.bodies))

    # A job that timed out waiting is rerun (a fresh checkout): it collects the same bundle's run, still going
    # here, instead of uploading and training again (scale issue: the 6 h job limit vs a 12 h Kaggle session).
    fake.calls.clear()
    fake.status_polls = 0
    again = run(
        _params(poll_interval=0.05, poll_max=0.2, timeout=60),
        seed=5,
        data_dir=final_dir,
        base_dir=base_dir,
        adapter_dir=tmp_path / "adapter-again",
        report_dir=tmp_path / "reports-again",
    )
    assert {svc(c) for c in fake.calls} == {"GetKernelSessionStatus", "ListKernelSessionOutput"}
    assert again.summary["resumed"] is True and result.summary["resumed"] is False
    assert (tmp_path / "adapter-again" / "adapter_model.safetensors").read_bytes() == (
        adapter / "adapter_model.safetensors"
    ).read_bytes()

    # A second run adds a dataset version instead of creating the dataset again.
    fake.kernel_mode, fake.status_polls = "fail", 0
    with pytest.raises(ToolError):
        run(
            _params(poll_interval=0.05, poll_max=0.2, timeout=60),
            seed=5,
            data_dir=final_dir,
            base_dir=base_dir,
            adapter_dir=tmp_path / "adapter2",
            report_dir=tmp_path / "reports2",
        )
    assert "CreateDatasetVersion" in [svc(c) for c in fake.calls]


@pytest.mark.slow
def test_failed_kernel_is_reported_with_its_log_and_no_key(tmp_path, fake, final_dir, base_dir, capfd):
    fake.kernel_mode = "fail"
    with pytest.raises(ToolError) as err:
        run(
            _params(poll_interval=0.05, poll_max=0.2, timeout=60),
            seed=5,
            data_dir=final_dir,
            base_dir=base_dir,
            adapter_dir=tmp_path / "adapter",
            report_dir=tmp_path / "reports",
        )
    message = str(err.value)
    assert "ended error" in message and "CUDA out of memory" in message and "OutOfMemoryError" in message
    assert "KAGGLE_KEY=***" in message  # the kernel log echoed the key; we scrub it
    assert not (tmp_path / "adapter").exists()
    out, errs = capfd.readouterr()
    _scan_for_key(tmp_path, text=message + out + errs)


@pytest.mark.slow
def test_poll_gives_up_at_the_timeout(tmp_path, fake, final_dir, base_dir):
    fake.kernel_mode = "hang"
    with pytest.raises(ToolError) as err:
        run(
            _params(poll_interval=0.2, poll_max=0.4, timeout=3),
            seed=5,
            data_dir=final_dir,
            base_dir=base_dir,
            adapter_dir=tmp_path / "adapter",
            report_dir=tmp_path / "reports",
        )
    assert (err.value.tool, err.value.param) == ("kaggle", "train.kaggle.timeout")
    assert fake.status_polls >= 2 and not (tmp_path / "adapter").exists()


def test_poll_backs_off_exponentially_up_to_the_longest_wait():
    waits, now = [], [0.0]

    def sleep(s):
        waits.append(s)
        now[0] += s

    states = iter([None] * 5 + ["complete"])
    assert (
        kaggle_backend.poll(
            lambda: next(states),
            what="k",
            interval=1,
            longest=4,
            timeout=100,
            progress=lambda *a: None,
            sleep=sleep,
            clock=lambda: now[0],
        )
        == "complete"
    )
    assert waits == [1, 2, 4, 4, 4]
    start = now[0]
    with pytest.raises(ToolError) as err:
        kaggle_backend.poll(
            lambda: None,
            what="k",
            interval=1,
            longest=4,
            timeout=7,
            progress=lambda *a: None,
            sleep=sleep,
            clock=lambda: now[0] - start,
        )
    assert err.value.param == "train.kaggle.timeout"
    assert waits[5:] == [1, 2, 4]  # checks at 0, 1, 3 and 7 s: the last one is past the timeout


def test_credentials_from_env_or_kaggle_json(tmp_path, monkeypatch):
    for name in ("KAGGLE_USERNAME", "KAGGLE_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("KAGGLE_CONFIG_DIR", str(tmp_path))
    with pytest.raises(ToolError, match="KAGGLE_USERNAME and KAGGLE_KEY") as err:  # the message is the fix
        kaggle_backend.credentials()
    assert (err.value.tool, err.value.path) == ("kaggle", str(tmp_path / "kaggle.json"))
    (tmp_path / "kaggle.json").write_text(json.dumps({"username": "bob", "key": "k1"}))
    assert kaggle_backend.credentials() == ("bob", "k1")
    monkeypatch.setenv("KAGGLE_USERNAME", USER)
    monkeypatch.setenv("KAGGLE_KEY", KEY)
    assert kaggle_backend.credentials() == (USER, KEY)
    assert kaggle_backend.scrub(f"token {KEY}!", KEY) == "token ***!"


def test_kernel_metadata_is_rendered_from_params(tmp_path):
    kp = kaggle_backend.KaggleParams(
        kernel_slug="fix-train", dataset_slug="fix-data", accelerator="NvidiaTeslaP100", internet=False, private=False
    )
    kaggle_backend.render_kernel(kp, "carol", tmp_path)
    meta = json.loads((tmp_path / "kernel-metadata.json").read_text())
    assert meta["id"] == "carol/fix-train" and meta["dataset_sources"] == ["carol/fix-data"]
    assert (meta["enable_gpu"], meta["enable_internet"], meta["is_private"]) == (True, False, False)
    assert meta["machine_shape"] == "NvidiaTeslaP100" and meta["code_file"] == "train_kernel.py"
    assert (tmp_path / "train_kernel.py").read_text() == (REPO / "kaggle" / "train_kernel.py").read_text()


def test_only_the_gpu_and_the_base_upload_are_params_deps():
    # Names, visibility, internet and waiting change no adapter byte: changing them reruns no train stage.
    from cmd_correct import params

    assert params.dep_keys(kaggle_backend.KaggleParams) == ["accelerator", "upload_base"]
    assert "poll_interval" in params.operational_keys(kaggle_backend.KaggleParams)


def test_bad_kaggle_params_are_listed_together():
    from cmd_correct import params

    with pytest.raises(ParamsError) as err:
        params.section("train", {"train": {"kaggle": {"kernel_slug": "Bad Slug", "timeout": 0}}})
    assert "kernel_slug" in str(err.value) and "train.kaggle.timeout: must be in (0, " in str(err.value)


def test_verify_output_rejects_what_the_kernel_did_not_write(tmp_path, base_dir):
    out = tmp_path / "out"
    (out / "adapter").mkdir(parents=True)
    import numpy as np
    from safetensors.numpy import save_file

    save_file(
        {"base_model.model.x.lora_A.weight": np.zeros((2, 2), np.float32)},
        str(out / "adapter" / "adapter_model.safetensors"),
    )
    io.write_json(out / "adapter" / "adapter_config.json", {"peft_type": "LORA"})
    files = {f"adapter/{p.name}": io.sha256_file(p) for p in (out / "adapter").iterdir()}
    mine = io.read_json(base_dir / "meta.json")
    good = {
        "status": "ok",
        "bundle": "b1",
        "files": files,
        "base": {"source": mine["source"], "sha256": mine["sha256"]},
    }
    io.write_json(out / "result.json", good)
    assert kaggle_backend.verify_output(out, {"id": "b1"}, base_dir)["status"] == "ok"
    with pytest.raises(ModelError) as err:  # an older kernel run
        kaggle_backend.verify_output(out, {"id": "b2"}, base_dir)
    assert (err.value.path, err.value.field) == (str(out / "result.json"), "bundle")
    io.write_json(out / "result.json", good | {"base": {"source": "embedded:smollm2-135m", "sha256": "x"}})
    with pytest.raises(ModelError) as err:  # trained on another base model
        kaggle_backend.verify_output(out, {"id": "b1"}, base_dir)
    assert (err.value.path, err.value.field) == (str(base_dir / "meta.json"), "base")
    io.write_json(out / "result.json", good)
    io.write_json(out / "adapter" / "adapter_config.json", {"peft_type": "LORA", "r": 99})  # changed in transit
    with pytest.raises(ModelError) as err:
        kaggle_backend.verify_output(out, {"id": "b1"}, base_dir)
    assert (err.value.path, err.value.field) == (str(out / "adapter" / "adapter_config.json"), "sha256")
    io.write_json(out / "result.json", {"status": "error", "error": "RuntimeError: train failed"})
    with pytest.raises(ModelError, match="train failed") as err:  # the kernel's own error reaches the user
        kaggle_backend.verify_output(out, {"id": "b1"}, base_dir)
    assert err.value.field == "status"


@pytest.mark.slow
def test_failing_entry_script_surfaces_its_error(tmp_path, fake, final_dir, base_dir):
    """The kernel runs (on the stand-in) but its pip step fails: the stage says which step, from result.json."""
    fake.kernel_env["CMD_CORRECT_PIP_ARGS"] = "--no-such-pip-option"
    with pytest.raises(ToolError) as err:
        run(
            _params(poll_interval=0.05, poll_max=0.2, timeout=60),
            seed=5,
            data_dir=final_dir,
            base_dir=base_dir,
            adapter_dir=tmp_path / "adapter",
            report_dir=tmp_path / "reports",
        )
    assert "ended error: script exited 1" in str(err.value)
    assert "entry script: RuntimeError: pip install failed with exit code" in str(err.value)
    assert not (tmp_path / "adapter").exists()


@pytest.mark.slow
def test_entry_script_rebuilds_the_base_model_with_the_base_stage(tmp_path, final_dir, base_dir, monkeypatch):
    """Without base.zip the kernel runs `python -m cmd_correct base` from the bundled params (here the tiny model
    folder stands in for a Hub id or the embedded model, which the kernel would fetch or unpack the same way)."""
    monkeypatch.setattr(kaggle_backend, "must_upload_base", lambda base, kp: False)
    bundle = tmp_path / "input" / "datasets" / USER / "cmd-correct-data"  # Kaggle's newer, deeper mount point
    bundle.mkdir(parents=True)
    params = Params(**TRAIN | {"iters": 2})
    manifest = kaggle_backend.build_bundle(
        params, seed=5, data_dir=final_dir, base_dir=base_dir, out=bundle, owner=USER
    )
    assert manifest["base_zip"] is None and "base.zip" not in manifest["files"]
    env = dict(
        os.environ,
        KAGGLE_INPUT=str(tmp_path / "input"),
        KAGGLE_WORKING=str(tmp_path / "working"),
        **_kernel_env(tmp_path),
    )
    proc = subprocess.run(
        [sys.executable, str(REPO / "kaggle" / "train_kernel.py")], env=env, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "cmd_correct base" in proc.stdout
    result = kaggle_backend.verify_output(tmp_path / "working", manifest, base_dir)  # same base identity
    assert result["base"]["source"] == io.read_json(base_dir / "meta.json")["source"]


# -- issue 10: the key never leaves in a server-provided text --------------------------------------------


def _scripted_client(monkeypatch, answers: dict):
    """Stand in for the kaggle child process: each op answers the next scripted JSON result."""

    def fake_run(cmd, **kwargs):
        op, out = cmd[3], Path(cmd[5])
        answer = answers[op].pop(0) if isinstance(answers[op], list) else answers[op]
        out.write_text(json.dumps(answer), encoding="utf-8")
        return subprocess.CompletedProcess(cmd, 0, "", "")

    monkeypatch.setattr(kaggle_backend.subprocess, "run", fake_run)
    monkeypatch.setattr(kaggle_backend, "build_bundle", lambda *a, **k: {"id": "bundle0"})
    monkeypatch.setattr(kaggle_backend, "render_kernel", lambda *a, **k: None)
    monkeypatch.setenv("KAGGLE_USERNAME", USER)
    monkeypatch.setenv("KAGGLE_KEY", KEY)


@pytest.mark.parametrize("where", ["upload-error", "push-error", "failure-message", "basic-auth", "url-encoded"])
def test_server_texts_are_scrubbed_of_the_key(where, tmp_path, monkeypatch, capfd):
    # Regression: only the client's own output was scrubbed; an upload or push error, or a kernel failure
    # message from the server that echoed the key, reached the error line (and the terminal) as is.
    import base64
    import urllib.parse

    leak = {
        "basic-auth": base64.b64encode(f"{USER}:{KEY}".encode()).decode(),
        "url-encoded": urllib.parse.quote(KEY + "/+", safe=""),
    }.get(where, KEY)
    said = f"401: credentials {leak} rejected"
    answers = {
        "dataset_status": [{"status": None}, {"status": "ready"}],
        "dataset_create": {"status": "error" if where == "upload-error" else "ok", "error": None, "url": "u"},
        "kernel_push": {"error": said if where == "push-error" else None, "version": 1},
        "kernel_status": {"status": "error", "failure_message": said},
        "kernel_output_list": {"files": [], "log": ""},
    }
    if where == "upload-error":
        answers["dataset_create"]["error"] = said
    _scripted_client(monkeypatch, answers)
    if where == "url-encoded":
        monkeypatch.setenv("KAGGLE_KEY", KEY + "/+")
    with pytest.raises(ToolError) as err:
        _train_fast(tmp_path, timeout=5)
    message = str(err.value)
    assert "credentials *** rejected" in message and leak not in message and KEY not in message
    out, errs = capfd.readouterr()
    assert leak not in out + errs


def test_refuses_output_folders_it_did_not_write_before_any_upload(tmp_path, monkeypatch):
    _scripted_client(monkeypatch, {})  # any client call would fail: none may happen
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "thesis.tex").write_text("mine")
    from cmd_correct.errors import OutputError

    with pytest.raises(OutputError) as err:
        run(
            _params(), seed=5, data_dir=tmp_path / "final", base_dir=tmp_path / "base",
            adapter_dir=tmp_path / "adapter", report_dir=tmp_path / "reports",
        )  # fmt: skip
    assert err.value.path == str(tmp_path / "reports") and (tmp_path / "reports" / "thesis.tex").is_file()


def test_wheel_digest_ignores_zip_timestamps(tmp_path):
    # The bundle id must survive a fresh checkout (new file times), or a rerun job would retrain.
    import zipfile

    for name, when in (("a.whl", (2020, 1, 1, 0, 0, 0)), ("b.whl", (2026, 12, 2, 7, 0, 0)), ("c.whl", None)):
        with zipfile.ZipFile(tmp_path / name, "w") as zf:
            zf.writestr(
                zipfile.ZipInfo("pkg/x.py", date_time=when or (2026, 1, 1, 0, 0, 0)), "x = 2" if not when else "x = 1"
            )
    digest = kaggle_backend.wheel_digest
    assert digest(tmp_path / "a.whl") == digest(tmp_path / "b.whl") != digest(tmp_path / "c.whl")


# -- issue 23, item 2: server-given output file names stay in the output folder -----------------------------
# FakeKaggle (tests/kaggle_server.py) is a loopback stand-in for kaggle.com, not Kaggle: here it plays a
# hostile server whose kernel output listing names files outside the folder the client downloads into.


def _small_bundle(params, *, seed, data_dir, base_dir, out, owner):
    """build_bundle's stand-in: a one-file dataset (the upload and the push still go through the real client)."""
    (out / "train.jsonl").write_text("{}\n", encoding="utf-8")
    slug = params.kaggle.dataset_slug
    io.write_json(
        out / "dataset-metadata.json", {"id": f"{owner}/{slug}", "title": slug, "licenses": [{"name": "CC0-1.0"}]}
    )
    return {"id": "bundle0"}


def test_hostile_output_names_are_refused_and_nothing_is_written_outside(tmp_path, fake, monkeypatch):
    # Regression: the client joined server-given names onto the output folder unchecked, so a `../..` name
    # and an absolute name were both written outside it (on a runner holding the remote and Kaggle keys).
    import tempfile

    scratch = tmp_path / "scratch"  # the backend's temp folders: a `../..` name from its output lands here
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    monkeypatch.setattr(kaggle_backend, "build_bundle", _small_bundle)
    dotdot, absolute = scratch / "escaped-dotdot.txt", tmp_path / "escaped-absolute.txt"
    fake.kernel_mode = "fail"  # the run ends; its output (and the log) are downloaded for the report
    fake.extra_output = {"../../escaped-dotdot.txt": b"pwned", str(absolute): b"pwned"}
    with pytest.raises(ToolError) as err:
        _train_fast(tmp_path, timeout=30)
    assert not dotdot.exists() and not absolute.exists()
    message = str(err.value)
    assert "output refused" in message and "'../../escaped-dotdot.txt' (holds '..')" in message
    assert "escaped-absolute.txt'" in message and "(absolute)" in message  # a long name: start and end shown
    assert fake.fetched == []  # refused from the listing: nothing was downloaded at all
    assert KEY not in message


def test_output_names_are_checked_before_any_write(tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "link").symlink_to(tmp_path)  # a folder that resolves outside
    refusal = kaggle_backend.output_refusal
    for name, why in [
        ("../x", "holds '..'"),
        ("adapter/../../x", "holds '..'"),
        ("..\\..\\x", "holds '..'"),
        ("/etc/passwd", "absolute"),
        ("\\\\server\\share\\x", "absolute"),
        ("C:\\x", "absolute"),
        ("C:x", "absolute"),
        ("", "not a file name"),
        (None, "not a file name"),
        ("a\0b", "holds a NUL character"),
        ("link/escaped.txt", "resolves outside the output folder"),
        (".", "resolves outside the output folder"),  # the folder itself
    ]:
        assert refusal(folder, name) == why, name
    for name in ("result.json", "adapter/adapter_model.safetensors", "reports/plots/metrics/loss.tsv", "a..b"):
        assert refusal(folder, name) is None, name
    with pytest.raises(ValueError) as err:  # a huge name is cut in the message
        kaggle_backend.output_target(folder, "../" + "x" * 100_000)
    assert len(str(err.value)) < 200 and "characters)" in str(err.value)


def test_only_the_expected_output_files_are_fetched_and_moved_in(tmp_path, fake):
    # A huge hostile name is refused with a short message; otherwise the kernel's output is fetched into a
    # fresh temp folder and only result.json, the adapter's files and the report are moved into `out`.
    from cmd_correct.train.kaggle_backend import Client, download_output

    work = tmp_path / "working"
    for name in (
        "result.json",
        "adapter/adapter_config.json",
        "reports/metrics.json",
        "reports/plots/metrics/train_loss.tsv",
        "stray.bin",  # written by the kernel, used by nobody: not downloaded
        ".adapter.torch-checkpoint/checkpoint/state.json",
    ):
        (work / name).parent.mkdir(parents=True, exist_ok=True)
        (work / name).write_text(name, encoding="utf-8")
    fake.kernel = {"ref": f"{USER}/cmd-correct-train", "working": work, "log": "the kernel log", "exit": 0}
    client = Client(KEY, 60, USER)
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.txt").write_text("an earlier download")
    ref = f"{USER}/cmd-correct-train"
    files = download_output(client, ref, "cmd-correct-train", out)
    held = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    expected = ["adapter/adapter_config.json", "cmd-correct-train.log", "reports/metrics.json"]
    expected += ["reports/plots/metrics/train_loss.tsv", "result.json"]
    assert held == sorted(files) == expected
    assert (out / "cmd-correct-train.log").read_text() == "the kernel log"
    assert sorted(fake.fetched) == [n for n in held if not n.endswith(".log")]

    fake.fetched.clear()
    fake.extra_output = {"../../" + "x" * 5000: b"pwned"}
    with pytest.raises(ToolError) as err:
        download_output(client, ref, "cmd-correct-train", out)
    assert len(str(err.value)) < 400 and "x" * 100 not in str(err.value) and fake.fetched == []


# -- issue 23, item 6: kernel metadata is data; the accelerator is allow-listed; the wheel is tracked files ----

CRAFTED = 'NvidiaTeslaT4", "is_private": false, "x": "'  # once pasted into a JSON template: a public kernel


def test_crafted_accelerator_is_refused_and_metadata_cannot_be_rewritten(tmp_path):
    from cmd_correct import params

    with pytest.raises(ParamsError) as err:
        params.section("train", {"train": {"kaggle": {"accelerator": CRAFTED}}})
    assert "accelerator: one of NvidiaTeslaT4" in str(err.value)
    with pytest.raises(ParamsError) as err:  # a huge value is cut in the message
        params.section("train", {"train": {"kaggle": {"accelerator": "NvidiaTeslaT4" + "x" * 100_000}}})
    assert len(str(err.value)) < 1000
    with pytest.raises(ParamsError):  # checked again where the metadata is built (params made in code)
        kaggle_backend.render_kernel(kaggle_backend.KaggleParams(accelerator=CRAFTED), "carol", tmp_path)
    assert not (tmp_path / "kernel-metadata.json").exists()

    # No value reaches the metadata as text: a quote in the owner (it comes from KAGGLE_USERNAME) stays a string.
    owner = 'eve", "is_private": false, "enable_internet": true, "y": "'
    kaggle_backend.render_kernel(kaggle_backend.KaggleParams(internet=False), owner, tmp_path)
    meta = json.loads((tmp_path / "kernel-metadata.json").read_text())
    assert (meta["is_private"], meta["enable_internet"], meta["id"]) == (True, False, f"{owner}/cmd-correct-train")
    assert sorted(meta) == sorted(
        ["id", "title", "code_file", "language", "kernel_type", "is_private", "enable_gpu", "enable_tpu"]
        + ["enable_internet", "machine_shape", "dataset_sources", "competition_sources", "kernel_sources"]
        + ["model_sources"]
    )


def test_accelerators_in_the_repo_are_allowed():
    import yaml

    found = {kaggle_backend.KaggleParams().accelerator, "NvidiaTeslaP100"}  # the default; tests' other GPU
    for path in [REPO / "params.yaml", *sorted((REPO / "configs").glob("*.yaml"))]:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        accelerator = ((raw.get("train") or {}).get("kaggle") or {}).get("accelerator")
        if accelerator is not None:
            found.add(accelerator)
    assert found <= set(kaggle_backend.ACCELERATORS)
    for accelerator in kaggle_backend.ACCELERATORS:
        assert kaggle_backend.KaggleParams(accelerator=accelerator).validate() == []


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)


def test_wheel_holds_tracked_files_only(tmp_path, monkeypatch):
    # Regression: the wheel was built from the working tree's src/, so an untracked .py file travelled to
    # Kaggle in it. A throwaway checkout stands in for the repo (the backend finds it from its own path).
    import zipfile

    root = tmp_path / "checkout"
    pkg = root / "src" / "cmd_correct"
    (pkg / "train").mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools>=69"]\nbuild-backend = "setuptools.build_meta"\n'
        '[project]\nname = "cmd-correct"\nversion = "0.1.0"\n[tool.setuptools.packages.find]\nwhere = ["src"]\n'
    )
    (root / "README.md").write_text("readme\n")
    (pkg / "__init__.py").write_text('__version__ = "0.1.0"\n')
    (pkg / "edited.py").write_text("X = 1\n")
    (pkg / "train" / "__init__.py").write_text("")
    (pkg / "train" / "kaggle_backend.py").write_text("")
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    (pkg / "edited.py").write_text("X = 2\n")  # tracked, edited since: goes as it is now
    (pkg / "untracked.py").write_text("import os  # a stray file: must not travel\n")
    monkeypatch.setattr(kaggle_backend, "__file__", str(pkg / "train" / "kaggle_backend.py"))

    wheel = kaggle_backend.build_wheel(tmp_path / "dist")
    with zipfile.ZipFile(wheel) as zf:
        members = [n for n in zf.namelist() if n.startswith("cmd_correct/")]
        assert sorted(members) == [
            "cmd_correct/__init__.py",
            "cmd_correct/edited.py",
            "cmd_correct/train/__init__.py",
            "cmd_correct/train/kaggle_backend.py",
        ]
        assert zf.read("cmd_correct/edited.py") == b"X = 2\n"
    with pytest.raises(ToolError):  # not a git checkout: no wheel from an unknown tree
        kaggle_backend.tracked_files(tmp_path / "dist", kaggle_backend.WHEEL_SOURCES)
