"""The error text each shell (or tool) prints for a broken command, as a real terminal shows it."""

from __future__ import annotations

from . import catalogue as cat

_NOT_FOUND = {
    "bash": "bash: {name}: command not found",
    "zsh": "zsh: command not found: {name}",
    "fish": "fish: Unknown command: {name}",
    "tcsh": "{name}: Command not found.",
    "powershell": (
        "{name} : The term '{name}' is not recognized as the name of a cmdlet, function, script file, "
        "or operable program. Check the spelling of the name, or if a path was included, verify that the "
        "path is correct and try again."
    ),
    "cmd": "'{name}' is not recognized as an internal or external command,\noperable program or batch file.",
}

# What a shell prints when the command is given another shell's chaining operator.
CHAIN_OPERATOR = {
    "powershell": "The token '&&' is not a valid statement separator in this version.",
    "tcsh": "and: Command not found.",
    "bash": "bash: and: command not found",
    "zsh": "zsh: command not found: and",
    "cmd": "'and' is not recognized as an internal or external command,\noperable program or batch file.",
}


def not_found(shell: str, name: str) -> str:
    """The shell's 'command not found' line for `name`."""
    return _NOT_FOUND[shell].format(name=name)


def ps_parameter(cmdlet: str, param: str) -> str:
    """PowerShell's error for an unknown parameter of a cmdlet (or of an alias's cmdlet)."""
    return f"{cmdlet} : A parameter cannot be found that matches parameter name '{param}'."


def subcommand(tool: str, bad: str) -> str | None:
    fmt = cat.SUBCOMMAND_ERRORS.get(tool)
    return fmt.format(bad=bad) if fmt else None


def flag(tool: str, bad: str) -> str | None:
    fmt = cat.FLAG_ERRORS.get(tool)
    return fmt.format(bad=bad, bare=bad.lstrip("-")) if fmt else None


def sudo(tool: str, words: list[str]) -> str | None:
    fmt = cat.SUDO_ERRORS.get(tool)
    if not fmt:
        return "Permission denied" if tool in ("mkdir", "cp", "mv", "rm", "tee") else None
    verb = words[1] if len(words) > 1 else ""
    arg = words[-1] if len(words) > 1 else ""
    return fmt.format(verb=verb, arg=arg)


_PS_ALIAS_CMDLET = {
    "ls": "Get-ChildItem",
    "dir": "Get-ChildItem",
    "cat": "Get-Content",
    "type": "Get-Content",
    "cp": "Copy-Item",
    "mv": "Move-Item",
    "rm": "Remove-Item",
    "rmdir": "Remove-Item",
    "echo": "Write-Output",
    "ps": "Get-Process",
    "kill": "Stop-Process",
    "pwd": "Get-Location",
    "cd": "Set-Location",
    "clear": "Clear-Host",
    "sort": "Sort-Object",
    "sleep": "Start-Sleep",
    "tee": "Tee-Object",
    "mkdir": "New-Item",
    "man": "Get-Help",
    "diff": "Compare-Object",
    "history": "Get-History",
    "wget": "Invoke-WebRequest",
    "curl": "Invoke-WebRequest",
}


def foreign(shell: str, words: list[str]) -> str | None:
    """What `shell` prints when given a command written for another shell, or None if it runs silently."""
    if not words:
        return None
    name = words[0]
    if shell == "cmd":
        if name in cat.CMD_BUILTINS or name in cat.CROSS_PLATFORM or name.startswith((".", "%")):
            return None
        return not_found(shell, name)
    if shell == "powershell":
        if name in _PS_ALIAS_CMDLET:
            flags = [w for w in words[1:] if w.startswith("-") and len(w) > 1]
            return ps_parameter(_PS_ALIAS_CMDLET[name], flags[0].lstrip("-")) if flags else None
        if name in cat.CROSS_PLATFORM or "-" in name or name.startswith(("$", ".", "(")):
            return None
        return not_found(shell, name)
    if shell == "tcsh" and name in ("export", "unset", "source", "alias"):
        return not_found(shell, name) if name in ("export", "unset") else None
    if shell == "fish" and name == "unset":
        return not_found(shell, name)
    if shell == "fish" and "=" in name and not name.startswith("-"):
        var = name.split("=", 1)[0]
        return f"fish: Unsupported use of '='. In fish, please use 'set {var} {name.split('=', 1)[1]}'."
    return None


# Bash builtins PowerShell has no command for: a Unix line that starts with one fails in pwsh on Linux too.
_BASH_ONLY = frozenset({"export", "unset", "source", "alias", "unalias", "declare", "readonly", "shopt"})


def runs_in_pwsh(row: dict) -> bool:
    """True when PowerShell 7 runs a PowerShell row's broken input as typed, on some platform: `a && b`
    (pwsh 7 has && and ||), a Unix command (pwsh on Linux and macOS aliases no ls, cp, sort or curl: it runs
    the native program), `python3` (Linux has no `py`). The row's reference is then right only for Windows
    PowerShell 5.1 (or pwsh on Windows), so such a row must not carry the `pwsh` prompt name."""
    if row["category"] == "chain-operator":
        return True
    if row["category"] == "foreign":
        return row["command"].split()[0] not in _BASH_ONLY
    return row["edit"] == "python3-on-windows"


# ---- the field's mistake classes (generate/mistakes.py): what the tool or shell prints -----------------

# A directory given to a command that wants a file or -r ({arg} is the directory as typed).
DIRECTORY_ARG = {
    "rm": "rm: cannot remove '{arg}': Is a directory",
    "cp": "cp: -r not specified; omitting directory '{arg}'",
    "grep": "grep: {arg}: Is a directory",
    "cat": "cat: {arg}: Is a directory",
    "scp": "scp: {arg}: not a regular file",
    "ln": "ln: {arg}: hard link not allowed for directory",
    "git": "fatal: not removing '{arg}' recursively without -r",
    "Remove-Item": (
        "The item at C:\\Users\\user\\{arg} has children and the Recurse parameter was not specified. If you "
        "continue, all children will be removed with the item. Are you sure you want to continue?"
    ),
    "rmdir": "The directory is not empty.",
    "type": "Access is denied.",
}
MKDIR_PARENTS = "mkdir: cannot create directory '{path}': No such file or directory"
SED_UNTERMINATED = "sed: -e expression #1, char {n}: unterminated `s' command"

# A prompt pasted with the command: what each shell makes of the prompt's first word.
_PROMPT = {
    "fish": "fish: Expected a variable name after this $.",
    "tcsh": "Illegal variable name.",
    "powershell": (
        'Get-Process : Cannot find a process with the name "{name}". Verify the process name and call the cmdlet again.'
    ),
}

# PowerShell 5.1's suggestion after 'not recognized'; its closing 'See "get-help about_Command_Precedence"'
# sentence is left off to stay within validate.max_error_chars.
PS_SCRIPT_HERE = (
    "\n\nSuggestion [3,General]: The command {name} was not found, but does exist in the current location. "
    "Windows PowerShell does not load commands from the current location by default. If you trust this command, "
    'instead type: ".\\{name}".'
)

PYTHON = {
    "store-stub": (
        "Python was not found; run without arguments to install from the Microsoft Store, or disable this "
        "shortcut from Settings > Manage App Execution Aliases."
    ),
    "no-module": "{python}: No module named {module}",
    "print": "SyntaxError: Missing parentheses in call to 'print'. Did you mean print(...)?",
    "cant-open": "{python}: can't open file '{arg}': [Errno 2] No such file or directory",
}
JAVA_CLASS = "Error: Could not find or load main class {arg}\nCaused by: java.lang.ClassNotFoundException: {arg}"
JAVAC_NAME = "error: Class names, '{arg}', are only accepted if annotation processing is explicitly requested\n1 error"
GO_NOT_IN_STD = "package {arg} is not in std ({root}{sep}{arg})"

# A verb from another package manager or tool ({verb} as typed).
OTHER_VERB = {
    "apt-get": "E: Invalid operation {verb}",
    "brew": (
        "Error: This command updates brew itself, and does not take formula names.\nUse `brew upgrade {arg}` instead."
    ),
    "pacman": "error: no operation specified (use -h for help)",
    "git": "error: unknown subcommand: `{verb}'",
    "hdfs": "{verb}: Unknown command\nDid you mean -{verb}?  This command begins with a dash.",
}
ARG_ORDER = {
    "service": "{verb}: unrecognized service",
    "chmod": "chmod: invalid mode: '{arg}'\nTry 'chmod --help' for more information.",
    "git-flag": "fatal: option '{arg}' must come before non-option arguments",
}
GIT_CLONE_TWICE = "fatal: Too many arguments.\n\nusage: git clone [<options>] [--] <repo> [<dir>]"


def prompt(shell: str, word: str) -> str:
    """What `shell` prints when a pasted prompt's first word (`$`, `user@host:~$`, `PS`, `C:\\>`) runs."""
    if shell in ("bash", "zsh", "cmd"):
        return not_found(shell, word)
    return _PROMPT[shell].format(name=word)
