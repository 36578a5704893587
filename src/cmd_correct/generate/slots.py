"""Slot values: open-ended, realistic, and kept apart between the splits.

A template's `{slot}` is filled by composing a value from the row's random stream (values.py: stems x
separators x casing x real extensions, nested / absolute / home paths, branch naming conventions,
registries and tags, ...), so almost no value repeats between rows and a model has to copy the user's
own value instead of recalling one it has seen. Well-known real names (README.md, main, nginx) stay in.

Lanes: every value belongs to one split, `lane(value)` = a keyed hash of the value (whatever the slot),
so the lanes are disjoint by construction. A row draws its lane with prepare's split shares and takes
every value from that lane (rejection sampling: a candidate of another lane is drawn again).

`plan(template)` reads what each slot must look like there: its kind from the command around it
(`python {file}` wants a .py file, `conda create -n {dir}` an environment name) and its form from its
word (`~/{dir}` takes a relative path, `old_{file}` a bare name).
"""

from __future__ import annotations

import functools
import hashlib
import random
import re

from .values import GENERATORS, Spec, Where

__all__ = ["GENERATORS", "NAMES", "Lanes", "NoValue", "Spec", "Where", "plan"]

MAX_LEN = {"url": 90, "image": 72, "repo": 72}  # longest value kept per slot (others: 60): rows stay readable
MAX_TRIES = 600  # candidates per value before a lane counts as empty for this slot (share 0.05: p(fail) ~ 1e-13)
_SLOT = re.compile(r"\{(\w+)\}")
_FORMS = ("any", "rel", "bare")  # where a path may start: anywhere, below a given folder, no folder at all


class NoValue(LookupError):
    """No value of this slot was found in the row's lane (a tiny vocabulary); the caller redraws the row."""


NAMES = frozenset(GENERATORS)  # every slot a template may name

# What the command around a slot wants: (slot, pattern searched in the template, kind). First match wins.
CONTEXT: tuple[tuple[str, str, str], ...] = (
    ("file", r"^python3? \{file\}", "py"),
    ("file", r"^(node|deno run) \{file\}", "js"),
    ("file", r"kubectl apply -f \{file\}", "yaml"),
    ("file", r"\bjq\b|json\.tool|-d @\{file\}", "json"),
    ("file", r"tar -xzf \{file\}", "tgz"),
    ("file", r"tar -[tx]v?f \{file\}", "tar"),
    ("file", r"unzip (-l )?\{file\}", "zip"),
    ("file", r"gpg -d \{file\}", "gpg"),
    ("file", r"chmod u?\+x \{file\}", "script"),
    ("file", r"tail -f \{file\}|-Wait|Get-Content \{file\} -Tail", "log"),
    ("file", r"awk -F,", "csv"),
    ("file", r"^awk ", "data"),
    ("file", r"(xdg-open|^open|^start|Invoke-Item) \{file\}", "media"),
    ("file", r"sha256sum|Get-FileHash|certutil", "bin"),
    ("file", r"-o \{file\}|-O \{file\}|-OutFile \{file\}", "download"),
    ("file", r"^git |^(vim|nano|code) |^diff ", "repo"),
    (
        "file",
        r"echo|Set-Content|Add-Content|^touch|ItemType File|type nul|^(sort|uniq|wc|head|tail|grep|findstr|sed)",
        "text",
    ),
    ("dir", r"conda (create -n|activate) \{dir\}", "env"),
    ("dir", r"^tmux ", "session"),
    ("dir", r"go mod init", "gomodule"),
    ("dir", r"create-react-app", "app"),
    ("dir", r"cargo new|hugo new site|dotnet new", "project"),
    ("dir", r"^(mypy|flake8|pytest)", "pkgdir"),
    ("url", r"\| sh$", "script"),
    ("url", r"curl -L?O |curl -LO|wget (-c |-O \{file\} )?\{url\}$|-o \{file\} \{url\}|-OutFile", "file"),
    ("url", r"curl -s|Invoke-RestMethod|-X POST", "api"),
    ("n", r"gh pr checkout", "pr"),
    ("n", r"HEAD~|-j\{n\}|--replicas|ping -c|sleep|Start-Sleep|timeout /t|watch -n|-mtime|rand -hex", "small"),
    ("npmpkg", r"^gem ", "gem"),
    ("npmpkg", r"^composer ", "composer"),
    ("npmpkg", r"^(npm install|yarn add|pnpm add|bun add|npx)", "at"),
    ("pypkg", r"^(python -m )?pip install \{pypkg\}", "pin"),
    ("pypkg", r"^conda ", "conda"),
    ("crate", r"^go get", "gomod"),
    ("brewpkg", r"^winget", "winget"),
    ("brewpkg", r"^choco", "choco"),
    ("brewpkg", r"snap ", "snap"),
    ("aptpkg", r"dnf|yum", "rpm"),
    ("aptpkg", r"pacman", "arch"),
    ("script", r"pytest -k", "test"),
    ("version", r"python=", "python"),
    ("host", r"^(dig|nslookup|host|Resolve-DnsName|traceroute) ", "dns"),
    ("repo", r"^gh repo clone", "gh"),
)
_CONTEXT = tuple((slot, re.compile(p), kind) for slot, p, kind in CONTEXT)


@functools.lru_cache(maxsize=16384)
def plan(template: str) -> dict[str, Spec]:
    """What each slot of `template` must look like: its kind (from the command) and form (from its word)."""
    forms: dict[str, str] = {}
    for word in template.split(" "):
        for m in _SLOT.finditer(word):
            name = m.group(1)
            if name not in NAMES:
                continue
            before = word[: m.start()].lstrip("\"'(")
            form = "any" if before in ("", "@") else "rel" if before.endswith(("/", "\\")) else "bare"
            forms[name] = max(forms.get(name, "any"), form, key=_FORMS.index)
    out = {}
    for name, form in forms.items():
        kind = next((k for s, p, k in _CONTEXT if s == name and p.search(template)), "")
        out[name] = Spec(kind, form)
    return out


class Lanes:
    """Which split a value belongs to, and values drawn from one split only."""

    def __init__(self, seed: int, split: dict[str, float]):
        self.key = hashlib.sha256(f"slots:{seed}".encode()).digest()[:16]
        total = sum(split.values())
        self.names = tuple(split)
        self.shares = tuple(split[s] / total for s in self.names)
        self.edges, acc = [], 0.0
        for share in self.shares:
            acc += share
            self.edges.append(acc)

    def lane(self, value: str) -> str:
        digest = hashlib.blake2b(value.encode(), digest_size=8, key=self.key).digest()
        u = int.from_bytes(digest, "big") / 2**64
        return next((name for name, edge in zip(self.names, self.edges, strict=True) if u < edge), self.names[-1])

    def draw_lane(self, rng: random.Random) -> str:
        return rng.choices(self.names, self.shares)[0]

    def value(self, name: str, spec: Spec, rng: random.Random, lane: str, where: Where) -> str:
        """A value of slot `name` (as `spec` wants it) from `lane`; NoValue when none turns up."""
        gen, longest = GENERATORS[name], MAX_LEN.get(name, 60)
        for _ in range(MAX_TRIES):
            v = gen(rng, spec, where)
            if len(v) <= longest and self.lane(v) == lane:
                return v
        raise NoValue(f"no {name} value in the {lane} lane after {MAX_TRIES} tries")
