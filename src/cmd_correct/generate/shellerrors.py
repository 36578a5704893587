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
    "fish": "fish: Unsupported use of '&&'. In fish, please use 'COMMAND; and COMMAND'.",
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
