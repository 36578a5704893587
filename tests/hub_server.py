"""A loopback HTTP server that stands in for huggingface.co in tests (no network, nothing real is uploaded).

It answers exactly the requests huggingface_hub (2.x, read from its source) sends for what release.py does:
  POST /api/repos/create                                   create_repo (409 + url when it exists)
  POST /api/validate-yaml                                  create_commit checks README.md front matter
  POST /api/models/{repo}/preupload/{rev}                  upload mode per file (lfs or regular)
  POST /{repo}.git/info/lfs/objects/batch                  LFS batch API: where to PUT each object
  PUT  /lfs-upload/{oid}                                   the "S3" upload (no Authorization, like S3)
  POST /{repo}.git/info/lfs/objects/verify                 LFS verify
  POST /api/models/{repo}/commit/{rev}                     the NDJSON commit
  POST /api/models/{repo}/paths-info/{rev}                 get_paths_info (lfs.oid = sha256)
  GET  /api/models/{repo}[/revision/{rev}]                 repo_info / model_info
  POST /api/models/{repo}/tag/{rev}                        create_tag (409 when the tag exists)
  GET  /api/models/{repo}/refs                             list_repo_refs (branches, tags)
  HEAD /{repo}/resolve/{rev}/{path}, GET the same          hf_hub_download (ETag, X-Repo-Commit; rev: main,
                                                           a commit oid or a tag)
Every /api and .git request must carry `Authorization: Bearer <token>`. Xet uploads are not served:
tests set HF_HUB_DISABLE_XET so the client takes the LFS path (the real Hub accepts both).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlparse

# The Hub stores these as LFS whatever their size (its default .gitattributes); others go LFS when binary
# or large.
LFS_SUFFIXES = (".gguf", ".bin", ".safetensors", ".pt", ".onnx")
LFS_MIN_SIZE = 10 * 1024 * 1024


def blob_oid(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def lfs_pointer(oid: str, size: int) -> bytes:
    return f"version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize {size}\n".encode()


@dataclass
class Commit:
    oid: str
    summary: str
    description: str
    files: dict[str, dict]  # path -> {"size", "oid" (git blob), "lfs": {"oid", "size"} | None, "content"}


@dataclass
class Repo:
    repo_id: str
    private: bool
    commits: list[Commit] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)  # tag -> commit oid

    @property
    def tree(self) -> dict[str, dict]:
        return self.commits[-1].files if self.commits else {}


class FakeHub:
    """The server's state; `url` is the endpoint to hand to huggingface_hub."""

    def __init__(self, token: str):
        self.token = token
        self.repos: dict[str, Repo] = {}
        self.lfs: dict[str, bytes] = {}  # sha256 -> bytes
        self.requests: list[tuple[str, str, bool]] = []  # (method, path, had the bearer token)
        self.unhandled: list[str] = []
        self.tamper_sha256 = False  # report a wrong LFS oid in paths-info (to test verification)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> FakeHub:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def file_bytes(self, repo_id: str, path: str) -> bytes:
        """The content of a file at the repo's head (LFS files resolved from the LFS store)."""
        f = self.repos[repo_id].tree[path]
        return self.lfs[f["lfs"]["oid"]] if f["lfs"] else f["content"]


def _handler(hub: FakeHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:  # quiet
            pass

        # -- plumbing ---------------------------------------------------------------------------------
        def _body(self) -> bytes:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                out = b""
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                    if size == 0:
                        self.rfile.readline()
                        return out
                    out += self.rfile.read(size)
                    self.rfile.readline()
            n = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(n) if n else b""

        def _send(
            self, status: int, obj=None, *, error_code: str | None = None, ctype: str = "application/json"
        ) -> None:
            data = b"" if obj is None else json.dumps(obj).encode()
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            if error_code:
                self.send_header("X-Error-Code", error_code)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        def _authed(self) -> bool:
            return self.headers.get("Authorization") == f"Bearer {hub.token}"

        def _repo(self, repo_id: str) -> Repo | None:
            repo = hub.repos.get(repo_id)
            if repo is None:
                self._send(404, {"error": "Repository not found"}, error_code="RepoNotFound")
            return repo

        def _repo_commit(self, repo_id: str, rev: str) -> tuple[Repo, Commit] | None:
            """The repo and its commit at `rev`, or None after answering 404 (no repo, or no such revision)."""
            repo = self._repo(repo_id)
            if repo is None:
                return None
            commit = self._commit_at(repo, rev)
            if commit is None:
                self._send(404, {"error": f"Invalid rev id: {rev}"}, error_code="RevisionNotFound")
                return None
            return repo, commit

        def _commit_at(self, repo: Repo, rev: str) -> Commit | None:
            rev = unquote(rev)
            if rev == "main":
                return repo.commits[-1] if repo.commits else None
            rev = repo.tags.get(rev, rev)
            return next((c for c in repo.commits if c.oid == rev), None)

        # -- dispatch ---------------------------------------------------------------------------------
        def do_GET(self) -> None:
            self._dispatch("GET")

        def do_POST(self) -> None:
            self._dispatch("POST")

        def do_PUT(self) -> None:
            self._dispatch("PUT")

        def do_HEAD(self) -> None:
            self._dispatch("HEAD")

        def _dispatch(self, method: str) -> None:
            path = urlparse(self.path).path
            body = self._body()
            authed = self._authed()
            with hub._lock:
                hub.requests.append((method, path, authed))
                if method == "PUT" and (m := re.fullmatch(r"/lfs-upload/([0-9a-f]{64})", path)):
                    return self._lfs_put(m[1], body)  # a presigned "S3" URL: no token, like the real one
                if not authed:
                    return self._send(401, {"error": "Invalid credentials in Authorization header"})
                routes = [
                    ("POST", r"/api/repos/create", self._create_repo),
                    ("POST", r"/api/validate-yaml", self._validate_yaml),
                    ("POST", r"/api/models/([^/]+/[^/]+)/preupload/(.+)", self._preupload),
                    ("POST", r"/([^/]+/[^/]+)\.git/info/lfs/objects/batch", self._lfs_batch),
                    ("POST", r"/([^/]+/[^/]+)\.git/info/lfs/objects/verify", self._lfs_verify),
                    ("POST", r"/api/models/([^/]+/[^/]+)/commit/(.+)", self._commit),
                    ("POST", r"/api/models/([^/]+/[^/]+)/paths-info/(.+)", self._paths_info),
                    ("POST", r"/api/models/([^/]+/[^/]+)/tag/(.+)", self._create_tag),
                    ("GET", r"/api/models/([^/]+/[^/]+)/refs", self._refs),
                    ("GET", r"/api/models/([^/]+/[^/]+)(?:/revision/(.+))?", self._repo_info),
                    ("GET", r"/([^/]+/[^/]+)/resolve/([^/]+)/(.+)", self._resolve),
                    ("HEAD", r"/([^/]+/[^/]+)/resolve/([^/]+)/(.+)", self._resolve_head),
                ]
                for verb, pattern, fn in routes:
                    if verb == method and (m := re.fullmatch(pattern, path)):
                        return fn(body, *m.groups())
                hub.unhandled.append(f"{method} {path}")
                self._send(404, {"error": f"not served by the fake Hub: {method} {path}"})

        # -- endpoints --------------------------------------------------------------------------------
        def _create_repo(self, body: bytes) -> None:
            req = json.loads(body)
            repo_id = f"{req['organization']}/{req['name']}" if req.get("organization") else req["name"]
            url = f"{hub.url}/{repo_id}"
            if repo_id in hub.repos:
                return self._send(409, {"error": "You already created this model repo", "url": url})
            hub.repos[repo_id] = Repo(repo_id, private=req.get("visibility") == "private")
            self._send(200, {"url": url, "name": repo_id})

        def _validate_yaml(self, body: bytes) -> None:
            import yaml

            content = json.loads(body)["content"]
            m = re.match(r"^---\n(.*?)\n---\n", content, re.S)
            try:
                meta = yaml.safe_load(m[1]) if m else None
            except yaml.YAMLError as e:
                return self._send(400, {"errors": [{"message": f"invalid YAML: {e}"}]})
            if not isinstance(meta, dict):
                return self._send(200, {"errors": [], "warnings": [{"message": "empty or missing metadata"}]})
            self._send(200, {"errors": [], "warnings": []})

        def _preupload(self, body: bytes, repo_id: str, rev: str) -> None:
            repo = self._repo(repo_id)
            if repo is None:
                return
            files = []
            for f in json.loads(body)["files"]:
                sample = base64.b64decode(f["sample"])
                lfs = f["path"].endswith(LFS_SUFFIXES) or b"\0" in sample or f["size"] >= LFS_MIN_SIZE
                files.append({"path": f["path"], "uploadMode": "lfs" if lfs else "regular", "shouldIgnore": False})
            self._send(200, {"files": files, "commitOid": repo.commits[-1].oid if repo.commits else None})

        def _lfs_batch(self, body: bytes, repo_id: str) -> None:
            if self._repo(repo_id) is None:
                return
            req = json.loads(body)
            objects = []
            for o in req["objects"]:
                entry = {"oid": o["oid"], "size": o["size"], "authenticated": True}
                if o["oid"] not in hub.lfs:
                    entry["actions"] = {
                        "upload": {"href": f"{hub.url}/lfs-upload/{o['oid']}"},
                        "verify": {"href": f"{hub.url}/{repo_id}.git/info/lfs/objects/verify"},
                    }
                objects.append(entry)
            self._send(200, {"transfer": "basic", "objects": objects}, ctype="application/vnd.git-lfs+json")

        def _lfs_put(self, oid: str, body: bytes) -> None:
            if hashlib.sha256(body).hexdigest() != oid:
                return self._send(400, {"error": "sha256 mismatch"})
            hub.lfs[oid] = body
            self._send(200, {})

        def _lfs_verify(self, body: bytes, repo_id: str) -> None:
            req = json.loads(body)
            data = hub.lfs.get(req["oid"])
            if data is None or len(data) != req["size"]:
                return self._send(404, {"error": "object not found"})
            self._send(200, {})

        def _commit(self, body: bytes, repo_id: str, rev: str) -> None:
            repo = self._repo(repo_id)
            if repo is None:
                return
            if not self.headers.get("Content-Type", "").startswith("application/x-ndjson"):
                return self._send(400, {"error": "expected application/x-ndjson"})
            lines = [json.loads(line) for line in body.decode().splitlines() if line.strip()]
            header = next(item["value"] for item in lines if item["key"] == "header")
            files = dict(repo.tree)
            for item in lines:
                v = item["value"]
                if item["key"] == "file":
                    data = base64.b64decode(v["content"])
                    files[v["path"]] = {"size": len(data), "oid": blob_oid(data), "lfs": None, "content": data}
                elif item["key"] == "lfsFile":
                    if v["oid"] not in hub.lfs:
                        return self._send(422, {"error": f"LFS object {v['oid']} was never uploaded"})
                    files[v["path"]] = {
                        "size": v["size"],
                        "oid": blob_oid(lfs_pointer(v["oid"], v["size"])),
                        "lfs": {"oid": v["oid"], "size": v["size"]},
                        "content": None,
                    }
                elif item["key"] != "header":
                    return self._send(400, {"error": f"unsupported commit operation {item['key']}"})
            oid = hashlib.sha1(body + str(len(repo.commits)).encode()).hexdigest()
            repo.commits.append(Commit(oid, header["summary"], header.get("description", ""), files))
            self._send(
                200,
                {
                    "commitUrl": f"{hub.url}/{repo_id}/commit/{oid}",
                    "commitOid": oid,
                    "pullRequestUrl": None,
                    "success": True,
                },
            )

        def _paths_info(self, body: bytes, repo_id: str, rev: str) -> None:
            if (found := self._repo_commit(repo_id, rev)) is None:
                return
            _, commit = found
            out = []
            for p in parse_qs(body.decode()).get("paths", []):
                f = commit.files.get(p)
                if f is None:
                    continue  # the real endpoint silently leaves out paths that do not exist
                entry = {"type": "file", "path": p, "size": f["size"], "oid": f["oid"]}
                if f["lfs"]:
                    sha = f["lfs"]["oid"]
                    if hub.tamper_sha256:
                        sha = hashlib.sha256(sha.encode()).hexdigest()
                    entry["lfs"] = {"oid": sha, "size": f["lfs"]["size"], "pointerSize": 134}
                out.append(entry)
            self._send(200, out)

        def _create_tag(self, body: bytes, repo_id: str, rev: str) -> None:
            if (found := self._repo_commit(repo_id, rev)) is None:
                return
            repo, commit = found
            tag = json.loads(body)["tag"]
            if tag in repo.tags:
                return self._send(409, {"error": f"Tag {tag} already exists"})
            repo.tags[tag] = commit.oid
            self._send(200, {})

        def _refs(self, body: bytes, repo_id: str) -> None:
            repo = self._repo(repo_id)
            if repo is None:
                return
            head = repo.commits[-1].oid if repo.commits else None
            branches = [{"name": "main", "ref": "refs/heads/main", "targetCommit": head}] if head else []
            tags = [{"name": t, "ref": f"refs/tags/{t}", "targetCommit": oid} for t, oid in repo.tags.items()]
            self._send(200, {"branches": branches, "tags": tags, "converts": []})

        def _file_at(self, repo_id: str, rev: str, path: str) -> tuple[Commit, dict, bytes] | None:
            if (found := self._repo_commit(repo_id, rev)) is None:
                return None
            _, commit = found
            f = commit.files.get(unquote(path))
            if f is None:
                self._send(404, {"error": "Entry not found"}, error_code="EntryNotFound")
                return None
            data = hub.lfs[f["lfs"]["oid"]] if f["lfs"] else f["content"]
            return commit, f, data

        def _resolve_headers(self, commit: Commit, f: dict, data: bytes) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("ETag", f'"{f["lfs"]["oid"] if f["lfs"] else f["oid"]}"')
            self.send_header("X-Repo-Commit", commit.oid)
            self.end_headers()

        def _resolve_head(self, body: bytes, repo_id: str, rev: str, path: str) -> None:
            if found := self._file_at(repo_id, rev, path):
                self._resolve_headers(*found)

        def _resolve(self, body: bytes, repo_id: str, rev: str, path: str) -> None:
            if found := self._file_at(repo_id, rev, path):
                self._resolve_headers(*found)
                self.wfile.write(found[2])

        def _repo_info(self, body: bytes, repo_id: str, rev: str | None) -> None:
            repo = self._repo(repo_id)
            if repo is None:
                return
            head = repo.commits[-1].oid if repo.commits else None
            self._send(
                200,
                {
                    "id": repo_id,
                    "modelId": repo_id,
                    "sha": head,
                    "private": repo.private,
                    "siblings": [{"rfilename": p} for p in repo.tree],
                },
            )

    return Handler
