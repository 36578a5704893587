"""A loopback stand-in for kaggle.com's API, for tests of the kaggle training backend.

It answers the requests the real `kaggle` client (kaggle 2.1.0 / kagglesdk) sends: POST
/api/v1/<service>/<method> with JSON bodies (dataset status/create/version, blob upload start, kernel
save/status/output), the resumable-upload PUT and the output-file GET. The client is pointed here with
its own switch, KAGGLE_API_ENVIRONMENT=LOCALHOST (endpoint http://localhost), and the standard
HTTP_PROXY variable, which `requests` honours, routes http://localhost to this server's random port.

A pushed kernel "runs" per `kernel_mode`: `run` executes the pushed script locally against the uploaded
dataset (laid out as /kaggle/input/<slug>/ in a temp folder), `fail` ends in ERROR with a log,
`hang` stays RUNNING forever.

A hostile server: `extra_output` ({file name: bytes}) is listed in the kernel's output beside what the
kernel wrote, under any name at all (`../../x`, `/abs/path`, a 5,000-character one), each served from its
own URL; `fetched` records the output files clients downloaded, by listed name.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

API = "/api/v1/"


class FakeKaggle:
    def __init__(self, root: Path, user: str, key: str, kernel_env: dict | None = None):
        self.root, self.user, self.key = root, user, key
        self.kernel_env = kernel_env or {}
        self.calls: list[str] = []  # "<Service>/<Method>" in order
        self.bodies: dict[str, list[dict]] = {}
        self.blobs: dict[str, tuple[str, bytes]] = {}  # token -> (file name, bytes)
        self.datasets: dict[str, dict[str, bytes]] = {}  # "owner/slug" -> files
        self.dataset_polls: dict[str, int] = {}  # status polls answered since the last upload
        self.kernel: dict = {}  # the pushed kernel and its (fake) run
        self.kernel_mode = "run"
        self.status_polls = 0
        self.unauthorized = 0
        self.extra_output: dict[str, bytes] = {}  # listed as kernel output under these (hostile) names
        self.fetched: list[str] = []  # output files downloaded, by listed name
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep pytest output clean
                pass

            def do_POST(self):
                fake._post(self)

            def do_PUT(self):
                fake._put(self)

            def do_GET(self):
                fake._get(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def proxy(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> FakeKaggle:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    # ------------------------------------------------------------------------------------- plumbing

    def _reply(self, h, code: int, obj: dict | bytes, ctype: str = "application/json") -> None:
        body = obj if isinstance(obj, bytes) else json.dumps(obj).encode()
        h.send_response(code)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    def _authorized(self, h) -> bool:
        expected = "Basic " + base64.b64encode(f"{self.user}:{self.key}".encode()).decode()
        if h.headers.get("Authorization") == expected:
            return True
        self.unauthorized += 1
        self._reply(h, 401, {"code": 401, "message": "Unauthenticated"})
        return False

    def _body(self, h) -> bytes:
        return h.rfile.read(int(h.headers.get("Content-Length") or 0))

    # ------------------------------------------------------------------------------------- handlers

    def _put(self, h) -> None:  # the resumable upload (GCS in real life)
        token = urlsplit(h.path).path.rsplit("/", 1)[-1]
        name, _ = self.blobs[token]
        self.blobs[token] = (name, self._body(h))
        self._reply(h, 200, {})

    def _get(self, h) -> None:  # kernel output files
        path = urlsplit(h.path).path
        if path.startswith("/extra/"):  # an `extra_output` entry, by its index in the listing
            name = list(self.extra_output)[int(path.removeprefix("/extra/"))]
            self.fetched.append(name)
            return self._reply(h, 200, self.extra_output[name], "application/octet-stream")
        rel = path.removeprefix("/output/")
        self.fetched.append(rel)
        return self._reply(h, 200, (self.kernel["working"] / rel).read_bytes(), "application/octet-stream")

    def _post(self, h) -> None:
        path = urlsplit(h.path).path
        if not path.startswith(API):
            return self._reply(h, 404, {"code": 404, "message": f"no route {path}"})
        call = path.removeprefix(API)
        body = json.loads(self._body(h) or b"{}")
        self.calls.append(call)
        self.bodies.setdefault(call, []).append(body)
        if not self._authorized(h):
            return None
        method = call.split("/", 1)[1]
        handler = getattr(self, f"_{method}", None)
        if handler is None:
            return self._reply(h, 404, {"code": 404, "message": f"not faked: {call}"})
        code, obj = handler(body)
        return self._reply(h, code, obj)

    def _GetDatasetStatus(self, b):
        ref = f"{b['ownerSlug']}/{b['datasetSlug']}"
        if ref not in self.datasets:
            return 404, {"code": 404, "message": "Dataset not found"}
        self.dataset_polls[ref] = self.dataset_polls.get(ref, 0) + 1
        # Processing takes a moment after an upload: one "blobs received" before "ready".
        return 200, {"status": "BLOBS_RECEIVED" if self.dataset_polls[ref] == 1 else "READY"}

    def _StartBlobUpload(self, b):
        token = f"tok{len(self.blobs)}"
        self.blobs[token] = (b["name"], b"")
        return 200, {"token": token, "createUrl": f"http://localhost/upload/{token}"}

    def _store(self, ref: str, files: list[dict]) -> dict:
        self.datasets[ref] = {self.blobs[f["token"]][0]: self.blobs[f["token"]][1] for f in files}
        self.dataset_polls[ref] = 0  # the next status poll sees the new version still processing
        return {"ref": ref, "url": f"http://localhost/datasets/{ref}", "status": "ok"}

    def _CreateDataset(self, b):
        return 200, self._store(f"{b['ownerSlug']}/{b['slug']}", b.get("files", []))

    def _CreateDatasetVersion(self, b):
        ref = f"{b['ownerSlug']}/{b['datasetSlug']}"
        if ref not in self.datasets:
            return 404, {"code": 404, "message": "Dataset not found"}
        return 200, self._store(ref, b["body"].get("files", []))

    def _SaveKernel(self, b):
        ref = b["slug"]
        work = self.root / f"kernel{len(self.bodies['kernels.KernelsApiService/SaveKernel'])}"
        self.kernel = {"ref": ref, "request": b, "working": work / "working", "log": "", "exit": None}
        if self.kernel_mode == "run":
            self._run_kernel(b, work)
        elif self.kernel_mode == "fail":  # a careless kernel that printed its environment, then crashed
            self.kernel["log"] = (
                f"env: KAGGLE_KEY={self.key}\nTraceback (most recent call last):\nOutOfMemoryError: CUDA"
            )
        return 200, {"ref": ref, "url": f"http://localhost/code/{ref}", "versionNumber": 1}

    def _run_kernel(self, b, work: Path) -> None:
        """Runs the pushed script like Kaggle would: attached datasets under input/<slug>/, cwd working/."""
        for ref in b.get("datasetDataSources", []):
            folder = work / "input" / ref.split("/")[1]
            folder.mkdir(parents=True)
            for name, data in self.datasets[ref].items():
                (folder / name).write_bytes(data)
        (work / "working").mkdir(parents=True)
        (work / "script.py").write_text(b["text"], encoding="utf-8")
        env = dict(os.environ, KAGGLE_INPUT=str(work / "input"), KAGGLE_WORKING=str(work / "working"))
        for name in [k for k in env if k.startswith("KAGGLE_") and k not in ("KAGGLE_INPUT", "KAGGLE_WORKING")]:
            del env[name]  # a kernel does not see the pushing user's credentials
        env.update(self.kernel_env)
        proc = subprocess.run(
            [sys.executable, str(work / "script.py")],
            cwd=work / "working",
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        self.kernel.update(log=proc.stdout + proc.stderr, exit=proc.returncode)

    def _GetKernelSessionStatus(self, b):
        if not self.kernel:
            return 404, {"code": 404, "message": "Notebook not found"}
        self.status_polls += 1
        mode = self.kernel_mode
        if mode == "hang" or self.status_polls == 1:
            return 200, {"status": "RUNNING"}
        if mode == "fail":
            return 200, {"status": "ERROR", "failureMessage": "Kernel run failed: CUDA out of memory"}
        if self.kernel["exit"] != 0:
            return 200, {"status": "ERROR", "failureMessage": f"script exited {self.kernel['exit']}"}
        return 200, {"status": "COMPLETE"}

    def _ListKernelSessionOutput(self, b):
        work = self.kernel["working"]
        files = sorted(p for p in work.rglob("*") if p.is_file()) if work.is_dir() else []
        out = [
            {"fileName": p.relative_to(work).as_posix(), "url": f"http://localhost/output/{p.relative_to(work)}"}
            for p in files
        ]
        out += [{"fileName": name, "url": f"http://localhost/extra/{i}"} for i, name in enumerate(self.extra_output)]
        return 200, {"files": out, "log": self.kernel.get("log") or "", "nextPageToken": ""}
