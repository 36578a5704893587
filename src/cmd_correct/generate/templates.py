"""Row builders, one per family: pick a correct command in the shell's own syntax, break it, and say
how (category, edit) and what the shell would print (error).

A builder returns a row dict without `id`, or None when the draw does not apply (the caller redraws).
"""

from __future__ import annotations

import functools
import random
import re
from collections.abc import Callable
from typing import Protocol

from . import catalogue as cat
from . import mistakes
from . import shellerrors as err
from .mutations import TYPOS, flag_mistake, typo, within_one_edit
from .rows import action_template, group_key, row
from .slots import Lanes, Spec, Where, plan


class Mix(Protocol):
    """The generate params a builder reads (generate.Params has them all)."""

    trivial_share: float
    second_typo_share: float
    missing_pipe_share: float
    capitalised_share: float
    long_flag_mistakes: dict[str, float]
    short_flag_double_dash: float


_SLOT = re.compile(r"\{(\w+)\}")
Pick = Callable[[str, Spec, random.Random], str]  # (slot name, what it must look like, rng) -> value

# Habits carried over from other tools (svn aliases, other package managers): wrong -> right subcommand.
WRONG_SUBCOMMANDS: dict[str, dict[str, tuple[str, ...]]] = {
    "git": {
        "commit": ("ci",),
        "checkout": ("co",),
        "status": ("st", "info"),
        "branch": ("br",),
        "restore": ("unstage", "undo"),
        "switch": ("change",),
        "pull": ("update",),
        "clone": ("copy",),
    },
    "pip": {"uninstall": ("remove", "delete"), "install": ("add", "get"), "list": ("ls",), "show": ("info",)},
    "docker": {
        "ps": ("ls", "list"),
        "logs": ("log",),
        "images": ("imgs",),
        "rmi": ("delete",),
        "stop": ("kill-container",),
    },
    "kubectl": {"logs": ("log",), "get": ("list", "show"), "describe": ("desc", "info"), "delete": ("remove",)},
    "cargo": {"build": ("compile", "make"), "test": ("tests",), "run": ("start", "exec")},
    "yarn": {"add": ("install",)},
    "go": {"build": ("compile",), "test": ("check",)},
    "terraform": {"apply": ("deploy", "run"), "destroy": ("delete", "down"), "init": ("setup",)},
    "helm": {"install": ("deploy",)},
    "brew": {"install": ("add", "get"), "uninstall": ("delete",)},
    "apt": {"install": ("add", "get"), "remove": ("uninstall", "delete"), "search": ("find",)},
    "systemctl": {"status": ("info", "state"), "start": ("run", "up"), "stop": ("down", "kill")},
    "gh": {"pr": ("pull-request", "mr"), "issue": ("issues", "bug")},
    "conda": {"install": ("add",), "create": ("new",)},
    "dotnet": {"run": ("start",), "build": ("compile",)},
    "npm": {"uninstall": ("remove-package",), "init": ("create-project",)},
}
# A wrong subcommand whose right form is more than the one word it replaces: `git unstage F` is
# `git restore --staged F` (plain `git restore F` discards the change instead of unstaging it).
SUBCOMMAND_FIXES: dict[tuple[str, str], str] = {("git", "unstage"): "restore --staged"}

# Natural-language requests for tool commands (the same in every shell).
TOOL_NL: tuple[tuple[str, str], ...] = (
    ("show the status of my git repo", "git status"),
    ("what files did i change", "git status"),
    ("stage {file}", "git add {file}"),
    ("commit everything with the message {msg}", 'git commit -am "{msg}"'),
    ("commit the staged changes saying {msg}", 'git commit -m "{msg}"'),
    ("create a new branch called {branch} and switch to it", "git switch -c {branch}"),
    ("switch to the {branch} branch", "git switch {branch}"),
    ("push {branch} to origin", "git push origin {branch}"),
    ("pull the latest {branch} from origin", "git pull origin {branch}"),
    ("delete the local branch {branch}", "git branch -d {branch}"),
    ("show the last {n} commits in one line each", "git log --oneline -n {n}"),
    ("undo the last {n} commits and drop the changes", "git reset --hard HEAD~{n}"),
    ("clone {repo}", "git clone {repo}"),
    ("show what is staged", "git diff --staged"),
    ("stash my changes", "git stash"),
    ("bring back my stashed changes", "git stash pop"),
    ("merge {branch} into the current branch", "git merge {branch}"),
    ("discard changes to {file}", "git restore {file}"),
    ("stop tracking {file} but keep it on disk", "git rm --cached {file}"),
    ("list running containers", "docker ps"),
    ("list all containers including stopped ones", "docker ps -a"),
    ("run {image} interactively and remove it after", "docker run -it --rm {image}"),
    ("build a docker image tagged {image} from this folder", "docker build -t {image} ."),
    ("follow the logs of the {container} container", "docker logs -f {container}"),
    ("open a shell in the {container} container", "docker exec -it {container} sh"),
    ("stop the {container} container", "docker stop {container}"),
    ("start the compose stack in the background", "docker compose up -d"),
    ("remove unused docker data", "docker system prune -a"),
    ("list pods in the {ns} namespace", "kubectl get pods -n {ns}"),
    ("show logs for pod {pod}", "kubectl logs {pod}"),
    ("describe the pod {pod}", "kubectl describe pod {pod}"),
    ("apply the manifest {file}", "kubectl apply -f {file}"),
    ("scale the {deploy} deployment to {n} replicas", "kubectl scale deployment {deploy} --replicas={n}"),
    ("restart the {deploy} deployment", "kubectl rollout restart deployment {deploy}"),
    ("forward local port {port} to pod {pod}", "kubectl port-forward {pod} {port}:{port}"),
    ("install {npmpkg} with npm", "npm install {npmpkg}"),
    ("add {npmpkg} as a dev dependency", "npm install --save-dev {npmpkg}"),
    ("run the {script} script from package.json", "npm run {script}"),
    ("install the python package {pypkg}", "pip install {pypkg}"),
    ("upgrade {pypkg}", "pip install --upgrade {pypkg}"),
    ("install the requirements file", "pip install -r requirements.txt"),
    ("create a virtual environment in .venv", "python -m venv .venv"),
    ("serve this folder over http on port {port}", "python -m http.server {port}"),
    ("build the rust project in release mode", "cargo build --release"),
    ("add the {crate} crate", "cargo add {crate}"),
    ("run the rust tests", "cargo test"),
    ("tidy the go modules", "go mod tidy"),
    ("run all go tests", "go test ./..."),
    ("ssh into {server} as {user}", "ssh {user}@{server}"),
    ("ssh to {server} on port {port} as {user}", "ssh -p {port} {user}@{server}"),
    ("copy {file} to my home on {server}", "scp {file} {user}@{server}:~/"),
    ("initialize terraform", "terraform init"),
    ("show the terraform plan", "terraform plan"),
    ("apply terraform without asking", "terraform apply -auto-approve"),
    ("list my s3 buckets", "aws s3 ls"),
    ("upload {file} to the {bucket} bucket", "aws s3 cp {file} s3://{bucket}/"),
    ("who am i logged into aws as", "aws sts get-caller-identity"),
    ("open a pull request", "gh pr create"),
    ("check out pull request {n}", "gh pr checkout {n}"),
    ("pretty print {file} as json", "jq . {file}"),
    ("install {brewpkg} with winget", "winget install {brewpkg}"),
    ("create a conda env called {dir} with python {version}", "conda create -n {dir} python={version}"),
    ("install dependencies with poetry", "poetry install"),
    ("run the tests verbosely", "pytest -v"),
    ("rerun only the tests that failed", "pytest --lf"),
    ("make a release build of the dotnet project", "dotnet publish -c Release"),
    ("build with maven skipping tests", "mvn clean package -DskipTests"),
    ("install the helm chart as {deploy}", "helm install {deploy} ./chart"),
    ("generate an ed25519 ssh key", "ssh-keygen -t ed25519"),
    ("generate {n} random bytes as hex", "openssl rand -hex {n}"),
)
POSIX_TOOL_NL: tuple[tuple[str, str], ...] = (
    ("install {aptpkg} on ubuntu", "sudo apt install {aptpkg}"),
    ("update the package lists", "sudo apt update"),
    ("restart {svc}", "sudo systemctl restart {svc}"),
    ("is {svc} running", "systemctl status {svc}"),
    ("enable {svc} at boot", "sudo systemctl enable {svc}"),
    ("show the logs of {svc} live", "journalctl -u {svc} -f"),
    ("install {brewpkg} with homebrew", "brew install {brewpkg}"),
    ("extract {file}", "tar -xzf {file}"),
    ("make a gzipped tarball of {dir}", "tar -czf backup.tar.gz {dir}"),
    ("find files bigger than {n} megabytes", "find . -size +{n}M"),
    ("delete all .{ext} files below here", 'find . -name "*.{ext}" -delete'),
    ("show free memory", "free -h"),
    ("sync {dir} to {server}", "rsync -avz {dir}/ {user}@{server}:~/{dir}/"),
    ("replace {pat} with fixed everywhere in {file}", "sed -i 's/{pat}/fixed/g' {file}"),
    ("print the first column of {file}", "awk '{print $1}' {file}"),
    ("take ownership of {dir} recursively", "sudo chown -R $USER {dir}"),
    ("edit my crontab", "crontab -e"),
    ("show listening ports", "ss -tulpn"),
)

# Ways people phrase a request; the body keeps its own wording.
NL_FRAMES = (
    "{}",
    "{}",
    "how do i {}",
    "how to {}",
    "{} please",
    "i want to {}",
    "command to {}",
    "can you {}",
    "{}?",
    "help me {}",
    "quickly {}",
    "need to {}",
)


def fill(
    template: str, rng: random.Random, values: dict[str, str] | None = None, *, pick: Pick
) -> tuple[str, list[bool]]:
    """Render `template`; return the command and, per word, whether it is literal (safe to mutate).

    A slot already in `values` keeps its value (one row, one file name); a new one comes from `pick`."""
    values = {} if values is None else values
    specs = plan(template)

    def sub(m: re.Match) -> str:
        name = m.group(1)
        if name not in specs:
            return m.group(0)
        if name not in values:
            values[name] = pick(name, specs[name], rng)
        return values[name]

    words = _template_words(template)
    out, literal = [], []
    for w in words:
        filled = _SLOT.sub(sub, w)
        out.append(filled)
        literal.append(filled == w)
    return " ".join(out), literal


@functools.lru_cache(maxsize=4096)
def _template_words(template: str) -> tuple[str, ...]:
    return tuple(split_words(template))


def split_words(command: str) -> list[str]:
    """Split on spaces outside quotes (enough for our templates; no escapes)."""
    if '"' not in command and "'" not in command:
        return command.split()
    words, cur, quote = [], [], ""
    for ch in command:
        if quote:
            cur.append(ch)
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
            cur.append(ch)
        elif ch == " ":
            if cur:
                words.append("".join(cur))
                cur = []
        else:
            cur.append(ch)
    if cur:
        words.append("".join(cur))
    return words


def tool_templates(shell: str) -> list[tuple[str, str]]:
    """(program, template) pairs usable in `shell`; the program is the word after an optional sudo."""
    return [
        (program_of(t), t)
        for platform, temps in cat.TOOLS.values()
        if platform == "any" or shell in cat.POSIX
        for t in temps
    ]


def program_of(command: str) -> str:
    words = command.split()
    return words[1] if words[0] == "sudo" and len(words) > 1 else words[0]


class Builder:
    """Draws rows for one shell; holds the tables so each draw is a few dict lookups."""

    def __init__(self, shell: str, mix: Mix, lanes: Lanes | None = None):
        self.shell = shell
        self.mix = mix  # the generate params that shape the mistakes (shares of each variant)
        self.allowed_trivial = False  # set when the last draw kept a one-character edit on purpose
        self.lanes = lanes or Lanes(0, {"train": 1.0})
        self.lane = self.lanes.names[0]  # the split this draw's slot values come from (see begin)
        self.values: dict[str, str] = {}  # this draw's slot values, shared by every template of the row
        self.used: dict[str, str] = {}  # the values drawn (not derived) in this draw
        self.tools = tool_templates(shell)
        self.actions = [a for a in cat.ACTIONS if action_template(a, shell)]
        self.sudo = [(t, s) for t, s in self.tools if s.startswith("sudo ")]
        self.flagged = [(t, s) for t, s in self.tools if any(w.startswith("-") for w in split_words(s))]
        self.subs = [(t, s) for t, s in self.tools if _subcommand_word(s) in WRONG_SUBCOMMANDS.get(t, {})]
        self.quoted = [s for _, s in self.tools if '"{msg}"' in s or '"{pat}"' in s]
        self.quoted += [action_template(a, shell) for a in self.actions if '"{msg}"' in action_template(a, shell)]
        self.nl = [(p, action_template(a, shell), "shell") for a in self.actions for p in cat.ACTIONS[a][1]]
        self.nl += [(p, c, c.split()[0]) for p, c in TOOL_NL]
        if shell in cat.POSIX:
            self.nl += [(p, c, c.split()[1] if c.startswith("sudo ") else c.split()[0]) for p, c in POSIX_TOOL_NL]
        self.chains = chains_for(shell)
        runners = ("npm", "make", "cargo", "python", "go", "pytest", "mvn", "gradle", "dotnet", "docker", "terraform")
        self.redirectable = [t for t in self.tools if t[1].split()[0] in runners]  # commands worth logging
        self.pipes = cat.PIPES["posix" if shell in cat.POSIX else shell]
        # Templates written for this Windows shell only: their paths use its own style (C:\\, backslashes).
        self.native = set(self.pipes) if shell in cat.WINDOWS else set()
        if shell in cat.WINDOWS:
            self.native.update(action_template(a, shell) for a in self.actions)

    # ---- slot values --------------------------------------------------------------------------
    def begin(self, rng: random.Random) -> None:
        """Start a draw: pick its lane (the split its slot values come from) and forget the last values."""
        self.lane = self.lanes.draw_lane(rng)
        self.values, self.used = {}, {}
        self.allowed_trivial = False

    def fill(self, template: str, rng: random.Random, values: dict[str, str] | None = None):
        """`fill` with this draw's lane and shell; values are shared across the row unless given."""
        where = Where(self.shell, template in self.native)
        return fill(
            template, rng, self.values if values is None else values, pick=lambda n, s, r: self._draw(n, s, r, where)
        )

    def _draw(self, name: str, spec: Spec, rng: random.Random, where: Where) -> str:
        value = self.lanes.value(name, spec, rng, self.lane, where)
        self.used[name] = value
        return value

    def slots_of(self, row: dict) -> dict[str, str] | None:
        """The drawn values the row shows, or None when its correction holds one its input never shows
        (a request that does not name the file the answer writes cannot be answered by copying)."""
        out = {}
        for name, value in self.used.items():
            if value in row["correction"] and value not in row["command"]:
                return None
            if value in row["correction"] or value in row["command"]:
                out[name] = value
        return out

    # ---- helpers ------------------------------------------------------------------------------
    def _typo_words(
        self, words: list[str], literal: list[bool], rng: random.Random, skip: set[int], prefer_first: bool
    ) -> tuple[int, str, str] | None:
        """Typo one literal, alphabetic word: (index, new word, edit name)."""
        # Only the command name, the subcommand and flags: a slip in a file name cannot be corrected.
        heads = {j + (words[j] == "sudo") for j in range(len(words)) if j == 0 or words[j - 1] == "|"}
        cands = [
            i
            for i, w in enumerate(words)
            if literal[i]
            and i not in skip
            and w != "sudo"
            and sum(ch.isalpha() for ch in w) >= 2
            and (i in heads or i - 1 in heads or w.startswith("-"))
            and not any(c in w for c in "/\\.=:")
        ]
        if not cands:
            return None
        i = cands[0] if prefer_first and rng.random() < 0.5 else rng.choice(cands)
        for _ in range(3):
            kind = rng.choice(TYPOS)
            new = typo(words[i], kind, rng)
            if new:
                return i, new, kind
        return None

    def _finish(self, words, literal, broken, edits, rng, touched) -> tuple[str, list[str]] | None:
        """Make the edit non-trivial unless the trivial-share draw allows one; None when it cannot."""
        correct = " ".join(words)
        command = " ".join(broken)
        if command == correct:
            return None
        if within_one_edit(command, correct):
            if rng.random() < self.mix.trivial_share:
                self.allowed_trivial = True
                return command, edits
            extra = self._typo_words(broken, literal, rng, touched, prefer_first=False)
            if extra is None:
                return None
            i, new, kind = extra
            broken = broken[:i] + [new] + broken[i + 1 :]
            touched.add(i)
            edits.append(kind)
            command = " ".join(broken)
            if within_one_edit(command, correct):
                return None
        return command, edits

    def _error_for(self, tool: str, words: list[str], broken: list[str], touched: set[int]) -> str | None:
        """The message for the first word that changed: a command name (of any pipeline part), its
        subcommand, or a flag, said by the shell or by the tool that part runs."""
        for i in sorted(touched):
            start = max(j for j in range(i + 1) if j == 0 or words[j - 1] == "|")
            start += words[start] == "sudo" and start < i
            name = words[start]
            part_tool = tool if start <= 1 and tool != "shell" else name
            if i == start:
                return err.not_found(self.shell, broken[i])
            if i == start + 1 and not broken[i].startswith("-"):
                msg = err.subcommand(part_tool, broken[i])
                if msg:
                    return msg
            if broken[i].startswith("-"):
                if self.shell == "powershell" and name[:1].isupper():
                    return err.ps_parameter(name, broken[i].lstrip("-"))
                msg = err.flag(part_tool, broken[i])
                if msg:
                    return msg
        return None

    # ---- families -----------------------------------------------------------------------------
    def single(self, category: str, rng: random.Random) -> dict | None:
        """Shell-native commands in the shell's own syntax (cmdlets, builtins), broken one way."""
        if category in mistakes.SINGLE:
            return mistakes.SINGLE[category](self, rng)
        if category == "foreign":
            return self._foreign(rng)
        if category == "sudo":
            return self._sudo(rng, "single")
        if category == "quoting":
            return self._quoting(rng)
        if category == "redirect":
            return self._redirect(rng)
        action = rng.choice(self.actions)
        template = action_template(action, self.shell)
        words_s, literal = self.fill(template, rng)
        words = split_words(words_s)
        if len(literal) != len(words):
            literal = [False] * len(words)
        if category == "flag":
            return self._flag(words, literal, "shell", rng, "single")
        return self._typo(words, literal, "shell", rng, "single")

    def tools_row(self, category: str, rng: random.Random) -> dict | None:
        """Top-100 CLI tools: typos, wrong subcommands, wrong flags, missing sudo."""
        if category in mistakes.TOOLS:
            return mistakes.TOOLS[category](self, rng)
        if category == "sudo":
            return self._sudo(rng, "tools")
        pool = {"flag": self.flagged, "subcommand": self.subs}.get(category, self.tools)
        if not pool:
            return None
        tool, template = rng.choice(pool)
        words_s, literal = self.fill(template, rng)
        words = split_words(words_s)
        if len(literal) != len(words):
            literal = [False] * len(words)
        if category == "flag":
            return self._flag(words, literal, tool, rng, "tools")
        if category == "subcommand":
            return self._subcommand(words, literal, tool, rng)
        return self._typo(words, literal, tool, rng, "tools")

    def natural(self, rng: random.Random) -> dict | None:
        """A natural-language request -> the command in this shell's syntax."""
        phrase, template, tool = rng.choice(self.nl)
        if "file" in plan(template) and "file" not in plan(phrase) and "url" in plan(phrase):
            # "download {url}": the file it is saved as is the URL's own name, as a user would keep it
            url = self._draw("url", Spec("file", "any"), rng, Where(self.shell, template in self.native))
            self.values.update(url=url, file=url.rsplit("/", 1)[-1])
        correction, _ = self.fill(template, rng)
        request, _ = self.fill(phrase, rng)
        request = rng.choice(NL_FRAMES).format(request)
        if rng.random() < self.mix.capitalised_share:
            request = request[:1].upper() + request[1:]
        return row(self.shell, "natural", "nl", tool, request, correction, "nl-request", None)

    def chained(self, category: str, rng: random.Random) -> dict | None:
        """Chains (&&, fish `; and`, PowerShell `; if ($?)`) and pipelines with one part broken."""
        if category == "pipe":
            correct, literal = self.fill(rng.choice(self.pipes), rng)
            words = split_words(correct)
            if len(literal) != len(words):
                literal = [False] * len(words)
            literal = [lit and w != "|" for w, lit in zip(words, literal, strict=True)]
            if rng.random() < self.mix.missing_pipe_share and "|" in words:
                # A forgotten pipe symbol: `ps aux grep node`.
                k = words.index("|")
                broken = words[:k] + words[k + 1 :]
                return row(self.shell, "chained", "pipe", words[0], " ".join(broken), correct, "missing-pipe", None)
            return self._typo(words, literal, words[0], rng, "chained", category="pipe")
        parts = rng.choice(self.chains)
        rendered, lits = [], []
        for p in parts:
            t = action_template(p[1:], self.shell) if p.startswith("@") else p
            text, lit = self.fill(t, rng)
            rendered.append(text)
            lits.append(lit)
        correct = join_chain(self.shell, rendered)
        if category == "chain-operator":
            # fish 3.0 (2018) runs `a && b` as typed: its wrong operator is its own `; and`, so no row is made
            wrong = {"powershell": " && ", "cmd": "; and "}.get(self.shell, "; and ")
            command = wrong.join(rendered)
            if command == correct:
                return None
            return row(
                self.shell,
                "chained",
                "chain-operator",
                split_words(rendered[0])[0],
                command,
                correct,
                "wrong-operator",
                err.CHAIN_OPERATOR[self.shell],
            )
        # Break one component with typos; the rest stays as is.
        k = rng.randrange(len(rendered))
        words = split_words(rendered[k])
        literal = lits[k] if len(lits[k]) == len(words) else [False] * len(words)
        tool = words[1] if words[0] == "sudo" and len(words) > 1 else words[0]
        broken = self._typo(words, literal, tool, rng, "chained", category="and-chain")
        if broken is None:
            return None
        parts_broken = rendered[:k] + [broken["command"]] + rendered[k + 1 :]
        command = join_chain(self.shell, parts_broken)
        broken.update(command=command, correction=correct, group=group_key(correct))
        return broken

    # ---- categories ---------------------------------------------------------------------------
    def _typo(self, words, literal, tool, rng, family, category="typo"):
        hit = self._typo_words(words, literal, rng, set(), prefer_first=True)
        if hit is None:
            return None
        i, new, kind = hit
        broken = words[:i] + [new] + words[i + 1 :]
        touched, edits = {i}, [kind]
        # Two slips in one line are common; they also keep one-character edits rare.
        if rng.random() < self.mix.second_typo_share:
            more = self._typo_words(broken, literal, rng, touched, prefer_first=False)
            if more:
                j, new2, kind2 = more
                broken[j] = new2
                touched.add(j)
                edits.append(kind2)
        done = self._finish(words, literal, broken, edits, rng, touched)
        if done is None:
            return None
        command, edits = done
        broken = split_words(command)
        error = self._error_for(tool, words, broken, touched) if len(broken) == len(words) else None
        return row(self.shell, family, category, tool, command, " ".join(words), "+".join(edits), error)

    def _flag(self, words, literal, tool, rng, family):
        flags = [i for i, w in enumerate(words) if literal[i] and w.startswith("-") and len(w) > 1]
        if not flags:
            return None
        i = rng.choice(flags)
        wrong = flag_mistake(words[i], rng, self.mix.long_flag_mistakes, self.mix.short_flag_double_dash)
        if wrong is None:
            return None
        kind, new = wrong
        if kind == "flag-case" and case_flag(words, literal, i):
            return None  # `git branch -D`, `grep -I`: the other case is a flag too, so it is no mistake
        broken = words[:i] + [new] + words[i + 1 :]
        touched = {i}
        done = self._finish(words, literal, broken, [kind], rng, touched)
        if done is None:
            return None
        command, edits = done
        error = self._error_for(tool, words, split_words(command), touched)
        return row(self.shell, family, "flag", tool, command, " ".join(words), "+".join(edits), error)

    def _subcommand(self, words, literal, tool, rng):
        first = 1 if words[0] == "sudo" else 0
        sub_i = first + 1
        if sub_i >= len(words) or not literal[sub_i]:
            return None
        choices = WRONG_SUBCOMMANDS.get(tool, {}).get(words[sub_i])
        if not choices:
            return None
        broken = list(words)
        broken[sub_i] = rng.choice(choices)
        fixed = list(words)  # the correction: the template's words, or the fix the wrong word needs
        if (tool, broken[sub_i]) in SUBCOMMAND_FIXES:
            fixed[sub_i] = SUBCOMMAND_FIXES[(tool, broken[sub_i])]
        touched = {sub_i}
        done = self._finish(fixed, literal, broken, ["wrong-subcommand"], rng, touched)
        if done is None:
            return None
        command, edits = done
        broken = split_words(command)
        bad = broken[sub_i]
        error = self._error_for(tool, words, broken, touched)  # a slip in the tool name fails first
        if tool == "yarn" and bad == "install" and min(touched) == sub_i:
            error = '`install` has been replaced with `add` to add new dependencies. Run "yarn add ..." instead.'
        return row(self.shell, "tools", "subcommand", tool, command, " ".join(fixed), "+".join(edits), error)

    def _sudo(self, rng, family):
        if not self.sudo:
            return None
        tool, template = rng.choice(self.sudo)
        correct, literal = self.fill(template, rng)
        words = split_words(correct)
        command = " ".join(words[1:])
        return row(
            self.shell,
            family,
            "sudo",
            tool,
            command,
            correct,
            "missing-sudo",
            err.sudo(tool, words[1:]),
        )

    def _quoting(self, rng):
        if not self.quoted:
            return None
        template = rng.choice(self.quoted)
        name = "msg" if '"{msg}"' in template else "pat"
        where = Where(self.shell, template in self.native)
        # A message with a space (unquoted, it splits); a pattern without an edge space (visible).
        self.values[name] = self._draw(name, Spec("spaced" if name == "msg" else "", "any"), rng, where)
        correct, _ = self.fill(template, rng)
        quoted = f'"{self.values[name]}"'
        if quoted not in correct:
            return None
        inner = quoted[1:-1]
        if rng.random() < 0.5 and " " in inner:
            command, edit = correct.replace(quoted, inner, 1), "unquoted"
        else:
            command, edit = (
                correct.replace(quoted, f"'{inner}" if self.shell != "cmd" else inner, 1),
                "mismatched-quote",
            )
        if command == correct or within_one_edit(command, correct):
            return None
        tool = split_words(correct)[0]
        return row(self.shell, "single", "quoting", tool, command, correct, edit, None)

    def _redirect(self, rng):
        pool = self.redirectable
        tool, template = rng.choice(pool)
        base, _ = self.fill(template, rng)
        out = self._draw("out", Spec("log", "any"), rng, Where(self.shell, self.shell in cat.WINDOWS))
        if self.shell == "tcsh":
            correct, command, error = f"{base} >& {out}", f"{base} 2>&1 > {out}", "Ambiguous output redirect."
        elif self.shell == "powershell":
            if rng.random() < 0.5:
                correct, command = f"{base} *> {out}", f"{base} >& {out}"
                error = "The ampersand (&) character is not allowed. The & operator is reserved for future use."
            else:
                correct, command, error = f"{base} > {out} 2>&1", f"{base} 2>&1 > {out}", None
        else:
            correct, command, error = f"{base} > {out} 2>&1", f"{base} 2>&1 > {out}", None
        return row(self.shell, "single", "redirect", tool, command, correct, "redirect-order", error)

    def _foreign(self, rng):
        """Another shell's syntax typed here: bash habits in fish/tcsh/PowerShell/cmd, and back."""
        action = rng.choice(self.actions)
        mine = action_template(action, self.shell)
        if self.shell in ("bash", "zsh"):
            other = action_template(action, rng.choice(("powershell", "cmd")))
        else:
            other = action_template(action, "bash")
        if not other or other == mine:
            return None
        correct, _ = self.fill(mine, rng)
        command, _ = self.fill(other, rng)
        if command == correct or within_one_edit(command, correct):
            return None
        words = split_words(command)
        if self.shell in ("bash", "zsh"):
            name = words[0]
            unknown = (
                "-" in name
                and name[:1].isupper()
                or name in ("cls", "del", "ren", "copy", "move", "tasklist", "taskkill", "findstr", "ipconfig", "xcopy")
            )
            error = err.not_found(self.shell, name) if unknown else None
        else:
            error = err.foreign(self.shell, words)
        if error is None and self.shell not in ("fish", "tcsh"):
            return None  # it would run there: not a mistake, only another style
        return row(self.shell, "single", "foreign", "shell", command, correct, "foreign-syntax", error)


def join_chain(shell: str, parts: list[str]) -> str:
    """Join commands so each runs only if the previous one succeeded, in `shell`'s own syntax."""
    if shell == "fish":
        return "; and ".join(parts)
    if shell == "powershell":
        return parts[0] + "".join(f"; if ($?) {{ {p} }}" for p in parts[1:])
    return " && ".join(parts)


_CASE_PROGRAMS = frozenset(k.split()[0] for k in cat.CASE_FLAGS)


def case_flag(words: list[str], literal: list[bool], i: int) -> bool:
    """True when the short flag `words[i]` is a flag of its command in both cases (cat.CASE_FLAGS)."""
    start = max(j for j in range(i + 1) if j == 0 or words[j - 1] == "|")
    start += words[start] == "sudo"
    owner = start
    for j in range(start + 1, i):  # `watch -n 5 df -h`: -h is df's
        if literal[j] and words[j] in _CASE_PROGRAMS:
            owner = j
    sub = words[owner + 1] if owner + 1 < i else ""
    letters = cat.CASE_FLAGS.get(words[owner], "") + cat.CASE_FLAGS.get(f"{words[owner]} {sub}", "")
    return words[i][1:].lower() in set(letters)


def _subcommand_word(template: str) -> str | None:
    words = split_words(template)
    i = 2 if words[0] == "sudo" else 1
    return words[i] if i < len(words) else None


def chains_for(shell: str) -> list[tuple[str, ...]]:
    """Chains whose every component exists in `shell`."""
    out = []
    for chain in cat.CHAINS:
        ok = True
        for p in chain:
            if p.startswith("@"):
                ok = ok and action_template(p[1:], shell) is not None
            elif shell not in cat.POSIX:
                ok = ok and not p.startswith(("sudo ", "./"))
        if ok:
            out.append(chain)
    return out
