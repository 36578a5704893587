"""Consumer acceptance cases: fix's own end-to-end cases and ours in the same spirit, as a checklist.

fix's tests (tests/e2e_test.rs, run against the published model, ../shared/CONSUMER.md) ask: `gti status`
-> `git status`; `dcoker ps` -> `docker ps`; `nmp install` -> `npm install`; `ls -la` -> `ls -la` or
`ls -al`; `echo "hello world"` -> contains `echo` and `hello`; `cat file.txt | gerp pattern` -> contains
`grep`; and every answer is one clean line. Ours add one or more per mistake class and shell, valid
commands included (they must come back unchanged). Each is answered single-sequence through the fix
decoder (`infer.Corrector.correct`), as one `fix` call would be.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Accept:
    name: str  # a short id for the checklist (stable: metrics.json keys)
    shell: str  # the name fix sends
    command: str
    equals: tuple[str, ...] = ()  # the answer must be one of these (exactly, after fix's clean-up)
    contains: tuple[str, ...] = ()  # ...or hold every one of these words
    source: str = "ours"  # "fix-e2e" for fix's own end-to-end cases

    def check(self, answer: str) -> bool:
        """fix's own rule first: one clean, non-empty line; then equals or contains."""
        if not answer or answer != answer.strip() or "\n" in answer:
            return False
        if self.equals and answer not in self.equals:
            return False
        return all(word in answer for word in self.contains)


def _a(name, shell, command, *equals, contains=(), source="ours") -> Accept:
    return Accept(name, shell, command, tuple(equals), tuple(contains), source)


CASES: tuple[Accept, ...] = (
    # fix's end-to-end tests, as it runs them (bash on a non-Windows runner)
    _a("fix:gti-status", "bash", "gti status", "git status", source="fix-e2e"),
    _a("fix:dcoker-ps", "bash", "dcoker ps", "docker ps", source="fix-e2e"),
    _a("fix:nmp-install", "bash", "nmp install", "npm install", source="fix-e2e"),
    _a("fix:ls-la", "bash", "ls -la", "ls -la", "ls -al", source="fix-e2e"),
    _a("fix:echo", "bash", 'echo "hello world"', contains=("echo", "hello"), source="fix-e2e"),
    _a("fix:gerp-pipe", "bash", "cat file.txt | gerp pattern", contains=("grep",), source="fix-e2e"),
    # valid commands come back unchanged (fix prints "No correction needed")
    _a("valid:git-log", "zsh", "git log --oneline", "git log --oneline"),
    _a("valid:docker-ps-a", "bash", "docker ps -a", "docker ps -a"),
    _a("valid:grep-r", "bash", "grep -rn TODO src", "grep -rn TODO src"),
    _a("valid:get-childitem", "powershell", "Get-ChildItem -Recurse", "Get-ChildItem -Recurse"),
    _a("valid:dir", "cmd", "dir /s", "dir /s"),
    _a("valid:fish-set", "fish", "set -x EDITOR vim", "set -x EDITOR vim"),
    _a("valid:pwd", "tcsh", "pwd", "pwd"),
    _a("valid:npm-test", "sh", "npm test", "npm test"),
    # typos in the command word
    _a("typo:sl", "bash", "sl -la", "ls -la"),
    _a("typo:pyhton", "zsh", "pyhton3 app.py", "python3 app.py"),
    _a("typo:kubeclt", "bash", "kubeclt get pods", "kubectl get pods"),
    _a("typo:Get-ChildIte", "powershell", "Get-ChildIte", "Get-ChildItem"),
    _a("typo:ipconfgi", "cmd", "ipconfgi", "ipconfig"),
    _a("typo:gti-fish", "fish", "gti pull", "git pull"),
    _a("typo:dash-alias", "dash", "mkdri build", "mkdir build"),
    _a("typo:pwsh-alias", "pwsh", "Get-Proces", "Get-Process"),
    # subcommands and flags
    _a("subcommand:git-stauts", "bash", "git stauts", "git status"),
    _a("subcommand:git-comit", "zsh", 'git comit -m "fix typo"', 'git commit -m "fix typo"'),
    _a("subcommand:docker-iamges", "bash", "docker iamges", "docker images"),
    _a("flag:single-dash", "bash", "ls -all", contains=("ls",)),
    _a("flag:grep-recursive", "zsh", "grep -recursive TODO .", "grep --recursive TODO .", "grep -r TODO ."),
    _a("flag:git-amend", "bash", "git commit -amend", "git commit --amend"),
    # sudo, directories, paths
    _a("sudo:apt", "bash", "apt install nginx", "sudo apt install nginx"),
    _a("directory-arg:rm", "bash", "rm build", "rm -r build", "rm -rf build"),
    _a("mkdir-parents", "zsh", "mkdir src/app/models", "mkdir -p src/app/models"),
    _a("cd-glued", "bash", "cd..", "cd .."),
    _a("prompt-prefix", "bash", "$ git status", "git status"),
    _a("script-path", "bash", "deploy.sh", "./deploy.sh"),
    # chains and pipes
    _a("chain:and", "bash", "git add . && git comit -m wip", "git add . && git commit -m wip"),
    _a("pipe:grep", "zsh", "ps aux | grpe node", "ps aux | grep node"),
    _a("pipe:missing", "bash", "ps aux grep node", "ps aux | grep node"),
    _a("chain:fish-and", "fish", "make && make install", "make; and make install", "make && make install"),
    _a("chain:powershell", "powershell", "npm ci && npm test", "npm ci; if ($?) { npm test }", "npm ci && npm test"),
    # another shell's syntax
    _a("foreign:export-fish", "fish", "export PATH=$PATH:/opt/bin", contains=("set",)),
    _a("foreign:ls-cmd", "cmd", "ls", "dir"),
    _a("foreign:setenv-tcsh", "tcsh", "export EDITOR=vim", "setenv EDITOR vim"),
    # natural-language requests
    _a("natural:disk", "bash", "show disk usage", contains=("df",)),
    _a("natural:processes", "powershell", "list running processes", contains=("Get-Process",)),
    _a("natural:git-branch", "zsh", "create a new git branch called feature", contains=("git", "feature")),
)


def run(model, cases: tuple[Accept, ...] = CASES) -> list[dict]:
    """Answer each case with `model.correct` (fix's decoder, one call each); one row per case."""
    rows = []
    for c in cases:
        answer = model.correct(c.shell, model.user(c.command)).text  # the consumer's user turn (wit: no tools)
        rows.append(
            {
                "name": c.name,
                "source": c.source,
                "shell": c.shell,
                "command": c.command,
                "answer": answer,
                "passed": c.check(answer),
            }  # fmt: skip
        )
    return rows


def summary(rows: list[dict]) -> dict:
    """metrics.json's acceptance entries: passed, total, fix's own cases passed, and the checklist."""
    fix_rows = [r for r in rows if r["source"] == "fix-e2e"]
    return {
        "acceptance_passed": sum(r["passed"] for r in rows),
        "acceptance_total": len(rows),
        "acceptance_pass_rate": round(sum(r["passed"] for r in rows) / len(rows), 4) if rows else None,
        "acceptance_fix_e2e_passed": sum(r["passed"] for r in fix_rows),
        "acceptance_fix_e2e_total": len(fix_rows),
        "acceptance_checklist": {r["name"]: r["passed"] for r in rows},
    }
