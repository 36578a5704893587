"""Equivalent match: is an answer the same command as the reference up to changes that cannot alter what it does?

`is_equivalent(shell, prediction, expected)` is True when both strings, stripped, are equal, or when both
have a normal form (`normal_form`) and the two normal forms are equal. A command gets no normal form when
it uses anything outside the small subset these rules understand; it then counts only through exact
match. A false "equivalent" is worse than a miss, so every rule below errs towards "not equivalent".

bash, zsh, fish, tcsh (parsed with bashlex, a port of bash's own parser)
    A command has a normal form only when bashlex parses it into simple commands joined by pipes (`|`,
    `|&`) and lists (`&&`, `||`, `;`, `&`), with assignments and redirections, and every character of the
    text belongs to a parsed token or is a space or tab between tokens (so a comment, which bashlex
    drops, means no normal form). No normal form for: a newline, `!` anywhere (history expansion, zsh's
    `>!`/`&!`), `[[`, heredocs (`<<`), compound commands (`if`, `for`, `{ }`, `( )`, functions), or text
    over 1000 characters; for fish and tcsh also a backslash anywhere or a command starting with one of
    their keywords (`and`, `begin`, `end`, `foreach`...), for fish a brace anywhere, and for zsh a lone
    `{` or `}` word. Within that subset:

    * Whitespace between tokens (spaces and tabs, how many) does not count. For fish and tcsh, whose
      lexers bashlex does not reproduce (fish reads `a&b` as one word), only its amount does not count:
      a place with whitespace must keep some and a place without must stay without.
    * Quoting of a plain word does not count: an argument written `'x'`, `"x"`, `x` or `'x'"y"`-style
      pieces is the word its pieces spell, when every piece consists only of ASCII letters, digits and
      `_ . / : @ + , = % -`, and the word does not start with `=` (zsh's `=cmd`) or `%` (fish and job
      specs). Anything else (`$`, backquotes, backslashes, globs `* ? [`, `~`, braces, spaces, `#`,
      `^`...) keeps its exact spelling, quotes included: `"$HOME"` is not `'$HOME'`, `'*.txt'` is not
      `*.txt`, `'a b'` is not `a b`. The command name itself (first word) always keeps its spelling,
      since quoting it turns off alias and keyword lookup (`'ls'` is not `ls`); so do assignments
      (`a='b'`). For bash and zsh, the target of a file redirection (`>`, `>>`, `<`, `&>`, `&>>`, `>|`)
      follows the same rule and the space after the operator does not count; other redirections
      (`2>&1`, `>& 2`, `<<<`) keep their spelling and spacing, as do all redirections for fish and
      tcsh. Not modelled: the user's own aliases that re-read arguments (zsh global aliases, a bash
      alias ending in a space).
    * The order of letters inside a bundle of single-letter flags does not count, for the tools and
      letters in `BUNDLE_FLAGS` only: every letter of the bundle must be a boolean flag listed for the
      tool, the bundle must not hold two letters listed as overriding each other, and only the leading
      run of such bundles right after the literal command name is reordered (the first other argument,
      `--`, or a flag that may take a value ends it). Separate flags (`-l -a`) are never reordered or
      merged, and a repeated letter is kept (`-ll` is not `-l`). The letters are chosen so that GNU and
      BSD (macOS) versions agree; tar, mv and the value-taking letters (`grep -e`, `mkdir -m`) are left
      out on purpose.

powershell (a small tokenizer of its own; no Python parser exists)
    A command has a normal form only when it is bare words, single- or double-quoted strings and the
    operators `|`, `;`, `&&`, `||`, separated by spaces or tabs. No normal form for: `$` or a backquote
    anywhere, non-ASCII text (PowerShell treats typographic quotes and dashes as syntax), a bare word
    with a character outside ASCII letters, digits and `_ . / \\ : + -`, a quote glued to another token
    (`a'b'`), a quote inside a string (`'it''s'`), or a segment that starts with a string or a
    parameter. Within it:

    * Whitespace between tokens does not count.
    * A string and a bare word are the same argument when the text is plain (the characters above, and
      starting with an ASCII letter, `_`, `/`, `\\` or a `.` not followed by a digit: a bare `123`,
      `.5`, `+1` or `-x` is a number or a parameter, not a string). With `$` and backquotes excluded,
      `'...'` and `"..."` hold the same literal text, so they match each other whatever it is.
    * A cmdlet in `PS_CMDLETS` (the built-in Verb-Noun cmdlets) matches without regard to case, and so
      do its parameter names (`-Recurse`, up to a `--` token); argument values keep their case
      (`Get-Item Foo.txt` is not `Get-Item foo.txt`). Aliases (`ls`, `gci`), native programs (whose
      flags are case-sensitive), abbreviated parameters and `-Name:value` keep their exact spelling.

cmd
    Only the name of a built-in command (`BUILTINS_CMD`: dir, cd, copy, ...) matches without regard to
    case when the rest of the line is identical character for character; cmd passes whitespace and
    quotes through to the program (`echo a  b` prints both spaces), so nothing else is normalised.
"""

from __future__ import annotations

import re
from typing import Any

from ..contract import SHELLS

MAX_CHARS = 1000


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_PLAIN_SH = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./:@+,=%-")
_PLAIN_PS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./\\:+-")
_ASCII_LETTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")

# Bundled-flag reordering: tool -> (boolean single-letter flags whose order inside one bundle cannot change
# what GNU or BSD versions do, pairs of those letters that override each other and so must not be reordered
# when both are present). Anything not listed (tar, mv, value-taking letters, "last one wins" groups such
# as ls -a/-A, -l/-1, -t/-S, rm -f/-i, cp -L/-P, grep -h/-H, chmod -c/-v) is left out on purpose.
BUNDLE_FLAGS: dict[str, tuple[str, tuple[str, ...]]] = {
    # GNU: a l h r t R d i F s are independent; BSD ls: -d clears -R, so d and R must not be swapped.
    "ls": ("alhrtRdiFs", ("dR",)),
    # GNU and BSD rm: -r/-R recurse, -f force, -v verbose, -d empty dirs; -i/-I override -f (left out).
    "rm": ("rRfvd", ()),
    "mkdir": ("pv", ()),  # -m takes a mode
    # -r/-R recurse, -p preserve, -v verbose; -a, -f/-i/-n and -L/-P/-H override each other (left out).
    "cp": ("rRpv", ()),
    # -i -n -r -v -w -s -o are independent switches; -e/-f/-m/-A/-B/-C take values, -E/-F/-G/-P, -h/-H,
    # -l/-L, -r/-R, -x/-w interplay are left out.
    "grep": ("inrvwso", ()),
    "ps": ("ef", ()),  # procps: -e every process, -f full format; -o/-p/-u take values
    "df": ("ahil", ()),  # -h/-H/-k override each other; BSD -T takes a value
    "du": ("chsx", ()),  # -h/-k/-m override each other; -a conflicts with -s; BSD -d takes a value
    "chmod": ("Rfv", ()),  # -c/-v override each other; none of R f v is a mode letter
    "chown": ("Rfv", ()),
    "chgrp": ("Rfv", ()),
    "ss": ("tulpn", ()),  # iproute2: -a and -l override each other (left out)
}

# Built-in PowerShell cmdlets (Microsoft.PowerShell.Core/Management/Utility/Archive/Security and a few
# common modules), compared in lower case.
PS_CMDLETS: frozenset[str] = _words(
    """
    Add-Content Clear-Content Clear-Host Clear-Item Clear-Variable Compare-Object Compress-Archive
    ConvertFrom-Csv ConvertFrom-Json ConvertTo-Csv ConvertTo-Html ConvertTo-Json ConvertTo-Xml Copy-Item
    Copy-ItemProperty Expand-Archive Export-Alias Export-Clixml Export-Csv ForEach-Object Format-List
    Format-Table Format-Wide Get-Acl Get-Alias Get-ChildItem Get-Clipboard Get-Command Get-ComputerInfo
    Get-Content Get-Culture Get-Date Get-Event Get-ExecutionPolicy Get-FileHash Get-Help Get-History
    Get-Host Get-Item Get-ItemProperty Get-Job Get-Location Get-Member Get-Module Get-NetAdapter
    Get-NetIPAddress Get-NetIPConfiguration Get-NetTCPConnection Get-Package Get-Process Get-PSDrive
    Get-PSProvider Get-Random Get-Service Get-TimeZone Get-Unique Get-Uptime Get-Variable Get-Volume
    Get-WinEvent Group-Object Import-Alias Import-Clixml Import-Csv Import-Module Install-Module
    Install-Package Invoke-Command Invoke-Expression Invoke-Item Invoke-RestMethod Invoke-WebRequest
    Join-Path Measure-Command Measure-Object Move-Item Move-ItemProperty New-Alias New-Item
    New-ItemProperty New-Object New-PSDrive New-Variable Out-File Out-GridView Out-Host Out-Null
    Out-String Pop-Location Push-Location Read-Host Receive-Job Remove-Item Remove-ItemProperty Remove-Job
    Remove-Module Remove-Variable Rename-Item Rename-ItemProperty Resolve-DnsName Resolve-Path
    Restart-Computer Restart-Service Resume-Service Select-Object Select-String Select-Xml Set-Acl
    Set-Alias Set-Clipboard Set-Content Set-Date Set-ExecutionPolicy Set-Item Set-ItemProperty
    Set-Location Set-Service Set-Variable Sort-Object Split-Path Start-Job Start-Process Start-Service
    Start-Sleep Start-Transcript Stop-Computer Stop-Job Stop-Process Stop-Service Stop-Transcript
    Suspend-Service Tee-Object Test-Connection Test-NetConnection Test-Path Uninstall-Module Unblock-File
    Update-Help Update-Module Wait-Job Wait-Process Where-Object Write-Error Write-Host Write-Output
    Write-Verbose Write-Warning
    """.lower()
)

BUILTINS_CMD: frozenset[str] = _words(
    """assoc break call cd chdir cls color copy date del dir echo endlocal erase for ftype goto if md mkdir
    mklink move path pause popd prompt pushd rd rem ren rename rmdir set setlocal shift start time title type
    ver verify vol"""
)

_SH_SHELLS = ("bash", "zsh", "fish", "tcsh")
_KEEP_SPACING = ("fish", "tcsh")
_ALLOWED_NODES = {"list", "pipeline", "command", "word", "assignment", "redirect", "operator", "pipe"}
_LEAF_NODES = {"word", "assignment", "redirect", "operator", "pipe"}
_FILE_REDIRECTS = {">", ">>", "<", "&>", "&>>", ">|"}
# Keywords of fish and tcsh that bashlex reads as plain command names.
_KEYWORDS = {
    "fish": _words("and or not begin end if else while for in function switch case return break continue"),
    "tcsh": _words("if then else endif foreach while end switch case default breaksw endsw goto"),
}


class _NoForm(Exception):
    """The command uses something outside the subset the rules understand."""


def is_equivalent(shell: str, prediction: str, expected: str) -> bool:
    """True when `prediction` is `expected` up to changes that cannot alter what it does (module docstring)."""
    if shell not in SHELLS:
        raise ValueError(f"unknown shell {shell!r}; expected one of {', '.join(SHELLS)}")
    a, b = prediction.strip(), expected.strip()
    if a == b:
        return True
    fa = _canonical(shell, a)
    return fa is not None and fa == _canonical(shell, b)


def normal_form(shell: str, command: str) -> str | None:
    """A readable rendering of the normal form `is_equivalent` compares, or None when the command has none.

    For reading and tests: `is_equivalent` compares the underlying tokens, which also keep their kinds.
    """
    if shell not in SHELLS:
        raise ValueError(f"unknown shell {shell!r}; expected one of {', '.join(SHELLS)}")
    form = _canonical(shell, command.strip())
    if form is None:
        return None
    text, glue = "", True
    for token in form:
        if token[0] == "gap":  # fish/tcsh: no whitespace between the neighbouring tokens
            glue = True
            continue
        text += ("" if glue else " ") + _render(token)
        glue = False
    return text


def _canonical(shell: str, command: str) -> tuple | None:
    if not command or len(command) > MAX_CHARS:
        return None
    try:
        if shell in _SH_SHELLS:
            return _sh_form(shell, command)
        if shell == "powershell":
            return _ps_form(command)
        if shell == "cmd":
            return _cmd_form(command)
    except _NoForm:
        return None
    return None


def _render(token: tuple) -> str:
    kind = token[0]
    if kind == "w":  # a plain word
        return token[1] if token[1] else "''"
    if kind == "str":  # a PowerShell string that is not plain
        return "'" + token[1] + "'" if "'" not in token[1] else '"' + token[1] + '"'
    if kind == "redir":
        return "".join(token[1:])
    return token[1]


# --- bash, zsh, fish, tcsh ----------------------------------------------------------------------------


def _sh_form(shell: str, command: str) -> tuple:
    if "\n" in command or "\r" in command or "!" in command or "[[" in command or "<<" in command.replace("<<<", ""):
        raise _NoForm
    if shell in _KEEP_SPACING and "\\" in command:
        raise _NoForm  # fish reads \' inside '...' as a quote; tcsh's backslash rules differ from bash's
    if shell == "fish" and ("{" in command or "}" in command):
        raise _NoForm  # fish's brace expansion and blocks span whitespace
    import bashlex

    try:
        trees = bashlex.parse(command)
    except Exception as e:  # bashlex raises ParsingError, NotImplementedError and others
        raise _NoForm from e
    if len(trees) != 1:
        raise _NoForm
    leaves: list[Any] = []
    commands: list[Any] = []
    _collect(trees[0], leaves, commands)
    if shell == "zsh" and any(
        leaf.kind == "word" and command[leaf.pos[0] : leaf.pos[1]] in ("{", "}") for leaf in leaves
    ):
        raise _NoForm  # zsh reads a lone brace anywhere on the line as syntax (IGNORE_CLOSE_BRACES unset)
    keywords = _KEYWORDS.get(shell, frozenset())
    for c in commands:
        words = [p for p in c.parts if p.kind == "word"]
        if words and command[words[0].pos[0] : words[0].pos[1]] in keywords:
            raise _NoForm  # a keyword bash does not know: the words after it are not plain arguments
    leaves.sort(key=lambda n: n.pos)
    # Every character belongs to a leaf or is whitespace between leaves: nothing was dropped or skipped.
    gaps: list[bool] = []
    end = 0
    for leaf in leaves:
        start, stop = leaf.pos
        if start < end or command[end:start].strip(" \t"):
            raise _NoForm
        gaps.append(start > end)
        end = stop
    if command[end:].strip(" \t"):
        raise _NoForm

    command_words = {id(c): [p for p in c.parts if p.kind == "word"] for c in commands}
    first_words = {id(ws[0]) for ws in command_words.values() if ws}
    reordered: dict[int, tuple] = {}
    for words in command_words.values():
        reordered.update(_reorder_bundles(command, words))

    keep_spacing = shell in _KEEP_SPACING
    out: list[tuple] = []
    for i, leaf in enumerate(leaves):
        if keep_spacing and i > 0 and not gaps[i]:
            out.append(("gap",))
        raw = command[leaf.pos[0] : leaf.pos[1]]
        if leaf.kind == "word":
            if id(leaf) in reordered:
                out.append(reordered[id(leaf)])
            elif id(leaf) in first_words:
                out.append(("raw", raw))
            else:
                out.append(_sh_word(raw))
        elif leaf.kind == "redirect":
            out.append(_sh_redirect(raw, keep_spacing))
        else:  # assignment, operator, pipe
            out.append(("raw", raw))
    return tuple(out)


def _collect(node: Any, leaves: list, commands: list) -> None:
    kind = node.kind
    if kind not in _ALLOWED_NODES:
        raise _NoForm
    if kind in _LEAF_NODES:
        leaves.append(node)
        return
    if kind == "command":
        commands.append(node)
    for part in node.parts:
        _collect(part, leaves, commands)


def _plain_sh_value(raw: str) -> str | None:
    """The word `raw` spells when it is made only of plain pieces (bare, '...' or "..."), else None."""
    pieces = []
    i = 0
    while i < len(raw):
        if raw[i] in "'\"":
            j = raw.find(raw[i], i + 1)
            if j < 0:
                return None
            piece, i = raw[i + 1 : j], j + 1
        else:
            j = i
            while j < len(raw) and raw[j] not in "'\"":
                j += 1
            piece, i = raw[i:j], j
        if not _PLAIN_SH.issuperset(piece):
            return None
        pieces.append(piece)
    value = "".join(pieces)
    if value[:1] in ("=", "%"):
        return None
    return value


def _sh_word(raw: str) -> tuple:
    value = _plain_sh_value(raw)
    return ("raw", raw) if value is None else ("w", value)


def _sh_redirect(raw: str, keep_spacing: bool) -> tuple:
    if keep_spacing:
        return ("redir", re.sub(r"[ \t]+", " ", raw))
    m = re.fullmatch(r"(\d*)([<>&|]+)([ \t]*)(\S.*)", raw, re.S)
    if not m:
        raise _NoForm
    fd, op, space, target = m.groups()
    if op in _FILE_REDIRECTS:  # the target is a separate word whether or not a space precedes it
        value = _plain_sh_value(target)
        return ("redir", fd, op, " ", target if value is None else value or "''")
    return ("redir", fd, op, " " if space else "", target)  # 2>&1, <&3...: exact spelling and spacing


def _reorder_bundles(command: str, words: list) -> dict[int, tuple]:
    """{id(word): normal form} for the leading run of reorderable flag bundles of one simple command."""
    if not words:
        return {}
    tool = command[words[0].pos[0] : words[0].pos[1]]
    if tool not in BUNDLE_FLAGS:
        return {}
    letters, conflicts = BUNDLE_FLAGS[tool]
    out = {}
    for word in words[1:]:
        value = _plain_sh_value(command[word.pos[0] : word.pos[1]])
        if value is None or not re.fullmatch(r"-[A-Za-z]+", value):
            break
        flags = value[1:]
        if not set(flags) <= set(letters) or any(set(pair) <= set(flags) for pair in conflicts):
            break
        out[id(word)] = ("w", "-" + "".join(sorted(flags)))
    return out


# --- PowerShell -----------------------------------------------------------------------------------------

_PS_OPS = ("&&", "||", "|", ";")


def _ps_tokens(command: str) -> list[tuple[str, str]]:
    """(kind, text) tokens: "op", "bare", "str" (the content of a '...' or "..." string)."""
    if not command.isascii() or "$" in command or "`" in command or "\n" in command or "\r" in command:
        raise _NoForm
    tokens: list[tuple[str, str]] = []
    i, n = 0, len(command)
    while i < n:
        c = command[i]
        if c in " \t":
            i += 1
            continue
        op = next((o for o in _PS_OPS if command.startswith(o, i)), None)
        if op:
            tokens.append(("op", op))
            i += len(op)
            continue
        if c in "'\"":
            j = command.find(c, i + 1)
            if j < 0:
                raise _NoForm
            tokens.append(("str", command[i + 1 : j]))
            i = j + 1
        else:
            j = i
            while j < n and command[j] not in " \t" and not any(command.startswith(o, j) for o in _PS_OPS):
                if command[j] not in _PLAIN_PS:
                    raise _NoForm  # quotes glued to a word, & @ $ ( ) { } [ ] , # < > * ? ~ % = ! and friends
                j += 1
            tokens.append(("bare", command[i:j]))
            i = j
        if i < n and command[i] not in " \t" and not any(command.startswith(o, i) for o in _PS_OPS):
            raise _NoForm  # a string glued to the next token, or a quote inside a string
    return tokens


def _ps_plain(text: str) -> bool:
    if not text or not _PLAIN_PS.issuperset(text):
        return False
    first = text[0]
    if first == ".":
        return len(text) > 1 and not text[1].isdigit()
    return first in _ASCII_LETTERS or first in "_/\\"


def _ps_form(command: str) -> tuple:
    out: list[tuple] = []
    at_start, cmdlet, end_of_params = True, False, False
    for kind, text in _ps_tokens(command):
        if kind == "op":
            out.append(("op", text))
            at_start = True
            continue
        if at_start:
            if kind != "bare" or not _ps_plain(text):
                raise _NoForm  # a string or number as a command is an expression; -x is not a command
            cmdlet = text.lower() in PS_CMDLETS
            end_of_params = False
            out.append(("cmd", text.lower() if cmdlet else text))
            at_start = False
            continue
        if kind == "bare" and text == "--":
            end_of_params = True
            out.append(("bare", text))
        elif kind == "bare" and text.startswith("-"):
            if cmdlet and not end_of_params and re.fullmatch(r"-[A-Za-z][A-Za-z0-9_]*", text):
                out.append(("param", text.lower()))
            else:
                out.append(("bare", text))
        elif _ps_plain(text):
            out.append(("w", text))
        elif kind == "bare":
            out.append(("bare", text))  # 123, .5, +1, -Name:value...: exact spelling, and not a string
        else:
            out.append(("str", text))  # no $ or backquote: '...' and "..." hold the same literal text
    return tuple(out)


# --- cmd.exe --------------------------------------------------------------------------------------------


def _cmd_form(command: str) -> tuple:
    m = re.match(r"([A-Za-z]+)(?=[ \t]|$)", command)
    if not m or m.group(1).lower() not in BUILTINS_CMD:
        raise _NoForm
    return (("cmd", m.group(1).lower() + command[m.end() :]),)
