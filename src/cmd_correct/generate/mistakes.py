"""The field's catalogue of command-line mistakes, and the generator categories built from it.

CATALOGUE groups every rule of thefuck's README rule list (THEFUCK_RULES, names only) and the
pay-respects rule files into mistake classes: where each comes from, whether its fix needs the error
output (the consumer contract gives the model the command alone), and the `family/category` that
generates it or why it is left out. `render()` is the table in mistakes.md (a test keeps them equal).

SINGLE and TOOLS map the new categories to their builders; templates.Builder dispatches to them.
Each builder returns a row (templates._row) whose correction differs from the command, keeps every
value the user typed, and carries the message the shell or tool prints; None when the class does not
exist in the builder's shell (the caller redraws).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from . import catalogue as cat
from . import shellerrors as err
from .mutations import within_one_edit
from .rows import action_template, row


@dataclass(frozen=True)
class Mistake:
    name: str  # the class, in a few words
    sources: tuple[str, ...]  # "thefuck:<rule>", "pay-respects:<rule file>", "project" (this generator's own)
    needs_output: bool  # the fix needs the error output or the machine's state, not only the command
    covered_by: str | None  # "family/category" that generates it; None: left out (see note)
    note: str  # an example, or why it is left out


def _src(thefuck: str = "", pay_respects: str = "", other: str = "") -> tuple[str, ...]:
    """Sources from space-separated names: thefuck rules, pay-respects rule files, others as they are."""
    return (
        tuple(f"thefuck:{r}" for r in thefuck.split())
        + tuple(f"pay-respects:{f}" for f in pay_respects.split())
        + tuple(other.split())
    )


CATALOGUE: tuple[Mistake, ...] = (
    # ---- command-only classes: generated ----
    Mistake(
        "typo in a program name",
        _src(thefuck="no_command sl_ls cd_cs", pay_respects="general.toml no_command.toml sl.toml c_typo.toml"),
        False,
        "single/typo",
        "gti status, sl -la, cs src (tools/typo for the 135 CLIs)",
    ),
    Mistake(
        "typo in a subcommand",
        _src(
            thefuck=(
                "git_not_command adb_unknown_command aws_cli az_cli cargo_no_command composer_not_command "
                "conda_mistype docker_not_command fab_command_not_found gem_unknown_command go_unknown_command "
                "heroku_not_command lein_not_task mercurial mvn_unknown_lifecycle_phase npm_wrong_command "
                "omnienv_no_such_command pip_unknown_command react_native_command_unrecognized tsuru_not_command "
                "yarn_command_not_found git_bisect_usage git_lfs_mistype git_fix_stash apt_invalid_operation "
                "brew_unknown_command dnf_no_such_command yum_invalid_operation"
            ),
            pay_respects="cargo.toml git.toml yarn.toml",
        ),
        False,
        "tools/typo",
        "git brnch, go bulid, apt-get isntall vim",
    ),
    Mistake(
        "another tool's alias for a subcommand",
        _src(thefuck="yarn_alias yarn_command_replaced"),
        False,
        "tools/subcommand",
        "git co main, yarn install lodash, docker log web",
    ),
    Mistake(
        "wrong or single-dash flag",
        _src(thefuck="git_two_dashes php_s pacman_invalid_option"),
        False,
        "single/flag",
        "git commit -amend, ls --L (tools/flag too)",
    ),
    Mistake(
        "missing sudo on a command that always needs root",
        _src(thefuck="sudo", pay_respects="privilege.toml sudo.toml _PR_PRIVILEGE.toml"),
        False,
        "single/sudo",
        "apt install vim (tools/sudo too)",
    ),
    Mistake(
        "unbalanced or missing quotes",
        _src(thefuck="quotation_marks"),
        False,
        "single/quoting",
        "git commit -m 'fix typo\"",
    ),
    Mistake("redirection in the wrong order", _src(other="project"), False, "single/redirect", "make 2>&1 > build.log"),
    Mistake(
        "another shell's syntax", _src(other="project"), False, "single/foreign", "export X=1 in fish, ls -la in cmd"
    ),
    Mistake(
        "another shell's chain operator",
        _src(other="project"),
        False,
        "chained/chain-operator",
        "a && b in PowerShell 5",
    ),
    Mistake(
        "a slip inside a pipeline or chain",
        _src(other="project"),
        False,
        "chained/pipe",
        "ps aux | grpe node (and-chain too)",
    ),
    Mistake(
        "a directory given without -r (or to cat)",
        _src(
            thefuck="rm_dir cp_omitting_directory grep_recursive git_rm_recursive cat_dir ln_no_hard_link",
            pay_respects="rm.toml cp.toml cat.toml",
        ),
        False,
        "single/directory-arg",
        "rm build, cp src /tmp/, rmdir logs (cmd), Remove-Item dist",
    ),
    Mistake(
        "nested mkdir without -p",
        _src(thefuck="mkdir_p", pay_respects="mkdir.toml"),
        False,
        "single/mkdir-parents",
        "mkdir src/a/b (POSIX only: cmd and PowerShell create parents)",
    ),
    Mistake(
        "cd glued to its argument",
        _src(thefuck="cd_parent", pay_respects="cd.toml"),
        False,
        "single/cd-glued",
        "cd.., cd~/src, cd- (cmd and PowerShell accept cd..)",
    ),
    Mistake(
        "a pasted prompt",
        _src(thefuck="remove_shell_prompt_literal"),
        False,
        "single/prompt-prefix",
        "$ git status, alice@server:~$ ls, PS C:\\> dir, C:\\> dir",
    ),
    Mistake(
        "typed in the wrong keyboard layout",
        _src(thefuck="switch_lang remove_trailing_cedilla fix_alt_space"),
        False,
        "single/keyboard-layout",
        "ды -дф (ЙЦУКЕН), ls -laç, a non-breaking space",
    ),
    Mistake(
        "a local script run without ./ (or .\\)",
        _src(thefuck="has_exists_script python_command"),
        False,
        "single/script-path",
        "deploy.sh, build.ps1, app.py, ./build.bat in cmd",
    ),
    Mistake(
        "sed s command without its closing /",
        _src(thefuck="sed_unterminated_s"),
        False,
        "single/sed-unterminated",
        "sed 's/foo/bar' a.txt",
    ),
    Mistake(
        "python/python3 and pip/pip3, Python 2 habits",
        _src(other="brief:issue-14"),
        False,
        "tools/python-version",
        "python app.py where only python3 exists, python3 on Windows, SimpleHTTPServer, print 'x'",
    ),
    Mistake(
        "a missing or extra file extension",
        _src(thefuck="python_execute java javac go_run"),
        False,
        "tools/file-extension",
        "java Main.class, javac Main, go run main, python3 app",
    ),
    Mistake(
        "another package manager's or tool's verb",
        _src(thefuck="apt_get_search brew_update_formula git_remote_delete npm_run_script unknown_command"),
        False,
        "tools/other-verb",
        "apt-get search, brew update jq, pacman install vim, npm build, hdfs dfs ls",
    ),
    Mistake(
        "arguments in the wrong order",
        _src(thefuck="systemctl git_flag_after_filename"),
        False,
        "tools/arg-order",
        "systemctl nginx restart, service start nginx, kubectl pods get, chmod run.sh +x",
    ),
    Mistake(
        "a word typed twice",
        _src(thefuck="dry git_clone_git_clone"),
        False,
        "tools/doubled-word",
        "git git status, git clone git clone <repo>",
    ),
    Mistake(
        "program and subcommand glued or hyphenated",
        _src(thefuck="missing_space_before_subcommand wrong_hyphen_before_subcommand man_no_space"),
        False,
        "tools/glued-subcommand",
        "npminstall, git-log, apt-install vim, mandiff",
    ),
    # ---- command-only, left out ----
    Mistake(
        "git branch with a flag typed as a name",
        _src(thefuck="git_branch_list git_branch_0flag"),
        False,
        None,
        "git branch list succeeds (it creates a branch), so the fix CLI is never asked",
    ),
    Mistake(
        "rm -rf / refused", _src(thefuck="rm_root"), False, None, "never taught: the fix would add --no-preserve-root"
    ),
    Mistake("whois given a URL", _src(thefuck="whois"), False, None, "whois is not among the catalogue's tools"),
    Mistake(
        "bare mvn or cargo",
        _src(thefuck="mvn_no_command cargo"),
        False,
        None,
        "no goal in the command: any goal is a guess",
    ),
    Mistake(
        "tar without an operation",
        _src(thefuck="tar_missed_argument"),
        False,
        None,
        "extract or list: the command does not say which",
    ),
    # ---- the fix needs the error output or the machine's state: left out of the command-only contract ----
    Mistake(
        "git state: upstream, remote, merge, rebase, stash",
        _src(
            thefuck=(
                "git_push git_pull git_push_pull git_push_different_branch_names git_push_without_commits "
                "git_pull_clone git_pull_uncommitted_changes git_stash git_stash_pop git_rebase_no_changes "
                "git_rebase_merge_dir git_merge git_merge_unrelated git_main_master git_push_force scm_correction"
            )
        ),
        True,
        None,
        "the branch, remote or repository state (git or hg) is only in the message",
    ),
    Mistake(
        "git index and refs state",
        _src(
            thefuck=(
                "git_checkout git_branch_exists git_branch_delete git_branch_delete_checked_out git_add git_add_force "
                "git_rm_local_modifications git_rm_staged git_commit_add git_commit_amend git_commit_reset "
                "git_diff_no_index git_diff_staged git_tag_force git_remote_seturl_add git_help_aliased "
                "git_hook_bypass"
            )
        ),
        True,
        None,
        "which file is untracked, staged or ignored, which branch exists",
    ),
    Mistake(
        "paths that do not exist",
        _src(
            thefuck=(
                "cd_correction cd_mkdir path_from_history no_such_file cp_create_destination touch fix_file "
                "ln_s_order grep_arguments_order gradle_wrapper open"
            ),
            pay_respects="mv.toml touch.toml",
        ),
        True,
        None,
        "which path exists is on disk, not in the command",
    ),
    Mistake(
        "untar/unzip into the current folder",
        _src(thefuck="dirty_untar dirty_unzip"),
        True,
        None,
        "the archive's layout",
    ),
    Mistake(
        "permissions of a file or user",
        _src(thefuck="chmod_x pip_install unsudo sudo_command_from_user_path", pay_respects="sudo-doas.toml"),
        True,
        None,
        "Permission denied or a refusal to run as root",
    ),
    Mistake(
        "project-defined task or script names",
        _src(
            thefuck="npm_missing_script gulp_not_task grunt_task_not_found gradle_no_task workon_doesnt_exists",
            pay_respects="make.toml",
        ),
        True,
        None,
        "the task list is in the project",
    ),
    Mistake(
        "a program or package that is not installed",
        _src(
            thefuck=(
                "apt_get pacman pacman_not_found nixos_cmd_not_found brew_install brew_cask_dependency choco_install "
                "python_module_error"
            ),
            pay_respects="pacman.toml snap.toml brew.toml",
        ),
        True,
        None,
        "the package name comes from the package database",
    ),
    Mistake(
        "tool state: login, init, migrations, ports, hosts",
        _src(
            thefuck=(
                "docker_login docker_image_being_used_by_container terraform_init.py vagrant_up tsuru_login "
                "rails_migrations_pending django_south_ghost django_south_merge port_already_in_use ssh_known_hosts "
                "ifconfig_device_not_found heroku_multiple_apps"
            )
        ),
        True,
        None,
        "the state is only in the tool's message",
    ),
    Mistake(
        "brew keg state",
        _src(thefuck="brew_link brew_uninstall brew_reinstall"),
        True,
        None,
        "linked or multiple versions",
    ),
    Mistake(
        "follow-up after a successful command",
        _src(thefuck="apt_list_upgradable apt_upgrade ls_all ls_lah history yarn_help"),
        True,
        None,
        "the command worked: nothing to fix from it alone",
    ),
    Mistake(
        "compiler or tool asks for an option",
        _src(thefuck="cpp11 ag_literal long_form_help man test.py tmux hostscli prove_recursively"),
        True,
        None,
        "the needed option or section is in the message",
    ),
    Mistake(
        "output-size, editor and other helper rules",
        _src(
            pay_respects=(
                "size.toml eza.toml ls.toml vim.toml jj.toml _PR_GENERAL.toml _PR_FALLBACK.toml pr_general.toml "
                "pr_privilege.toml _PR_PRIVILEGE_A.toml"
            )
        ),
        True,
        None,
        "pay-respects' own helpers and fallbacks match the error text",
    ),
)

# thefuck's README rule list (names only), to check that CATALOGUE places every rule once.
THEFUCK_RULES = (  # noqa: SIM905
    "adb_unknown_command ag_literal aws_cli az_cli cargo cargo_no_command cat_dir cd_correction cd_cs cd_mkdir "
    "cd_parent chmod_x choco_install composer_not_command conda_mistype cp_create_destination cp_omitting_directory "
    "cpp11 dirty_untar dirty_unzip django_south_ghost django_south_merge docker_login docker_not_command "
    "docker_image_being_used_by_container dry fab_command_not_found fix_alt_space fix_file gem_unknown_command "
    "git_add git_add_force git_bisect_usage git_branch_delete git_branch_delete_checked_out git_branch_exists "
    "git_branch_list git_branch_0flag git_checkout git_clone_git_clone git_commit_add git_commit_amend "
    "git_commit_reset git_diff_no_index git_diff_staged git_fix_stash git_flag_after_filename git_help_aliased "
    "git_hook_bypass git_lfs_mistype git_main_master git_merge git_merge_unrelated git_not_command git_pull "
    "git_pull_clone git_pull_uncommitted_changes git_push git_push_different_branch_names git_push_pull "
    "git_push_without_commits git_rebase_no_changes git_remote_delete git_rm_local_modifications git_rm_recursive "
    "git_rm_staged git_rebase_merge_dir git_remote_seturl_add git_stash git_stash_pop git_tag_force git_two_dashes "
    "go_run go_unknown_command gradle_no_task gradle_wrapper grep_arguments_order grep_recursive grunt_task_not_found "
    "gulp_not_task has_exists_script heroku_multiple_apps heroku_not_command history hostscli "
    "ifconfig_device_not_found java javac lein_not_task long_form_help ln_no_hard_link ln_s_order ls_all ls_lah man "
    "man_no_space mercurial missing_space_before_subcommand mkdir_p mvn_no_command mvn_unknown_lifecycle_phase "
    "npm_missing_script npm_run_script npm_wrong_command no_command no_such_file omnienv_no_such_command open "
    "pip_install pip_unknown_command php_s port_already_in_use prove_recursively python_command python_execute "
    "python_module_error quotation_marks path_from_history rails_migrations_pending react_native_command_unrecognized "
    "remove_shell_prompt_literal remove_trailing_cedilla rm_dir scm_correction sed_unterminated_s sl_ls "
    "ssh_known_hosts sudo sudo_command_from_user_path switch_lang systemctl tar_missed_argument terraform_init.py "
    "test.py touch tsuru_login tsuru_not_command tmux unknown_command unsudo vagrant_up whois workon_doesnt_exists "
    "wrong_hyphen_before_subcommand yarn_alias yarn_command_not_found yarn_command_replaced yarn_help apt_get "
    "apt_get_search apt_invalid_operation apt_list_upgradable apt_upgrade brew_cask_dependency brew_install "
    "brew_reinstall brew_link brew_uninstall brew_unknown_command brew_update_formula dnf_no_such_command "
    "nixos_cmd_not_found pacman pacman_invalid_option pacman_not_found yum_invalid_operation git_push_force rm_root"
).split()


def render() -> str:
    """The catalogue as the Markdown page generate/mistakes.md."""
    lines = [
        "# The field's catalogue of command-line mistakes",
        "",
        "Generated from `CATALOGUE` in `mistakes.py` by `mistakes.render()`; a test keeps the two equal. "
        "Sources: thefuck's README rule list "
        "(rule names), pay-respects' rule files (file names), `project` (this generator's own classes), "
        '`brief:issue-14`. "Needs output": the fix needs the error output or the machine\'s state, which the '
        "consumer contract does not give the model, so the class is left out.",
        "",
        "| class | needs output | generated as | example, or why left out | sources |",
        "|---|---|---|---|---|",
    ]
    for m in CATALOGUE:
        cell = f"`{m.covered_by}`" if m.covered_by else "left out"
        lines.append(
            f"| {m.name} | {'yes' if m.needs_output else 'no'} | {cell} | {m.note.replace('|', '&#124;')} | "
            f"{', '.join(m.sources)} |"
        )
    return "\n".join(lines) + "\n"


# ---- builders -------------------------------------------------------------------------------------------

_POSIX = cat.POSIX
SCRIPTS = ("build.sh", "deploy.sh", "install.sh", "run.sh", "setup.sh", "start.sh", "test.sh", "configure", "gradlew")
PS_SCRIPTS = ("build.ps1", "deploy.ps1", "install.ps1", "setup.ps1", "run.ps1", "test.ps1")
BAT_SCRIPTS = ("build.bat", "deploy.bat", "install.bat", "setup.bat", "run.bat", "test.bat")
PY_FILES = ("app.py", "main.py", "manage.py", "script.py", "server.py", "train.py", "bot.py", "run.py")
JAVA_CLASSES = ("Main", "App", "Hello", "Server", "Game", "Client", "HelloWorld")
GO_FILES = ("main", "server", "app", "hello", "cli")
NESTED = ("new", "old", "v2", "2024", "images", "archive", "drafts", "reports", "raw", "utils")
REPLACEMENTS = ("fixed", "done", "new", "ok", "FIXME", "info", "")
NPM_SCRIPTS = ("build", "dev", "lint", "serve", "watch", "format", "deploy")  # not npm's own commands
MAN_PAGES = ("ls", "grep", "tar", "ssh", "find", "chmod", "rsync", "sed", "awk", "curl", "diff", "crontab")

# ЙЦУКЕН: the Cyrillic letter on each Latin key, for a layout left switched.
_LATIN = "qwertyuiop[]asdfghjkl;'zxcvbnm,./`"
_CYRILLIC = "йцукенгшщзхъфывапролджэячсмитьбю.ё"
RU_LAYOUT = str.maketrans(
    dict(zip(_LATIN, _CYRILLIC, strict=True))
    | {la.upper(): cy.upper() for la, cy in zip(_LATIN, _CYRILLIC, strict=True) if la.isalpha()}
)


def _row(b, family, category, tool, command, correction, edit, error):
    """A row, or None when nothing changed. A class whose real slip is one character keeps it: those
    rows are counted in validate's one-character share (bounded by their small category shares)."""
    if command == correction:
        return None
    b.allowed_trivial = within_one_edit(command, correction)
    return row(b.shell, family, category, tool, command, correction, edit, error)


def _fill(b, template: str, rng: random.Random, values: dict | None = None) -> str:
    """`template` with its slots filled from the builder's lane (values shared through `values`)."""
    return b.fill(template, rng, {} if values is None else values)[0]


def _directory_arg(b, rng):
    sh = b.shell
    v: dict[str, str] = {}
    if sh in _POSIX:
        kind = rng.choice(("rm", "rm", "cp", "grep", "cat", "scp", "ln", "git"))
        forms = {
            "rm": [("rm {dir}", "rm -r {dir}"), ("rm -f {dir}", "rm -rf {dir}"), ("rm {dir}/", "rm -r {dir}/")],
            "cp": [("cp {dir} /tmp/", "cp -r {dir} /tmp/"), ("cp {dir} ~/backup/", "cp -r {dir} ~/backup/"),
                   ("cp {dir} {dir}.bak", "cp -r {dir} {dir}.bak")],
            "grep": [('grep "{pat}" {dir}', 'grep -r "{pat}" {dir}'),
                     ('grep -n "{pat}" {dir}', 'grep -rn "{pat}" {dir}'),
                     ('grep -i "{pat}" {dir}', 'grep -ri "{pat}" {dir}')],
            "cat": [("cat {dir}", "ls {dir}"), ("cat {dir}/", "ls {dir}/")],
            "scp": [("scp {dir} {user}@{server}:~/", "scp -r {dir} {user}@{server}:~/")],
            "ln": [("ln {dir} {dir}-link", "ln -s {dir} {dir}-link")],
            "git": [("git rm {dir}", "git rm -r {dir}"), ("git rm --cached {dir}", "git rm -r --cached {dir}")],
        }[kind]  # fmt: skip
    elif sh == "powershell":
        kind = rng.choice(("Remove-Item", "Remove-Item", "git"))
        forms = {
            "Remove-Item": [("Remove-Item {dir}", "Remove-Item -Recurse {dir}"), ("rm {dir}", "rm -Recurse {dir}"),
                            ("Remove-Item -Force {dir}", "Remove-Item -Recurse -Force {dir}")],
            "git": [("git rm {dir}", "git rm -r {dir}")],
        }[kind]  # fmt: skip
    else:
        kind = rng.choice(("rmdir", "rmdir", "type", "git"))
        forms = {
            "rmdir": [("rmdir {dir}", "rmdir /s /q {dir}"), ("rd {dir}", "rd /s /q {dir}")],
            "type": [("type {dir}", "dir {dir}")],
            "git": [("git rm {dir}", "git rm -r {dir}")],
        }[kind]
    broken, fixed = rng.choice(forms)
    command, correction = _fill(b, broken, rng, v), _fill(b, fixed, rng, v)
    arg = next(w for w in command.split() if w.startswith(v["dir"]))  # as typed, a trailing / included
    error = err.DIRECTORY_ARG[kind].format(arg=arg)
    edit = (
        "cat-directory" if kind in ("cat", "type") else "hard-link-directory" if kind == "ln" else "missing-recursive"
    )
    return _row(b, "single", "directory-arg", "shell" if kind != "git" else "git", command, correction, edit, error)


def _mkdir_parents(b, rng):
    if b.shell not in _POSIX:
        return None  # cmd's mkdir and PowerShell's New-Item create the parents themselves
    v: dict[str, str] = {}
    depth = rng.choice((1, 2, 2))
    path = "{dir}/" + "/".join(rng.sample(NESTED, depth))
    flags = rng.choice(("", "", "-v "))
    command = _fill(b, f"mkdir {flags}{path}", rng, v)
    correction = _fill(b, f"mkdir -p{flags and ' ' + flags.strip()} {path}", rng, v)
    missing = command.split()[-1]
    return _row(b, "single", "mkdir-parents", "shell", command, correction, "missing-parents",
                err.MKDIR_PARENTS.format(path=missing))  # fmt: skip


def _cd_glued(b, rng):
    sh = b.shell
    if sh == "cmd":
        return None  # cmd reads cd.. and cd\ as cd with an argument
    if sh == "powershell":
        forms = [("~", "~"), ("~/{dir}", "~/{dir}"), ("-", "-")]  # cd.. is a built-in function there
    else:
        forms = [("..", ".."), ("../{dir}", "../{dir}"), ("../..", "../.."), ("-", "-"), ("~", "~"),
                 ("~/{dir}", "~/{dir}"), ("/tmp", "/tmp"), ("/etc", "/etc"), ("/var/log", "/var/log")]  # fmt: skip
    glued, arg = rng.choice(forms)
    v: dict[str, str] = {}
    command = _fill(b, f"cd{glued}", rng, v)
    return _row(b, "single", "cd-glued", "shell", command, _fill(b, f"cd {arg}", rng, v), "missing-space",
                err.not_found(sh, command))  # fmt: skip


def _body(b, rng) -> tuple[str, str]:
    """A correct command for this shell: a shell-native action or a tool command; (tool, text)."""
    if rng.random() < 0.5:
        template = action_template(rng.choice(b.actions), b.shell)
        return "shell", _fill(b, template, rng)
    tool, template = rng.choice(b.tools)
    return tool, _fill(b, template, rng)


def _prompt_prefix(b, rng):
    sh = b.shell
    tool, correct = _body(b, rng)
    if sh in _POSIX:
        user, host = _fill(b, "{user}", rng), _fill(b, "{server}", rng)
        prefix = rng.choice(("$", "$", "$", f"{user}@{host}:~$") + ((f"[{user}@{host} ~]$",) if sh == "bash" else ()))
        error = "bash: [: missing `]'" if prefix.startswith("[") else err.prompt(sh, prefix)
    elif sh == "powershell":
        prefix = "PS C:\\>"
        error = err.prompt(sh, "C:\\")  # PS is Get-Process's alias, C:\ its -Name
    else:
        prefix = rng.choice(("C:\\>", "$"))
        error = err.prompt(sh, prefix.rstrip(">"))  # cmd reads `> rest` as a redirection
    edit = "prompt-dollar" if prefix == "$" else "prompt-user-host" if "@" in prefix else "prompt-windows"
    return _row(b, "single", "prompt-prefix", tool, f"{prefix} {correct}", correct, edit, error)


def _keyboard_layout(b, rng):
    tool, correct = _body(b, rng)
    words = correct.split(" ")
    kind = rng.choices(("layout", "cedilla", "alt-space"), (0.8, 0.1, 0.1))[0]
    if kind == "layout":
        command = correct.translate(RU_LAYOUT)
        error = err.not_found(b.shell, command.split(" ")[0])
    elif kind == "cedilla":
        command, error = correct + "ç", None
    else:
        if len(words) < 2:
            return None
        command = words[0] + "\u00a0" + " ".join(words[1:])  # Alt+Space on a Mac types a non-breaking space
        error = err.not_found(b.shell, command.split(" ")[0])
    edit = {"layout": "wrong-layout", "cedilla": "trailing-cedilla", "alt-space": "non-breaking-space"}[kind]
    return _row(b, "single", "keyboard-layout", tool, command, correct, edit, error)


def _script_path(b, rng):
    sh = b.shell
    if sh in _POSIX:
        if rng.random() < 0.3:
            name = rng.choice(PY_FILES)
            return _row(b, "single", "script-path", "python", name, f"python3 {name}", "missing-interpreter",
                        err.not_found(sh, name))  # fmt: skip
        name = rng.choice(SCRIPTS)
        v: dict[str, str] = {}
        tail = rng.choice(("", "", " {dir}", " --help"))
        command = _fill(b, name + tail, rng, v)
        return _row(b, "single", "script-path", "shell", command, "./" + command, "missing-dot-slash",
                    err.not_found(sh, name))  # fmt: skip
    if sh == "powershell":
        name = rng.choice(PS_SCRIPTS)
        return _row(b, "single", "script-path", "shell", name, ".\\" + name, "missing-dot-slash",
                    err.not_found(sh, name) + err.PS_SCRIPT_HERE.format(name=name))  # fmt: skip
    name = rng.choice(BAT_SCRIPTS)  # a Unix habit in cmd: ./build.bat
    return _row(b, "single", "script-path", "shell", "./" + name, name, "unix-dot-slash", err.not_found(sh, "."))


def _sed_unterminated(b, rng):
    if b.shell not in _POSIX:
        return None
    v: dict[str, str] = {}
    pat = _fill(b, "{pat}", rng)
    if "'" in pat or "/" in pat:
        return None
    expr = f"s/{pat}/{rng.choice(REPLACEMENTS)}"
    opt = rng.choice(("", "-i ", "-n ", "-E "))
    command = _fill(b, f"sed {opt}'{expr}' {{file}}", rng, v)
    correction = _fill(b, f"sed {opt}'{expr}/' {{file}}", rng, v)
    return _row(b, "single", "sed-unterminated", "sed", command, correction, "unterminated-s",
                err.SED_UNTERMINATED.format(n=len(expr)))  # fmt: skip


def _python_version(b, rng):
    sh = b.shell
    py = err.PYTHON
    if sh in _POSIX:
        kind = rng.choice(("python", "python", "pip", "module", "print"))
        if kind == "python":
            tail = _fill(b, rng.choice((rng.choice(PY_FILES), "-m venv .venv", "-m http.server {port}",
                                     "-m pip install {pypkg}",
                                     "-m pytest", "--version", rng.choice(PY_FILES) + " --help")), rng)  # fmt: skip
            return _row(b, "tools", "python-version", "python", f"python {tail}", f"python3 {tail}", "python2-name",
                        err.not_found(sh, "python"))  # fmt: skip
        if kind == "pip":
            tail = _fill(b, rng.choice(("install {pypkg}", "install -r requirements.txt", "install --upgrade {pypkg}",
                                     "uninstall {pypkg}", "list", "freeze")), rng)  # fmt: skip
            return _row(b, "tools", "python-version", "pip", f"pip {tail}", f"pip3 {tail}", "pip2-name",
                        err.not_found(sh, "pip"))  # fmt: skip
        python = rng.choice(("python", "python3"))
    else:
        kind = rng.choice(("store", "store", "module", "print"))
        if kind == "store":
            tail = _fill(b, rng.choice((rng.choice(PY_FILES), "-m venv .venv", "-m pip install {pypkg}", "--version",
                                     "-m http.server {port}")), rng)  # fmt: skip
            return _row(b, "tools", "python-version", "python", f"python3 {tail}", f"py {tail}", "python3-on-windows",
                        py["store-stub"])  # fmt: skip
        python = "python"
    fixed = "python3" if sh in _POSIX else python
    if kind == "module":
        port = _fill(b, "{port}", rng)
        error = (
            err.not_found(sh, "python")
            if python == "python" and sh in _POSIX
            else py["no-module"].format(
                python="/usr/bin/python3" if sh in _POSIX else "C:\\Python311\\python.exe", module="SimpleHTTPServer"
            )
        )
        return _row(b, "tools", "python-version", "python", f"{python} -m SimpleHTTPServer {port}",
                    f"{fixed} -m http.server {port}", "python2-module", error)  # fmt: skip
    msg = _fill(b, "{msg}", rng)
    command = f"{python} -c \"print '{msg}'\""
    error = err.not_found(sh, "python") if python == "python" and sh in _POSIX else py["print"]
    return _row(
        b, "tools", "python-version", "python", command, f"{fixed} -c \"print('{msg}')\"", "python2-print", error
    )


def _file_extension(b, rng):
    sh = b.shell
    kind = rng.choice(("java", "javac", "go", "python"))
    if kind == "java":
        name = rng.choice(JAVA_CLASSES)
        return _row(b, "tools", "file-extension", "java", f"java {name}.class", f"java {name}", "extra-extension",
                    err.JAVA_CLASS.format(arg=f"{name}.class"))  # fmt: skip
    if kind == "javac":
        name = rng.choice(JAVA_CLASSES)
        flags = rng.choice(("", "", "-d out "))
        return _row(b, "tools", "file-extension", "javac", f"javac {flags}{name}", f"javac {flags}{name}.java",
                    "missing-extension", err.JAVAC_NAME.format(arg=name))  # fmt: skip
    if kind == "go":
        name = rng.choice(GO_FILES)
        verb = rng.choice(("run", "run", "build"))
        root, sep = ("/usr/local/go/src", "/") if sh in _POSIX else ("C:\\Program Files\\Go\\src", "\\")
        return _row(b, "tools", "file-extension", "go", f"go {verb} {name}", f"go {verb} {name}.go",
                    "missing-extension", err.GO_NOT_IN_STD.format(arg=name, root=root, sep=sep))  # fmt: skip
    python = "python3" if sh in _POSIX else "python"
    name = rng.choice(PY_FILES)[:-3]
    return _row(b, "tools", "file-extension", "python", f"{python} {name}", f"{python} {name}.py", "missing-extension",
                err.PYTHON["cant-open"].format(python=python, arg=name))  # fmt: skip


def _other_verb(b, rng):
    sh = b.shell
    kinds = ["npm", "git"] + (["apt", "apt", "brew", "pacman", "hdfs"] if sh in _POSIX else [])
    kind = rng.choice(kinds)
    v: dict[str, str] = {}
    if kind == "apt":
        verb, form, fixed = rng.choice((
            ("search", "apt-get search {aptpkg}", "apt-cache search {aptpkg}"),
            ("show", "apt-get show {aptpkg}", "apt-cache show {aptpkg}"),
            ("policy", "apt-get policy {aptpkg}", "apt-cache policy {aptpkg}"),
            ("list", "apt-get list --installed", "apt list --installed"),
            ("list", "apt-get list --upgradable", "apt list --upgradable"),
        ))  # fmt: skip
        error, tool = err.OTHER_VERB["apt-get"].format(verb=verb), "apt"
    elif kind == "brew":
        form, fixed = "brew update {brewpkg}", "brew upgrade {brewpkg}"
        _fill(b, form, rng, v)
        error, tool = err.OTHER_VERB["brew"].format(arg=v["brewpkg"]), "brew"
    elif kind == "pacman":
        form, fixed = rng.choice((
            ("sudo pacman install {brewpkg}", "sudo pacman -S {brewpkg}"),
            ("sudo pacman remove {brewpkg}", "sudo pacman -R {brewpkg}"),
            ("sudo pacman update", "sudo pacman -Syu"),
            ("sudo pacman upgrade", "sudo pacman -Syu"),
            ("pacman search {brewpkg}", "pacman -Ss {brewpkg}"),
        ))  # fmt: skip
        error, tool = err.OTHER_VERB["pacman"], "pacman"
    elif kind == "hdfs":
        verb = rng.choice(("ls", "mkdir", "cat", "rm", "put", "get"))
        home = "/user/{user}"
        arg = {"ls": home, "mkdir": f"{home}/{{dir}}", "cat": f"{home}/{{file}}", "rm": f"{home}/{{file}}",
               "put": f"{{file}} {home}/", "get": f"{home}/{{file}} ."}[verb]  # fmt: skip
        form, fixed = f"hdfs dfs {verb} {arg}", f"hdfs dfs -{verb} {arg}"
        error, tool = err.OTHER_VERB["hdfs"].format(verb=verb), "hdfs"
    elif kind == "npm":
        script = rng.choice(NPM_SCRIPTS)
        form, fixed = f"npm {script}", f"npm run {script}"
        error, tool = err.subcommand("npm", script), "npm"
    else:
        remote = rng.choice(("origin", "upstream", "fork", "backup"))
        form, fixed = f"git remote delete {remote}", f"git remote remove {remote}"
        error, tool = err.OTHER_VERB["git"].format(verb="delete"), "git"
    command, correction = _fill(b, form, rng, v), _fill(b, fixed, rng, v)
    return _row(b, "tools", "other-verb", tool, command, correction, "other-tool-verb", error)


def _arg_order(b, rng):
    sh = b.shell
    kinds = ["kubectl", "docker", "git", "git-flag"] + (
        ["systemctl", "systemctl", "service", "chmod"] if sh in _POSIX else []
    )
    kind = rng.choice(kinds)
    v: dict[str, str] = {}
    if kind == "systemctl":
        verb = rng.choice(("restart", "start", "stop", "enable", "reload", "status"))
        sudo = "" if verb == "status" else "sudo "
        svc = _fill(b, "{svc}", rng)
        command, correction = f"{sudo}systemctl {svc} {verb}", f"{sudo}systemctl {verb} {svc}"
        return _row(b, "tools", "arg-order", "systemctl", command, correction, "swapped-arguments",
                    err.subcommand("systemctl", svc))  # fmt: skip
    if kind == "service":
        verb = rng.choice(("restart", "start", "stop", "status", "reload"))
        svc = _fill(b, "{svc}", rng)
        return _row(b, "tools", "arg-order", "service", f"sudo service {verb} {svc}", f"sudo service {svc} {verb}",
                    "swapped-arguments", err.ARG_ORDER["service"].format(verb=verb))  # fmt: skip
    if kind == "chmod":
        name, mode = rng.choice(SCRIPTS), rng.choice(("+x", "755", "u+x", "644"))
        return _row(b, "tools", "arg-order", "chmod", f"chmod {name} {mode}", f"chmod {mode} {name}",
                    "swapped-arguments", err.ARG_ORDER["chmod"].format(arg=name))  # fmt: skip
    if kind == "kubectl":
        verb, res = rng.choice((("get", "pods"), ("get", "svc"), ("get", "deployments"), ("describe", "pod {pod}"),
                                ("delete", "pod {pod}"), ("logs", "{pod}"), ("get", "nodes")))  # fmt: skip
        ns = rng.choice(("", "", " -n {ns}"))
        command = _fill(b, f"kubectl {res} {verb}{ns}", rng, v)
        return _row(b, "tools", "arg-order", "kubectl", command, _fill(b, f"kubectl {verb} {res}{ns}", rng, v),
                    "swapped-arguments", err.subcommand("kubectl", command.split()[1]))  # fmt: skip
    if kind == "docker":
        verb = rng.choice(("logs", "stop", "restart", "start", "rm", "inspect"))
        command = _fill(b, f"docker {{container}} {verb}", rng, v)
        return _row(b, "tools", "arg-order", "docker", command, _fill(b, f"docker {verb} {{container}}", rng, v),
                    "swapped-arguments", err.subcommand("docker", v["container"]))  # fmt: skip
    if kind == "git":
        verb = rng.choice(("push", "pull", "fetch"))
        remote = rng.choice(("origin", "upstream"))
        command = _fill(b, f"git {remote} {verb} {{branch}}", rng, v)
        return _row(b, "tools", "arg-order", "git", command, _fill(b, f"git {verb} {remote} {{branch}}", rng, v),
                    "swapped-arguments", err.subcommand("git", remote))  # fmt: skip
    verb, flag = rng.choice((("log", "--oneline"), ("log", "-p"), ("diff", "--stat"), ("log", "--stat"),
                             ("diff", "--staged"), ("log", "--follow")))  # fmt: skip
    command = _fill(b, f"git {verb} {{file}} {flag}", rng, v)
    return _row(b, "tools", "arg-order", "git", command, _fill(b, f"git {verb} {flag} {{file}}", rng, v),
                "flag-after-path", err.ARG_ORDER["git-flag"].format(arg=flag))  # fmt: skip


_DOUBLE_TOOLS = ("git", "docker", "kubectl", "npm", "cargo", "pip", "helm", "go", "gh", "terraform")


def _doubled_word(b, rng):
    if rng.random() < 0.25:
        v: dict[str, str] = {}
        correct = _fill(b, "git clone {repo}", rng, v)
        return _row(b, "tools", "doubled-word", "git", "git clone " + correct, correct, "doubled-command",
                    err.GIT_CLONE_TWICE)  # fmt: skip
    pool = [(t, s) for t, s in b.tools if t in _DOUBLE_TOOLS and s.split()[0] == t]
    tool, template = rng.choice(pool)
    correct = _fill(b, template, rng)
    command = f"{tool} {correct}"
    return _row(b, "tools", "doubled-word", tool, command, correct, "doubled-command", err.subcommand(tool, tool))


# Programs whose second word is no subcommand, and hyphenated names that are real programs (they run).
_NOT_SUBCOMMANDS = ("java", "watch")
_REAL_HYPHENATED = frozenset({"docker-compose", "cargo-fmt", "cargo-clippy", "git-lfs", "apt-get"})


def _glued_subcommand(b, rng):
    sh = b.shell
    if sh in _POSIX and rng.random() < 0.2:
        page = rng.choice(MAN_PAGES)
        return _row(b, "tools", "glued-subcommand", "man", f"man{page}", f"man {page}", "missing-space",
                    err.not_found(sh, f"man{page}"))  # fmt: skip
    pool = [
        (t, s) for t, s in b.tools
        if s.split()[0] == t and len(s.split()) > 1 and s.split()[1].isalpha() and t not in _NOT_SUBCOMMANDS
    ] + ([("apt", s) for t, s in b.tools if s.startswith("sudo apt ")] if sh in _POSIX else [])  # fmt: skip
    tool, template = rng.choice(pool)
    correct = _fill(b, template, rng)
    words = correct.split(" ")
    i = 1 if words[0] == "sudo" else 0
    joiner = rng.choice(("", "-"))
    glued = words[i] + joiner + words[i + 1]
    if glued in _REAL_HYPHENATED:
        return None
    command = " ".join(words[:i] + [glued] + words[i + 2 :])
    edit = "missing-space" if not joiner else "hyphen-for-space"
    error = f"sudo: {glued}: command not found" if i else err.not_found(sh, glued)  # sudo looks the name up
    return _row(b, "tools", "glued-subcommand", tool, command, correct, edit, error)


# The shells where each class exists (elsewhere its builder returns None); the rest exist in all six.
WHERE: dict[str, tuple[str, ...]] = {
    "mkdir-parents": _POSIX,
    "cd-glued": (*_POSIX, "powershell"),
    "sed-unterminated": _POSIX,
}

Build = Callable[[object, random.Random], dict | None]
SINGLE: dict[str, Build] = {
    "directory-arg": _directory_arg,
    "mkdir-parents": _mkdir_parents,
    "cd-glued": _cd_glued,
    "prompt-prefix": _prompt_prefix,
    "keyboard-layout": _keyboard_layout,
    "script-path": _script_path,
    "sed-unterminated": _sed_unterminated,
}
TOOLS: dict[str, Build] = {
    "python-version": _python_version,
    "file-extension": _file_extension,
    "other-verb": _other_verb,
    "arg-order": _arg_order,
    "doubled-word": _doubled_word,
    "glued-subcommand": _glued_subcommand,
}
