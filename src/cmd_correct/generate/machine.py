"""A simulated user machine for wit's tools: what `list_similar`, `which_binary` and `help_output` would print.

wit (../shared/CONSUMER.md "wit") runs three tools before it prompts; a wit row carries what they said on a
machine drawn for that row: an OS for the row's shell, the programs installed there with their real paths,
and the heads of the near-miss tools' help. The calls, their order, the 200-character cut and the omission
of failed or empty results are the contract's (`contract.wit_calls`, `contract.keep_output`); this module
only says what a machine answers. Each row's machine comes from its own random stream (seed and row id), so
fix's rows, drawn before any of this, are unchanged and a row's results do not depend on the others.

The honest cases are kept on purpose: the intended program may be missing (`intended_missing`), a typo
usually lists nothing (names are matched by prefix, as the shells do), a look-alike program may be
installed that is not the fix (`lookalike_share`), and a near-miss tool wit checks may not be the one meant.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from .. import contract
from ..params import bounded
from .values import _w as words  # the vocabulary tables' word splitter


@dataclass
class Params:
    # rows whose intended program is not installed: wit's tools cannot find it and the row still needs an answer
    intended_missing: float = bounded(0.08, 0, 1)
    optional_installed: float = bounded(0.5, 0, 1)  # chance each optional program (docker, cargo, kubectl...) is there
    lookalike_share: float = bounded(0.3, 0, 1)  # machines that also have a look-alike of the typed word (sl, gti, dc)
    macos_share: float = bounded(0.3, 0, 1)  # bash/zsh/fish/tcsh machines that are macOS (Homebrew paths); else Linux
    pwsh_linux_share: float = bounded(0.2, 0, 1)  # PowerShell machines that are Linux (pwsh); else Windows

    def validate(self) -> list[str]:
        return []


LIST_MAX = 20  # list_similar prints at most this many names


# Programs every machine of a kind has: name -> directory (Debian's merged /usr; macOS's base system).
LINUX_BASE = words(
    "awk bash cat chmod chown cp curl cut date df diff du echo env file find free grep gzip head hostname id ip "
    "kill less ln ls man mkdir mktemp more mount mv nano ps pwd readlink rm rmdir sed sh sleep sort ssh scp stat "
    "sudo tail tar tee top touch tr uname uniq wc wget which xargs zip unzip apt apt-get apt-cache dpkg systemctl "
    "journalctl chgrp findmnt mkfifo mknod gunzip gzexe zcat zgrep lsblk lsof ping rsync vim vi tmux"
)
LINUX_SBIN = {"ip", "iptables", "useradd", "usermod", "fdisk", "mkfs", "reboot", "shutdown"}
MACOS_BASE = words(
    "awk bash cat chmod chown cp curl cut date df diff du echo env file find grep gzip head hostname id kill less "
    "ln ls man mkdir mktemp more mount mv nano ps pwd readlink rm rmdir sed sh sleep sort ssh scp stat sudo tail "
    "tar tee top touch tr uname uniq wc which xargs zip unzip open pbcopy pbpaste defaults launchctl diskutil "
    "zsh vim vi rsync brew"
)
MACOS_BIN = {"bash", "cat", "chmod", "cp", "date", "df", "echo", "ln", "ls", "mkdir", "mv", "ps", "pwd", "rm", "rmdir"}
MACOS_BIN |= {"sh", "sleep", "zsh", "kill", "stat"}
WINDOWS_BASE = words("cmd where whoami hostname ipconfig ping tasklist taskkill findstr robocopy xcopy sc netstat")
# Programs a developer machine may or may not have (each with `optional_installed`), and the tools rows name.
OPTIONAL = words(
    "git docker npm node npx yarn pnpm cargo rustc rustup python3 pip3 python pip go java javac mvn gradle kubectl "
    "helm terraform aws gcloud az make cmake gcc g++ clang jq htop ffmpeg gh psql mysql redis-cli nginx code "
    "pipx poetry virtualenv docker-compose podman snap flatpak composer php ruby gem bundle perl lua"
)
# Real programs named like a slip of a common one: a machine may have them, and they are not the fix.
LOOKALIKES = {"sl": "/usr/games/sl", "gti": "/usr/games/gti", "dc": "/usr/bin/dc", "ed": "/usr/bin/ed"}

MGMT, UTIL = "Microsoft.PowerShell.Management", "Microsoft.PowerShell.Utility"  # the modules most cmdlets come from
# PowerShell cmdlets: Get-Command's Source is the module; Get-Help's head is NAME / SYNOPSIS (a known few).
CMDLETS = {
    "Get-ChildItem": (MGMT, "Gets the items and child items in one or more specified locations."),
    "Get-Content": (MGMT, "Gets the content of the item at the specified location."),
    "Get-Location": (MGMT, "Gets information about the current working location or a location stack."),
    "Get-Process": (MGMT, "Gets the processes that are running on the local computer."),
    "Get-Service": (MGMT, "Gets the services on the computer."),
    "Get-Item": (MGMT, "Gets the item at the specified location."),
    "Get-Help": ("Microsoft.PowerShell.Core", "Displays information about PowerShell commands and concepts."),
    "Get-Command": ("Microsoft.PowerShell.Core", "Gets all commands."),
    "Get-Date": (UTIL, "Gets the current date and time."),
    "Get-NetIPAddress": ("NetTCPIP", "Gets the IP address configuration."),
    "Set-Location": (MGMT, "Sets the current working location to a specified location."),
    "Set-Content": (MGMT, "Writes new content or replaces existing content in a file."),
    "Set-Item": (MGMT, "Changes the value of an item to the value specified in the command."),
    "Set-ExecutionPolicy": ("Microsoft.PowerShell.Security", "Sets the PowerShell execution policies."),
    "Set-Variable": (UTIL, "Sets the value of a variable."),
    "Copy-Item": (MGMT, "Copies an item from one location to another."),
    "Move-Item": (MGMT, "Moves an item from one location to another."),
    "Remove-Item": (MGMT, "Deletes the specified items."),
    "New-Item": (MGMT, "Creates a new item."),
    "Select-String": (UTIL, "Finds text in strings and files."),
    "Write-Output": (UTIL, "Writes the specified objects to the pipeline."),
    "Stop-Process": (MGMT, "Stops one or more running processes."),
    "Test-Path": (MGMT, "Determines whether all elements of a path exist."),
    "Invoke-WebRequest": (UTIL, "Gets content from a web page on the internet."),
}  # fmt: skip

# The heads of `<tool> --help` for the near-miss tools wit checks, as the tools print them (trimmed by wit; only
# the first 200 characters reach the prompt). git 2.39, Docker 24, npm 9, cargo 1.75, CPython 3.11, pip 23,
# kubectl 1.28, GNU make 4.3.
HELP = {
    "git": "usage: git [-v | --version] [-h | --help] [-C <path>] [-c <name>=<value>]\n"
    "           [--exec-path[=<path>]] [--html-path] [--man-path] [--info-path]\n"
    "           [-p | --paginate | -P | --no-pager] [--no-replace-objects] [--bare]\n"
    "           [--git-dir=<path>] [--work-tree=<path>] [--namespace=<name>]\n"
    "           <command> [<args>]\n\n"
    "These are common Git commands used in various situations:\n",
    "docker": "Usage:  docker [OPTIONS] COMMAND\n\n"
    "A self-sufficient runtime for containers\n\n"
    "Common Commands:\n"
    "  run         Create and run a new container from an image\n"
    "  exec        Execute a command in a running container\n"
    "  ps          List containers\n"
    "  build       Build an image from a Dockerfile\n",
    "npm": "npm <command>\n\n"
    "Usage:\n\n"
    "npm install        install all the dependencies in your project\n"
    "npm install <foo>  add the <foo> dependency to your project\n"
    "npm test           run this project's tests\n"
    "npm run <foo>      run the script named <foo>\n",
    "cargo": "Rust's package manager\n\n"
    "Usage: cargo [+toolchain] [OPTIONS] [COMMAND]\n"
    "       cargo [+toolchain] [OPTIONS] -Zscript <MANIFEST_RS> [ARGS]...\n\n"
    "Options:\n"
    "  -V, --version             Print version info and exit\n",
    "python": "usage: {name} [option] ... [-c cmd | -m mod | file | -] [arg] ...\n"
    "Options (and corresponding environment variables):\n"
    "-b     : issue warnings about str(bytes_instance), str(bytearray_instance)\n"
    "         and comparing bytes/bytearray with str. (-bb: issue errors)\n",
    "pip": "Usage:   \n  pip <command> [options]\n\n"
    "Commands:\n"
    "  install                     Install packages.\n"
    "  download                    Download packages.\n"
    "  uninstall                   Uninstall packages.\n",
    "kubectl": "kubectl controls the Kubernetes cluster manager.\n\n"
    " Find more information at: https://kubernetes.io/docs/reference/kubectl/\n\n"
    "Basic Commands (Beginner):\n"
    "  create          Create a resource from a file or from stdin\n",
    "make": "Usage: make [options] [target] ...\n"
    "Options:\n"
    "  -b, -m                      Ignored for compatibility.\n"
    "  -B, --always-make           Unconditionally make all targets.\n"
    "  -C DIRECTORY, --directory=DIRECTORY\n",
}
USERS = ("alex", "sam", "maria", "dev", "jordan", "kim")  # the home folder a user-level install lives in
SEGMENT = re.compile(r"\s*(?:&&|\|\||;|\|)\s*")
ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=\S*")


@dataclass
class Machine:
    """One drawn machine: its OS and the programs on its PATH (name -> path, or a cmdlet's module)."""

    os: str  # linux | macos | windows
    shell: str  # the dialect (contract.SHELLS)
    programs: dict[str, str]

    def which_binary(self, name: str) -> str | None:
        """The resolved path (PowerShell: Get-Command's Source), or None: the call fails and wit leaves it out.
        bash/zsh's `command -v` answers a builtin with its own name; fish's `type -P`, `where` and Get-Command's
        Source (empty for an alias) answer nothing for one."""
        if self.shell in ("bash", "tcsh") and name in POSIX_BUILTINS:
            return name
        return self.programs.get(self._key(name))

    def list_similar(self, word: str) -> str | None:
        """Installed names starting with `word` (PowerShell: case-insensitive, as Get-Command 'x*'), sorted, at
        most LIST_MAX, one per line; None when none does."""
        fold = self.shell == "powershell" or self.os == "windows"
        names = sorted(
            {n for n in self.programs if (n.lower() if fold else n).startswith(word.lower() if fold else word)}
        )
        return "\n".join(names[:LIST_MAX]) or None

    def help_output(self, name: str) -> str | None:
        """The head of the program's help (cmdlets: Get-Help's NAME and SYNOPSIS), or None when it fails."""
        key = self._key(name)
        if key is None or key not in self.programs:
            return None
        if key in CMDLETS:
            return f"\nNAME\n    {key}\n\nSYNOPSIS\n    {CMDLETS[key][1]}\n"
        base = "python" if key.startswith("python") else "pip" if key.startswith("pip") else key
        if self.programs[key].endswith(r"\WindowsApps\python.exe"):  # the Store stub prints nothing and fails
            return None
        text = HELP.get(base)
        return text.replace("{name}", key) if text else None

    def _key(self, name: str) -> str | None:
        if name in self.programs:
            return name
        if self.os == "windows":  # Windows matches names case-insensitively
            return next((n for n in self.programs if n.lower() == name.lower()), None)
        return None

    def run(self, tool: str, arg: str) -> str | None:
        """What `tool(arg)` prints here (None: it fails or prints nothing)."""
        tools = {"list_similar": self.list_similar, "which_binary": self.which_binary, "help_output": self.help_output}
        return tools[tool](arg)


def intended(correction: str) -> list[str]:
    """The programs a correction runs: the first word of each command in it (sudo and VAR=x skipped)."""
    out = []
    for part in SEGMENT.split(correction):
        words = [w for w in part.split() if not ASSIGNMENT.fullmatch(w)]
        while words and words[0] in ("sudo", "env", "time", "nohup", "exec"):
            words = words[1:]
        if words:
            out.append(words[0].strip("'\"()"))
    return [w for w in out if w]


def _path(os_name: str, name: str, rng: random.Random) -> str:
    """Where `name` lives on such a machine, as the shell resolves it (a cmdlet: its module)."""
    if name in CMDLETS or "-" in name and name[:1].isupper():
        return CMDLETS.get(name, (MGMT,))[0]
    if os_name == "windows":
        if name in WINDOWS_BASE:
            return rf"C:\Windows\System32\{name}.exe"
        if name in ("git",):
            return r"C:\Program Files\Git\cmd\git.exe"
        if name in ("python", "python3", "pip", "pip3"):
            return rf"C:\Users\{rng.choice(USERS)}\AppData\Local\Programs\Python\Python312\{name}.exe"
        if name in ("npm", "npx", "node"):
            return rf"C:\Program Files\nodejs\{name}{'' if name == 'node' else '.cmd'}"
        return rf"C:\Program Files\{name}\{name}.exe"
    if os_name == "macos":
        if name in MACOS_BIN:
            return f"/bin/{name}"
        if name in MACOS_BASE and name != "brew":
            return f"/usr/bin/{name}"
        if name in ("cargo", "rustc", "rustup"):
            return f"/Users/{rng.choice(USERS)}/.cargo/bin/{name}"
        return f"/opt/homebrew/bin/{name}"
    if name in LINUX_SBIN:
        return f"/usr/sbin/{name}"
    if name in ("cargo", "rustc", "rustup"):
        return f"/home/{rng.choice(USERS)}/.cargo/bin/{name}"
    if name in ("kubectl", "helm", "terraform", "aws"):
        return f"/usr/local/bin/{name}"
    if name == "go":
        return "/usr/local/go/bin/go"
    if name in ("npm", "npx", "node") and rng.random() < 0.5:
        return f"/home/{rng.choice(USERS)}/.nvm/versions/node/v20.11.1/bin/{name}"
    return f"/usr/bin/{name}"


def draw(params: Params, seed: int, row: dict) -> Machine:
    """The machine a row's command was typed on: deterministic for (seed, row id)."""
    rng = random.Random(f"{seed}:machine:{row['id']}")
    shell = row["shell"]
    if shell == "cmd":
        os_name = "windows"
    elif shell == "powershell":
        os_name = "linux" if rng.random() < params.pwsh_linux_share else "windows"
    else:
        os_name = "macos" if rng.random() < params.macos_share else "linux"
    names = {"windows": WINDOWS_BASE, "macos": MACOS_BASE, "linux": LINUX_BASE}[os_name]
    if shell == "powershell":
        names = [*names, *CMDLETS]
    wanted = set(names) | {n for n in OPTIONAL if rng.random() < params.optional_installed}
    if os_name == "linux":
        wanted -= {"python", "pip"}  # Debian and Ubuntu ship python3/pip3 only (python-is-python3 aside)
    meant = {n for n in intended(row["correction"]) if _plausible(n)}
    if rng.random() >= params.intended_missing:
        wanted |= meant
    else:  # not installed (a base program always is)
        wanted -= meant - set(names)
    first = (row["command"].split() or [""])[0]
    if LOOKALIKES.get(first) and os_name != "windows" and rng.random() < params.lookalike_share:
        wanted.add(first)
    programs = {n: (LOOKALIKES.get(n) or _path(os_name, n, rng)) for n in sorted(wanted)}
    if os_name == "windows" and "python" not in programs and "python3" not in programs:
        stub = rf"C:\Users\{rng.choice(USERS)}\AppData\Local\Microsoft\WindowsApps\python.exe"
        programs["python"] = stub  # Windows resolves python to the Store's App Installer stub
    return Machine(os_name, shell, programs)


def _plausible(name: str) -> bool:
    """A word a PATH could hold: not a path, a variable, a builtin-only word or a natural-language fragment."""
    return bool(re.fullmatch(r"[A-Za-z][A-Za-z0-9._+-]{0,40}", name)) and name not in BUILTINS


# Shell builtins are no program on the PATH (`Machine.which_binary` answers bash's `command -v` for them).
POSIX_BUILTINS = {"cd", "echo", "export", "set", "alias", "source", "exit", "pushd", "popd", "unset", "history", "type"}
BUILTINS = POSIX_BUILTINS | {"setenv", "if", "for", "dir", "cls", "copy", "del", "move", "ren", "md", "rd", "function"}


def tool_results(params: Params, seed: int, row: dict) -> list[dict]:
    """What wit's tools say about the row's command on its machine, kept and ordered as wit keeps them."""
    machine = draw(params, seed, row)
    name = row.get("prompt_shell") or row["shell"]
    out = []
    for tool, arg in contract.wit_calls(name, row["command"]):
        kept = contract.keep_output(machine.run(tool, arg))
        if kept is not None:
            out.append({"tool": tool, "arg": arg, "output": kept})
    return out
