"""Slot value composers, one per slot name (GENERATORS), and what each is told about where it goes.

Each composer takes the row's rng, a Spec (what the command around the slot wants) and a Where (the
shell, and whether the template is Windows-only) and returns one candidate value; slots.py keeps the
candidates of the row's lane. Values are composed from word lists (stems x separators x casing x real
extensions, nested / absolute / home paths, naming conventions), mixed with well-known real names.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Spec:
    kind: str  # what the command around the slot wants ("py", "env", "api", ...; "" = the slot's default)
    form: str  # where a path may start: "any", "rel" (below a given folder) or "bare" (no folder); paths only


@dataclass(frozen=True)
class Where:
    """The shell a value is drawn for: `native` is a template written for a Windows shell only."""

    shell: str
    native: bool

    @property
    def windows(self) -> bool:
        return self.native and self.shell in ("powershell", "cmd")

    @property
    def portable(self) -> bool:  # a cross-platform template typed in a Windows shell: relative, forward slashes
        return not self.native and self.shell in ("powershell", "cmd")


def _w(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# ---- vocabulary ---------------------------------------------------------------------------------------
NOUNS = _w(
    "user account order invoice payment report customer product cart checkout session token auth login profile "
    "config settings cache queue worker job task event message email notification search index upload download "
    "image photo video audio file document page post comment review rating tag label category item stock "
    "inventory price tax shipping address contact team project board issue ticket sprint release build deploy "
    "pipeline test fixture mock schema model view controller router handler middleware service client server "
    "gateway proxy api endpoint webhook metric log trace alert dashboard chart graph table record row column "
    "backup snapshot archive export import migration seed dump sync batch stream buffer parser lexer compiler "
    "renderer template theme layout header footer sidebar menu modal form button input widget plugin extension "
    "module package library core common shared util helper tool script cli shell terminal console editor "
    "scheduler timer cron calendar booking reservation ticketing billing subscription plan coupon discount "
    "wallet ledger balance transfer refund vendor supplier warehouse fleet vehicle route map location geo "
    "weather sensor device firmware network socket packet frame pixel shader texture sprite level player "
    "score match game lobby chat room channel thread inbox feed timeline story note journal wiki blog news "
    "survey poll quiz course lesson student grade exam library catalog store shop market trade portfolio "
    "analytics insight forecast budget expense salary payroll employee candidate interview recruit hr legal "
    "contract policy claim patient doctor clinic appointment prescription lab sample genome protein dataset "
    "training inference embedding vector tensor notebook experiment"
)
ADJS = _w(
    "new old legacy fast slow async sync local remote public private internal external primary secondary raw "
    "clean final draft temp daily weekly monthly nightly stable beta alpha next main base simple custom "
    "default global shared mobile web desktop admin guest live staging prod dev test mini micro mega smart "
    "open secure safe quick lazy dark light red blue green gold silver"
)
VERBS = _w(
    "add fix update remove refactor rename move split merge handle support improve optimize simplify clean "
    "drop bump upgrade downgrade revert implement introduce extract inline cache validate sanitize parse "
    "format log retry debounce throttle paginate sort filter export import migrate seed document test mock "
    "configure enable disable deprecate replace rewrite restore reset rework tune harden"
)
FIRST = _w(
    "alice bob carol dave erin frank grace heidi ivan judy mallory niaj olivia peggy rupert sybil trent victor "
    "walter anna ben chloe dan emma felix hana igor jana kai lena max nora oscar paula quinn rosa sam tara umar "
    "vera will xena yuki zoe ahmed bea chen diego elif fatima goran hiro ines jonas kenji lucia mehmet nadia "
    "omar priya raj sofia tomas ursula vikram wei yara zaid amara bruno camila dmitri esra farid gia hugo ida "
    "joao kofi lars maya nikos oren pablo rania sven tuan uma vlad wanda xavier yusuf zara"
)
LAST = _w(
    "smith jones garcia miller davis lopez wilson anderson thomas taylor moore martin lee perez white harris "
    "clark lewis walker hall young king wright scott green baker adams nelson hill campbell mitchell roberts "
    "carter phillips evans turner torres parker collins edwards stewart morris murphy cook rogers morgan "
    "cooper peterson bailey reed kelly howard cox ward richardson wood watson brooks bennett gray james hughes "
    "price sanders patel kim nguyen chen wang singh kumar mueller schmidt novak kowalski rossi silva santos "
    "tanaka sato suzuki ivanov petrov haddad nasser okafor mensah"
)
SCIENTISTS = _w(
    "turing hopper lovelace curie darwin einstein feynman noether tesla newton galileo kepler hawking bohr "
    "pasteur ritchie thompson knuth dijkstra lamport liskov hamilton shannon babbage boole euler gauss "
    "ramanujan franklin meitner goodall mirzakhani wozniak torvalds"
)
DOCKER_ADJS = _w(
    "admiring agitated amazing angry awesome blissful bold boring brave busy charming clever cool compassionate "
    "competent condescending confident cranky crazy dazzling determined distracted dreamy eager ecstatic "
    "elastic elated elegant eloquent epic exciting fervent festive flamboyant focused friendly frosty funny "
    "gallant gifted goofy gracious great happy hardcore heuristic hopeful hungry infallible inspiring intelligent "
    "interesting jolly jovial keen kind laughing loving lucid magical modest musing mystifying naughty nervous "
    "nice nifty nostalgic objective optimistic peaceful pedantic pensive practical priceless quirky quizzical "
    "recursing relaxed reverent romantic sad serene sharp silly sleepy stoic strange stupefied suspicious sweet "
    "tender thirsty trusting unruffled upbeat vibrant vigilant vigorous wizardly wonderful xenodochial youthful "
    "zealous zen"
)
DIRS = _w(
    "src lib app api internal pkg cmd components services utils handlers models tests test spec docs scripts "
    "config configs deploy k8s infra terraform migrations static public assets templates data raw processed "
    "notebooks logs tmp build dist out target bin vendor tools examples fixtures core common shared web "
    "frontend backend server client packages modules plugins charts helm ansible playbooks reports exports "
    "uploads media images fonts styles views routes controllers middleware jobs workers cron db sql schemas "
    "proto generated mocks e2e integration unit benchmarks samples datasets models checkpoints backups archive"
)
ENVS = _w("dev prod staging test qa uat sandbox preview demo local")
TLDS = _w("com io dev org net app cloud co tech ai sh de fr nl eu co.uk com.au")
ORGS = _w(
    "acme globex initech umbrella hooli stark wayne cyberdyne soylent vandelay wonka tyrell aperture "
    "blackmesa dunder piedpiper contoso fabrikam northwind tailspin adventureworks"
)
KNOWN_ORGS = _w(
    "psf rust-lang facebook microsoft google kubernetes vercel hashicorp torvalds apache mozilla docker "
    "pallets django tiangolo denoland nodejs golang sindresorhus tokio-rs"
)
UPPER_KEYS = _w("PROJ JIRA ABC CORE WEB API OPS DATA PAY AUTH INFRA MOB APP SEC PLAT DEV QA UX BE FE")


def _pick(rng: random.Random, *weighted: tuple[float, object]):
    """One of (weight, item) pairs; an item that is callable is called with `rng`."""
    r, acc = rng.random() * sum(w for w, _ in weighted), 0.0
    for w, item in weighted:
        acc += w
        if r < acc:
            return item(rng) if callable(item) else item
    item = weighted[-1][1]
    return item(rng) if callable(item) else item


def _words(rng: random.Random, lo: int = 1, hi: int = 3) -> list[str]:
    n = lo if lo == hi else min(hi, max(lo, rng.choice((1, 2, 2, 3))))
    first = [rng.choice(ADJS if rng.random() < 0.3 else NOUNS)] if n > 1 else []
    return first + [rng.choice(NOUNS) for _ in range(n - len(first))]


def _case(parts: list[str], style: str) -> str:
    if style == "snake":
        return "_".join(parts)
    if style == "kebab":
        return "-".join(parts)
    if style == "camel":
        return parts[0] + "".join(p.capitalize() for p in parts[1:])
    if style == "pascal":
        return "".join(p.capitalize() for p in parts)
    if style == "upper":
        return "_".join(parts).upper()
    return "".join(parts)


def _date(rng: random.Random, sep: str = "-") -> str:
    return f"{rng.randint(2019, 2026)}{sep}{rng.randint(1, 12):02d}{sep}{rng.randint(1, 28):02d}"


def _semver(rng: random.Random) -> str:
    return f"{rng.choice((0, 1, 1, 2, 2, 3, 4, 5, 7, 10, 12))}.{rng.randint(0, 24)}.{rng.randint(0, 30)}"


def _hex(rng: random.Random, n: int, alphabet: str = "0123456789abcdef") -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def _suffix(rng: random.Random, sep: str) -> str:
    return _pick(
        rng,
        (0.78, ""),
        (0.05, lambda r: f"{sep}{_date(r, '-' if sep != '_' else '_')}"),
        (0.05, lambda r: f"{sep}v{r.randint(1, 5)}"),
        (0.04, lambda r: str(r.randint(1, 99))),
        (0.04, lambda r: f"{sep}{r.randint(2019, 2026)}"),
        (0.04, lambda r: sep + r.choice(("old", "new", "final", "backup", "copy", "tmp", "test", "draft"))),
    )


def _stem(rng: random.Random, styles: tuple[str, ...], hi: int = 3, tail: bool = False) -> str:
    """1..hi words in one of `styles`; `tail` adds what file names carry (a date, v2, _old) now and then."""
    style = rng.choice(styles)
    name = _case(_words(rng, 1, hi), style)
    if not tail:
        return name
    sep = {"snake": "_", "kebab": "-", "upper": "_"}.get(style, "")
    return name + _suffix(rng, sep or rng.choice("-_"))


# ---- files and folders -------------------------------------------------------------------------------
# extension -> naming styles people use for it
_EXT_STYLES = {
    "py": ("snake", "snake", "lower"),
    "rb": ("snake",),
    "rs": ("snake",),
    "go": ("snake", "lower"),
    "sh": ("kebab", "snake"),
    "sql": ("snake",),
    "js": ("camel", "kebab", "lower"),
    "ts": ("camel", "kebab"),
    "tsx": ("pascal",),
    "jsx": ("pascal",),
    "vue": ("pascal", "kebab"),
    "java": ("pascal",),
    "kt": ("pascal",),
    "cs": ("pascal",),
    "swift": ("pascal",),
}
_EXTS = {
    "code": _w("py py js ts go rs java rb php c cpp h cs kt swift sh sql tsx jsx vue scala lua r dart ex ps1 mjs"),
    "py": ("py",),
    "js": _w("js js mjs ts cjs"),
    "script": _w("sh sh py bash pl rb"),
    "config": _w("yaml yml json toml ini cfg conf env xml properties"),
    "doc": _w("md md txt txt rst pdf docx html adoc odt"),
    "data": _w("csv csv tsv json jsonl xlsx parquet xml ndjson sql"),
    "log": _w("log log log out err txt log.1"),
    "json": ("json",),
    "yaml": _w("yaml yml"),
    "csv": ("csv",),
    "tgz": _w("tar.gz tar.gz tgz"),
    "tar": _w("tar tar.gz tar.xz tar.bz2 tgz"),
    "zip": ("zip",),
    "gpg": _w("gpg asc pgp"),
    "media": _w("pdf png jpg jpeg gif svg webp mp4 mov mp3 wav html docx xlsx pptx"),
    "bin": _w("iso img deb rpm exe msi dmg jar whl bin zip tar.gz AppImage"),
}
_KNOWN_FILES = {
    "code": _w("main.py app.py index.js server.js main.go main.rs App.tsx utils.py manage.py setup.py lib.rs"),
    "config": _w(
        "docker-compose.yml .env .env.local package.json tsconfig.json pyproject.toml Cargo.toml .gitignore "
        "nginx.conf settings.json config.yaml values.yaml .eslintrc.json webpack.config.js vite.config.ts"
    ),
    "doc": _w("README.md CHANGELOG.md LICENSE CONTRIBUTING.md notes.txt TODO.md README.rst"),
    "plain": _w("Makefile Dockerfile Procfile Jenkinsfile Vagrantfile Gemfile Dockerfile.dev Caddyfile"),
    "log": _w("error.log access.log app.log syslog debug.log nohup.out"),
    "yaml": _w("deployment.yaml service.yaml ingress.yaml values.yaml kustomization.yaml"),
    "json": _w("package.json composer.json tsconfig.json manifest.json"),
}
# (weight, kinds) of a file when the command says nothing about it
_ANY_FILE = (
    (0.3, "code"),
    (0.16, "config"),
    (0.16, "doc"),
    (0.16, "data"),
    (0.1, "log"),
    (0.06, "media"),
    (0.06, "tar"),
)
_TEXT_FILE = ((0.3, "doc"), (0.25, "log"), (0.25, "data"), (0.2, "config"))
_REPO_FILE = ((0.5, "code"), (0.25, "config"), (0.25, "doc"))
_DOWNLOAD = ((0.35, "tgz"), (0.2, "zip"), (0.2, "json"), (0.15, "script"), (0.1, "bin"))


def _file_name(rng: random.Random, kind: str) -> str:
    mix = {"any": _ANY_FILE, "text": _TEXT_FILE, "repo": _REPO_FILE, "download": _DOWNLOAD}.get(kind)
    if mix:
        kind = _pick(rng, *mix)
    known = _KNOWN_FILES.get(kind)
    if known and rng.random() < 0.12:
        return rng.choice(known)
    if kind in ("code", "config") and rng.random() < 0.03:
        return rng.choice(_KNOWN_FILES["plain"])
    ext = rng.choice(_EXTS[kind])
    if kind == "media" and ext in ("png", "jpg", "jpeg") and rng.random() < 0.3:
        return (
            rng.choice(("IMG_", "Screenshot_", "photo-", "scan_"))
            + _date(rng, "")
            + f"_{rng.randint(0, 2359):04d}.{ext}"
        )
    if kind in ("bin", "tgz", "tar", "zip") and rng.random() < 0.5:
        plat = rng.choice(("linux-amd64", "linux-arm64", "darwin-arm64", "x86_64", "windows-x64", "amd64", "src"))
        return f"{_stem(rng, ('kebab', 'lower'), 2).lower()}-{_semver(rng)}-{plat}.{ext}"
    if kind == "script" and rng.random() < 0.15:
        return _stem(rng, ("kebab", "snake"), 3, tail=True)  # an executable without an extension
    styles = _EXT_STYLES.get(ext, ("snake", "kebab", "lower", "camel", "pascal"))
    if kind == "doc" and rng.random() < 0.15:
        styles = ("upper",)
    return f"{_stem(rng, styles, tail=True)}.{ext}"


def _dir_name(rng: random.Random, pascal: bool = False) -> str:
    if rng.random() < 0.35:
        name = rng.choice(DIRS)
        return name.capitalize() if pascal and rng.random() < 0.5 else name
    styles = ("pascal", "kebab", "lower") if pascal else ("kebab", "kebab", "snake", "lower", "camel")
    return _stem(rng, styles, 2, tail=rng.random() < 0.3)


def _nested(rng: random.Random, leaf: str, sep: str, pascal: bool = False, hi: int = 3) -> str:
    parts = [_dir_name(rng, pascal) for _ in range(rng.randint(1, hi))]
    return sep.join([*parts, leaf])


_POSIX_ROOTS = {
    "log": ("/var/log", "/var/log/nginx", "/var/log/{app}", "/opt/{app}/logs", "/tmp", "/srv/{app}/log"),
    "config": ("/etc", "/etc/{app}", "/etc/nginx/sites-available", "/opt/{app}/config", "/usr/local/etc"),
    "": ("/opt/{app}", "/srv/{app}", "/tmp", "/home/{user}", "/home/{user}/{dir}", "/data", "/mnt/data",
         "/var/www/{app}", "/var/lib/{app}", "/usr/local/share/{app}", "/Users/{user}/{dir}"),
}  # fmt: skip
_HOME_ROOTS = ("projects", "code", "work", "dev", "src", "repos", "git", "Documents", "Downloads", "Desktop", "tmp")
_WIN_ROOTS = (
    "C:\\Users\\{User}\\Documents",
    "C:\\Users\\{User}\\Downloads",
    "C:\\Users\\{User}\\Desktop",
    "C:\\Users\\{User}\\source\\repos",
    "C:\\projects",
    "C:\\dev",
    "C:\\temp",
    "C:\\data",
    "D:\\data",
    "D:\\projects",
    "D:\\backup",
    "E:\\",
    "C:\\inetpub\\wwwroot",
    "C:\\ProgramData\\{App}",
    "C:\\tools",
)


def _root(template: str, rng: random.Random) -> str:
    app = _stem(rng, ("kebab", "lower"), 2)
    user = _user_name(rng)
    return template.format(
        app=app, App=app.replace("-", " ").title().replace(" ", ""), user=user, User=user.capitalize(), dir=rng.choice(_HOME_ROOTS)  # noqa: E501
    )  # fmt: skip


def _path(rng: random.Random, leaf: str, where: Where, form: str, kind: str = "") -> str:
    """`leaf` (a file or folder name) placed somewhere a user would have it, as `form` allows."""
    if form == "bare":
        return leaf
    if where.windows:
        if form == "rel":
            return leaf if rng.random() < 0.5 else _nested(rng, leaf, "\\", True, 2)
        r = rng.random()
        if r < 0.45:
            return leaf
        if r < 0.72:
            return _nested(rng, leaf, "\\", True, 2)
        if r < 0.8:
            return ".\\" + (leaf if rng.random() < 0.6 else _nested(rng, leaf, "\\", True, 1))
        return _root(rng.choice(_WIN_ROOTS), rng).rstrip("\\") + "\\" + leaf
    if where.portable or form == "rel":
        return leaf if rng.random() < 0.55 else _nested(rng, leaf, "/", False, 2 if where.portable else 3)
    r = rng.random()
    if r < 0.45:
        return leaf
    if r < 0.73:
        return _nested(rng, leaf, "/")
    if r < 0.8:
        return rng.choice(("./", "../", "../../")) + (leaf if rng.random() < 0.6 else _nested(rng, leaf, "/", hi=2))
    if r < 0.89:
        home = "~/" + rng.choice(_HOME_ROOTS)
        return home + "/" + (leaf if rng.random() < 0.4 else _nested(rng, leaf, "/", hi=2))
    roots = _POSIX_ROOTS.get(kind, _POSIX_ROOTS[""])
    return _root(rng.choice(roots), rng) + "/" + leaf


def _file(rng: random.Random, spec: Spec, where: Where) -> str:
    kind = spec.kind or "any"
    form = "rel" if kind == "repo" and spec.form == "any" else spec.form
    root_kind = {"log": "log", "config": "config", "yaml": "config"}.get(kind, "")
    return _path(rng, _file_name(rng, kind), where, form, root_kind)


def _dir(rng: random.Random, spec: Spec, where: Where) -> str:
    kind = spec.kind
    if kind == "env":  # conda environments
        return _pick(
            rng,
            (0.3, lambda r: f"py{r.choice((38, 39, 310, 311, 312, 313))}" + r.choice(("", "-" + r.choice(NOUNS)))),
            (0.7, lambda r: _stem(r, ("kebab", "snake", "lower"), 2) + r.choice(("", "", "-env", "_env", "-dev"))),
        )
    if kind == "session":  # tmux sessions
        return _pick(rng, (0.2, lambda r: r.choice(("main", "work", "dev", "logs", "build"))), (0.8, lambda r: _stem(r, ("kebab", "lower", "snake"), 2)))  # fmt: skip  # noqa: E501
    if kind == "gomodule":
        name = _stem(rng, ("kebab", "lower"), 2)
        return _pick(
            rng,
            (0.6, lambda r: f"github.com/{_org(r)}/{name}"),
            (0.2, lambda r: f"{_domain(r)}/{name}"),
            (0.2, name),
        )
    if kind == "app":  # create-react-app: lowercase names only
        return _stem(rng, ("kebab", "lower"), 3).lower()
    if kind == "project":
        leaf = _stem(rng, ("pascal",) if where.windows else ("kebab", "snake", "lower"), 2)
        return _path(rng, leaf, where, "rel")
    pascal = where.windows
    form = "rel" if kind == "pkgdir" and spec.form == "any" else spec.form
    return _path(rng, _dir_name(rng, pascal), where, form)


# ---- version control ---------------------------------------------------------------------------------
_BRANCH_TYPES = _w("feature feature feat fix fix bugfix hotfix chore docs refactor test perf ci build")
_KNOWN_BRANCHES = _w("main main master develop dev staging production release next gh-pages trunk")


def _slug(rng: random.Random, lo: int = 2, hi: int = 5) -> str:
    n = rng.randint(lo, hi)
    return "-".join([rng.choice(VERBS)] + [rng.choice(NOUNS if i else NOUNS + ADJS) for i in range(n - 1)])


def _branch(rng: random.Random, spec: Spec, where: Where) -> str:
    return _pick(
        rng,
        (0.1, lambda r: r.choice(_KNOWN_BRANCHES)),
        (0.32, lambda r: f"{r.choice(_BRANCH_TYPES)}/{_slug(r)}"),
        (
            0.18,
            lambda r: (
                f"{r.choice(_BRANCH_TYPES)}/{r.choice(UPPER_KEYS)}-{r.randint(1, 9999)}"
                + r.choice(("", "-" + _slug(r, 1, 4)))
            ),
        ),
        (
            0.08,
            lambda r: (
                r.choice(("release/", "release-", "hotfix/", "rc/"))
                + r.choice((_semver(r), _semver(r).rsplit(".", 1)[0]))
            ),
        ),
        (0.1, lambda r: f"{_user_name(r)}/{_slug(r, 1, 4)}"),
        (
            0.05,
            lambda r: (
                f"dependabot/{r.choice(('npm_and_yarn', 'pip', 'github_actions', 'cargo', 'go_modules'))}/{_npm(r, Spec('', 'any'), where).lstrip('@').replace('/', '-')}-{_semver(r)}"  # noqa: E501
            ),
        ),
        (
            0.03,
            lambda r: f"renovate/{_npm(r, Spec('', 'any'), where).lstrip('@').replace('/', '-')}-{r.randint(1, 20)}.x",
        ),
        (0.09, lambda r: _slug(r, 2, 4) if r.random() < 0.7 else _slug(r, 2, 4).replace("-", "_")),
        (0.05, lambda r: r.choice(("issue-", "gh-", "bug-", "ticket-")) + str(r.randint(1, 9999))),
    )


def _msg(rng: random.Random, spec: Spec, where: Where) -> str:
    def body(r: random.Random) -> str:
        verb, obj = r.choice(VERBS), " ".join(_words(r, 1, 2))
        tail = r.choice(("", "", "", f" in {r.choice(NOUNS)}", f" for {r.choice(NOUNS)} {r.choice(NOUNS)}",
                         f" on {r.choice(NOUNS)} page", f" to {r.choice(NOUNS)} service", " when empty", " on startup"))  # fmt: skip  # noqa: E501
        return f"{verb} {obj}{tail}"

    while True:
        text = _pick(
            rng,
            (
                0.3,
                lambda r: (
                    f"{r.choice(('feat', 'fix', 'chore', 'docs', 'refactor', 'test', 'perf', 'ci', 'build'))}"
                    + r.choice(("", f"({r.choice(NOUNS)})"))
                    + f": {body(r)}"
                ),
            ),  # fmt: skip
            (0.32, lambda r: body(r).capitalize()),
            (0.16, body),
            (0.08, lambda r: body(r).capitalize() + f" (#{r.randint(1, 9999)})"),
            (0.06, lambda r: f"Bump {_pypi(r, Spec('', 'any'), where).lower()} from {_bump(r)}"),
            (
                0.08,
                lambda r: r.choice(
                    (
                        "wip",
                        "typo",
                        "cleanup",
                        "fixup",
                        "WIP",
                        "tests",
                        "lint",
                        "format",
                        "initial commit",
                        "Initial commit",
                        "fix tests",
                        "fix build",
                        "address review comments",
                    )
                ),
            ),
        )
        if spec.kind != "spaced" or " " in text:
            return text


def _bump(rng: random.Random) -> str:
    major, minor, patch = (int(x) for x in _semver(rng).split("."))
    new = rng.choice(((major + 1, 0, 0), (major, minor + 1, 0), (major, minor, patch + rng.randint(1, 3))))
    return f"{major}.{minor}.{patch} to {'.'.join(map(str, new))}"


def _tag(rng: random.Random, spec: Spec, where: Where) -> str:
    return _pick(
        rng,
        (0.45, lambda r: "v" + _semver(r)),
        (0.2, _semver),
        (0.1, lambda r: f"v{_semver(r)}-{r.choice(('rc', 'beta', 'alpha'))}.{r.randint(1, 9)}"),
        (0.1, lambda r: f"v{r.randint(0, 9)}.{r.randint(0, 30)}"),
        (0.08, lambda r: f"release-{_date(r, '.')}"),
        (0.07, lambda r: f"{_stem(r, ('kebab', 'lower'), 1)}@{_semver(r)}"),
    )


def _repo(rng: random.Random, spec: Spec, where: Where) -> str:
    org, name = _org(rng), _repo_name(rng)
    if spec.kind == "gh":
        return f"{org}/{name}" if rng.random() < 0.6 else f"https://github.com/{org}/{name}"
    return _pick(
        rng,
        (0.34, f"https://github.com/{org}/{name}.git"),
        (0.3, f"git@github.com:{org}/{name}.git"),
        (0.09, f"https://github.com/{org}/{name}"),
        (0.1, lambda r: f"https://gitlab.com/{org}/{r.choice(('', _stem(r, ('kebab',), 1) + '/'))}{name}.git"),
        (0.07, lambda r: f"git@gitlab.{_domain(r)}:{_stem(r, ('kebab', 'lower'), 1)}/{name}.git"),
        (0.05, f"https://bitbucket.org/{org}/{name}.git"),
        (0.05, lambda r: f"ssh://git@git.{_domain(r)}:{r.choice((22, 2222, 7999))}/{org}/{name}.git"),
    )


def _repo_name(rng: random.Random) -> str:
    return _pick(
        rng,
        (0.6, lambda r: _stem(r, ("kebab", "kebab", "lower", "snake"), 3)),
        (
            0.15,
            lambda r: (
                _stem(r, ("kebab", "lower"), 2)
                + r.choice(("-api", "-service", "-cli", ".js", "-rs", "-go", "-infra", "-docs"))
            ),
        ),
        (0.15, lambda r: r.choice(NOUNS) + r.choice(("", "s", "ly", "ify", "hub", "kit", "box"))),
        (
            0.1,
            lambda r: r.choice(
                ("dotfiles", "homelab", "infra", "monorepo", "website", "blog", "notes", "terraform-modules")
            ),
        ),
    )


def _org(rng: random.Random) -> str:
    return _pick(
        rng,
        (0.3, lambda r: _user_name(r).replace("_", "-")),
        (0.25, lambda r: r.choice(ORGS) + r.choice(("", "-corp", "-inc", "-labs", "-io", "-dev", "hq", "-oss"))),
        (0.3, lambda r: _stem(r, ("kebab", "lower"), 2) + r.choice(("", "", "-labs", "-team", "-org"))),
        (0.15, lambda r: r.choice(KNOWN_ORGS)),
    )


# ---- people, hosts, network --------------------------------------------------------------------------
_SYSTEM_USERS = _w("root admin ubuntu ec2-user deploy git postgres www-data pi jenkins ansible centos debian vagrant")


def _user_name(rng: random.Random) -> str:
    f, last = rng.choice(FIRST), rng.choice(LAST)
    return _pick(
        rng,
        (0.3, f),
        (0.15, f + last[0]),
        (0.2, f[0] + last),
        (0.1, f"{f}_{last}"),
        (0.1, f"{f}-{last}"),
        (0.1, lambda r: f + str(r.randint(1, 99))),
        (0.05, f + last),
    )


def _user(rng: random.Random, spec: Spec, where: Where) -> str:
    return _pick(
        rng,
        (0.2, lambda r: r.choice(_SYSTEM_USERS)),
        (0.72, _user_name),
        (0.08, lambda r: r.choice(("svc-", "ci-", "bot-", "app-")) + r.choice(NOUNS)),
    )


def _domain(rng: random.Random) -> str:
    return _pick(
        rng,
        (0.15, lambda r: r.choice(("example.com", "example.org", "example.net"))),
        (0.65, lambda r: _stem(r, ("lower", "kebab"), 2).lower().replace("_", "-") + "." + r.choice(TLDS)),
        (0.2, lambda r: r.choice(ORGS) + r.choice(("", "corp", "-inc", "labs")) + "." + r.choice(TLDS)),
    )


def _ip(rng: random.Random) -> str:
    return _pick(
        rng,
        (0.35, lambda r: f"10.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}"),
        (0.3, lambda r: f"192.168.{r.randint(0, 20)}.{r.randint(1, 254)}"),
        (0.15, lambda r: f"172.{r.randint(16, 31)}.{r.randint(0, 255)}.{r.randint(1, 254)}"),
        (
            0.2,
            lambda r: (
                f"{r.choice((3, 13, 18, 34, 35, 44, 52, 54, 63, 81, 95, 104, 128, 142, 151, 178, 185, 203))}"
                f".{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}"
            ),
        ),  # fmt: skip
    )


def _hostname(rng: random.Random) -> str:
    role = rng.choice(("web", "db", "api", "app", "cache", "worker", "build", "ci", "bastion", "gw", "lb", "mail",
                       "vpn", "k8s-node", "runner", "nas", "dev", "prod", "staging", "jump", "kafka", "es"))  # fmt: skip  # noqa: E501
    return _pick(
        rng,
        (0.4, lambda r: f"{role}{r.choice(('', '-', '0'))}{r.randint(1, 40):02d}"),
        (0.2, lambda r: f"{role}-{r.choice(ENVS)}-{r.randint(1, 9)}"),
        (
            0.2,
            lambda r: (
                f"{role}{r.randint(1, 9)}.{r.choice(ENVS + ('eu-west-1', 'us-east-1', 'internal', 'lan', 'corp'))}.{_domain(r)}"  # noqa: E501
            ),
        ),
        (0.1, lambda r: _stem(r, ("kebab", "lower"), 2).lower().replace("_", "-") + ".local"),
        (0.1, lambda r: f"{role}.{_domain(r)}"),
    )


def _host(rng: random.Random, spec: Spec, where: Where) -> str:
    if spec.kind == "dns":
        return _pick(
            rng,
            (0.55, _domain),
            (0.3, lambda r: f"{r.choice(('www', 'api', 'mail', 'cdn', 'app', 'auth', 'docs', 'status'))}.{_domain(r)}"),
            (
                0.15,
                lambda r: r.choice(
                    (
                        "github.com",
                        "google.com",
                        "cloudflare.com",
                        "example.com",
                        "wikipedia.org",
                        "pypi.org",
                        "registry.npmjs.org",
                    )
                ),
            ),
        )
    return _pick(
        rng,
        (0.3, _domain),
        (0.25, _hostname),
        (0.3, _ip),
        (0.15, lambda r: r.choice(("localhost", "8.8.8.8", "1.1.1.1", "github.com", "google.com", "127.0.0.1"))),
    )


def _server(rng: random.Random, spec: Spec, where: Where) -> str:
    return _pick(
        rng,
        (0.45, _hostname),
        (0.3, _ip),
        (0.15, _domain),
        (
            0.05,
            lambda r: (
                f"ec2-{r.randint(3, 54)}-{r.randint(0, 255)}-{r.randint(0, 255)}-{r.randint(1, 254)}.compute-1.amazonaws.com"  # noqa: E501
            ),
        ),
        (0.05, lambda r: r.choice(("raspberrypi.local", "nas.local", "homeserver", "pi.local", "devbox"))),
    )


_PORTS = _w(
    "80 443 3000 3001 4000 4200 5000 5173 5432 6379 8000 8080 8081 8443 8888 9000 9090 9200 27017 3306 5672 "
    "2222 1433 11211 8008 7000 9229 6443 2375 1883 5601 15672 9092 8983 8500 4040"
)


def _port(rng: random.Random, spec: Spec, where: Where) -> str:
    return rng.choice(_PORTS) if rng.random() < 0.35 else str(rng.randint(1024, 65535))


def _n(rng: random.Random, spec: Spec, where: Where) -> str:
    if spec.kind == "pr":
        return str(int(10 ** rng.uniform(0.5, 4.2)))
    if spec.kind == "small":
        return str(_pick(rng, (0.7, lambda r: r.randint(1, 12)), (0.3, lambda r: r.randint(13, 64))))
    return str(
        _pick(
            rng,
            (0.55, lambda r: r.randint(1, 20)),
            (0.3, lambda r: r.randint(21, 200)),
            (0.15, lambda r: r.randint(201, 5000)),
        )
    )


def _pid(rng: random.Random, spec: Spec, where: Where) -> str:
    return str(int(10 ** rng.uniform(2.4, 6.5)))


def _url(rng: random.Random, spec: Spec, where: Where) -> str:
    kind = spec.kind or "page"
    if kind == "file":
        name = _file_name(rng, "download")
        return _pick(
            rng,
            (0.3, lambda r: f"https://github.com/{_org(r)}/{_repo_name(r)}/releases/download/v{_semver(r)}/{name}"),
            (
                0.3,
                lambda r: (
                    f"https://{r.choice(('', 'downloads.', 'dl.', 'cdn.', 'static.', 'files.'))}{_domain(r)}/{_nested(r, name, '/', hi=2)}"  # noqa: E501
                ),
            ),
            (0.15, lambda r: f"https://{_bucket(r, spec, where)}.s3.amazonaws.com/{_nested(r, name, '/', hi=2)}"),
            (0.15, lambda r: f"https://raw.githubusercontent.com/{_org(r)}/{_repo_name(r)}/main/{name}"),
            (0.1, lambda r: f"http://{_ip(r)}:{_port(r, spec, where)}/{name}"),
        )
    if kind == "script":
        return _pick(
            rng,
            (
                0.4,
                lambda r: (
                    f"https://{r.choice(('', 'get.', 'sh.', 'install.'))}{_domain(r)}/{r.choice(('install.sh', 'install', 'setup.sh', 'get.sh', 'bootstrap.sh'))}"  # noqa: E501
                ),
            ),
            (
                0.4,
                lambda r: (
                    f"https://raw.githubusercontent.com/{_org(r)}/{_repo_name(r)}/{r.choice(('main', 'master', 'HEAD', 'v' + _semver(r)))}/{r.choice(('install.sh', 'scripts/install.sh', 'setup.sh'))}"  # noqa: E501
                ),
            ),
            (0.2, lambda r: f"https://get.{_domain(r)}"),
        )
    resource = "/".join(_words(rng, 1, 2))

    def api(r: random.Random) -> str:
        path = f"{r.choice(('api/', 'api/v1/', 'v1/', 'v2/', 'api/v2/', ''))}{rng.choice(NOUNS)}s"
        tail = r.choice(("", "", f"/{r.randint(1, 99999)}", f"/{_hex(r, 8)}", "/" + r.choice(NOUNS)))
        return path + tail

    base = _pick(
        rng,
        (0.35, lambda r: f"https://api.{_domain(r)}"),
        (0.2, lambda r: f"http://localhost:{_port(r, spec, where)}"),
        (0.15, lambda r: f"http://{_ip(r)}:{_port(r, spec, where)}"),
        (0.3, lambda r: f"https://{r.choice(('', 'www.', 'app.', 'staging.', 'dev.'))}{_domain(r)}"),
    )
    if kind == "api":
        return (
            f"{base}/{api(rng)}"
            if rng.random() < 0.85
            else f"{base}/{rng.choice(('health', 'healthz', 'status', 'metrics', 'version'))}"
        )
    return _pick(
        rng,
        (0.3, base),
        (0.3, f"{base}/{resource}"),
        (0.25, lambda r: f"{base}/{api(r)}"),
        (0.15, lambda r: f"{base}/{r.choice(('health', 'docs', 'login', 'index.html', 'robots.txt', 'sitemap.xml'))}"),
    )


def _bucket(rng: random.Random, spec: Spec, where: Where) -> str:
    return _bucket_name(rng).replace("_", "-")


def _bucket_name(rng: random.Random) -> str:
    return _pick(
        rng,
        (
            0.5,
            lambda r: (
                f"{_stem(r, ('kebab',), 1)}-{_stem(r, ('kebab',), 2)}".lower() + r.choice(("", "-" + r.choice(ENVS)))
            ),
        ),
        (
            0.25,
            lambda r: (
                f"{r.choice(ORGS)}-{r.choice(NOUNS)}-{r.choice(ENVS)}"
                + r.choice(("", "-us-east-1", "-eu-west-1", "-" + str(r.randint(2019, 2026))))
            ),
        ),
        (
            0.15,
            lambda r: (
                f"{r.choice(NOUNS)}-{r.choice(('logs', 'backups', 'assets', 'artifacts', 'uploads', 'exports', 'data-lake', 'tfstate'))}"  # noqa: E501
                + r.choice(("", "-" + str(r.randint(100000, 999999))))
            ),
        ),
        (0.1, lambda r: f"{r.choice(NOUNS)}.{_domain(r)}"),
    )


# ---- containers and clusters -------------------------------------------------------------------------
_IMAGES = (
    ("nginx", ("1.25", "1.25-alpine", "1.27", "stable", "alpine", "latest", "mainline")),
    ("postgres", ("16", "15", "16-alpine", "14.11", "13", "latest")),
    ("redis", ("7", "7.2", "7-alpine", "6.2", "latest")),
    ("python", ("3.12-slim", "3.11", "3.12", "3.13-alpine", "3.10-bullseye", "3.11-slim-bookworm")),
    ("node", ("20", "20-alpine", "18-bullseye", "22-slim", "lts", "21")),
    ("ubuntu", ("22.04", "24.04", "20.04", "jammy", "noble", "latest")),
    ("alpine", ("3.19", "3.20", "3.18", "latest", "edge")),
    ("debian", ("bookworm", "bookworm-slim", "12", "bullseye")),
    ("golang", ("1.22", "1.21-alpine", "1.23", "1.22-bookworm")),
    ("rust", ("1.77", "1.79-slim", "latest", "1-alpine")),
    ("mysql", ("8.0", "8.4", "5.7")),
    ("mongo", ("7", "6.0", "latest")),
    ("httpd", ("2.4", "2.4-alpine")),
    ("busybox", ("latest", "1.36", "stable")),
    ("traefik", ("v2.11", "v3.0")),
    ("grafana/grafana", ("10.4.1", "11.0.0", "latest")),
    ("prom/prometheus", ("v2.51.0", "latest")),
    ("hashicorp/terraform", ("1.8", "latest")),
    ("bitnami/kafka", ("3.7", "latest")),
    ("rabbitmq", ("3-management", "3.13")),
    ("mcr.microsoft.com/dotnet/sdk", ("8.0", "7.0")),
    ("openjdk", ("17", "21-jdk-slim")),
    ("eclipse-temurin", ("21-jre", "17-jdk")),
)


def _image_tag(rng: random.Random) -> str:
    return _pick(
        rng,
        (0.35, _semver),
        (0.15, lambda r: "v" + _semver(r)),
        (0.15, "latest"),
        (0.1, lambda r: r.choice(ENVS + ("edge", "nightly", "main"))),
        (0.1, lambda r: "sha-" + _hex(r, 7)),
        (0.08, lambda r: _date(r, "")),
        (0.07, lambda r: f"{_semver(r)}-{r.choice(('alpine', 'slim', 'amd64', 'arm64', 'debug'))}"),
    )


def _image(rng: random.Random, spec: Spec, where: Where) -> str:
    name = _stem(rng, ("kebab", "lower"), 2).lower()

    def known(r: random.Random) -> str:
        base, tags = r.choice(_IMAGES)
        return base if r.random() < 0.25 else f"{base}:{r.choice(tags)}"

    return _pick(
        rng,
        (0.3, known),
        (0.2, lambda r: f"{name}:{_image_tag(r)}" if r.random() < 0.8 else name),
        (0.12, lambda r: f"ghcr.io/{_org(r).lower()}/{name}:{_image_tag(r)}"),
        (0.12, lambda r: f"registry.{_domain(r)}/{_stem(r, ('kebab', 'lower'), 1)}/{name}:{_image_tag(r)}"),
        (
            0.06,
            lambda r: (
                f"{r.randint(10**11, 10**12 - 1)}.dkr.ecr.{r.choice(('us-east-1', 'eu-west-1', 'eu-central-1', 'ap-southeast-2'))}.amazonaws.com/{name}:{_image_tag(r)}"  # noqa: E501
            ),
        ),
        (0.1, lambda r: f"{_user_name(r)}/{name}" + r.choice(("", ":" + _image_tag(r)))),
        (0.05, lambda r: f"registry.gitlab.com/{_org(r).lower()}/{_stem(r, ('kebab',), 1)}/{name}:{_image_tag(r)}"),
        (0.05, lambda r: f"localhost:5000/{name}" + r.choice(("", ":" + _image_tag(r)))),
    )


def _service_name(rng: random.Random) -> str:
    return _pick(
        rng,
        (
            0.25,
            lambda r: r.choice(
                (
                    "api",
                    "web",
                    "worker",
                    "frontend",
                    "backend",
                    "auth",
                    "gateway",
                    "db",
                    "cache",
                    "nginx",
                    "redis",
                    "postgres",
                    "scheduler",
                )
            ),
        ),
        (
            0.5,
            lambda r: (
                _stem(r, ("kebab",), 2).lower()
                + r.choice(("", "", "-api", "-service", "-worker", "-svc", "-web", "-consumer"))
            ),
        ),
        (
            0.25,
            lambda r: f"{r.choice(NOUNS)}-{r.choice(('api', 'worker', 'service', 'ui', 'gateway', 'cron', 'sync'))}",
        ),
    )


def _container(rng: random.Random, spec: Spec, where: Where) -> str:
    return _pick(
        rng,
        (0.25, lambda r: f"{r.choice(DOCKER_ADJS)}_{r.choice(SCIENTISTS)}"),
        (
            0.3,
            lambda r: (
                f"{_stem(r, ('kebab', 'lower'), 1)}{r.choice(('-', '_'))}{_service_name(r)}{r.choice(('-', '_'))}{r.randint(1, 3)}"  # noqa: E501
            ),
        ),
        (0.35, _service_name),
        (0.1, lambda r: f"{_service_name(r)}-{r.choice(ENVS)}"),
    )


def _deploy(rng: random.Random, spec: Spec, where: Where) -> str:
    return _service_name(rng) if rng.random() < 0.8 else f"{_service_name(rng)}-{rng.choice(ENVS)}"


def _pod(rng: random.Random, spec: Spec, where: Where) -> str:
    abc = "bcdfghjklmnpqrstvwxz2456789"
    return _pick(
        rng,
        (0.65, lambda r: f"{_service_name(r)}-{_hex(r, r.choice((9, 10)), abc)}-{_hex(r, 5, abc)}"),
        (0.2, lambda r: f"{_service_name(r)}-{r.randint(0, 5)}"),
        (0.15, lambda r: f"{_service_name(r)}-{r.randint(28000000, 29999999)}-{_hex(r, 5, abc)}"),
    )


def _ns(rng: random.Random, spec: Spec, where: Where) -> str:
    return _pick(
        rng,
        (
            0.25,
            lambda r: r.choice(
                (
                    "default",
                    "kube-system",
                    "monitoring",
                    "ingress-nginx",
                    "cert-manager",
                    "argocd",
                    "istio-system",
                    "logging",
                    "prod",
                    "staging",
                    "dev",
                )
            ),
        ),
        (0.35, lambda r: f"{r.choice(NOUNS)}-{r.choice(ENVS)}"),
        (0.2, lambda r: f"team-{r.choice(NOUNS)}"),
        (0.1, lambda r: f"{r.choice(('pr', 'preview', 'feature', 'review'))}-{r.randint(1, 9999)}"),
        (0.1, lambda r: _stem(r, ("kebab",), 2).lower()),
    )


_SYSTEMD = _w(
    "nginx docker ssh sshd postgresql redis-server cron mysql apache2 containerd kubelet fail2ban ufw "
    "php8.2-fpm grafana-server prometheus node_exporter NetworkManager bluetooth cups avahi-daemon snapd "
    "rsyslog chronyd haproxy elasticsearch mongod rabbitmq-server postgresql@16-main getty@tty1 nftables "
    "systemd-resolved tailscaled wg-quick@wg0 caddy jenkins gitlab-runner"
)
_WIN_SERVICES = _w(
    "Spooler wuauserv W32Time BITS WinRM Dnscache MSSQLSERVER sshd Apache2.4 Tomcat9 W3SVC docker "
    "EventLog Schedule LanmanServer TermService"
)


def _svc(rng: random.Random, spec: Spec, where: Where) -> str:
    if where.windows:
        return _pick(
            rng,
            (0.4, lambda r: r.choice(_WIN_SERVICES)),
            (0.6, lambda r: _case(_words(r, 1, 2), "pascal") + r.choice(("Service", "Svc", "Agent", "Host", ""))),
        )
    return _pick(
        rng,
        (0.35, lambda r: r.choice(_SYSTEMD)),
        (0.45, lambda r: _service_name(r)),
        (0.1, lambda r: f"{r.choice(NOUNS)}d"),
        (0.1, lambda r: f"{_service_name(r)}@{r.choice(('1', '2', 'main', 'blue', 'green', r.choice(ENVS)))}"),
    )


_PROCS = _w(
    "node python python3 java nginx postgres redis-server chrome firefox code dockerd mysqld gunicorn uvicorn "
    "celery php-fpm ruby go cargo npm ssh sshd vim tmux zsh bash slack spotify mongod kubectl terraform "
    "electron webpack vite deno bun rustc gradle dotnet"
)


def _proc(rng: random.Random, spec: Spec, where: Where) -> str:
    if where.windows and rng.random() < 0.3:
        return (
            rng.choice(("Teams", "OUTLOOK", "Code", "chrome", "explorer", "notepad", "msedge", "WINWORD"))
            if rng.random() < 0.4
            else _case(_words(rng, 1, 2), "pascal")
        )
    return _pick(
        rng,
        (0.4, lambda r: r.choice(_PROCS)),
        (0.35, lambda r: _service_name(r)),
        (0.15, lambda r: f"{r.choice(NOUNS)}{r.choice(('d', '-daemon', '_worker', '-agent', 'ctl'))}"),
        (0.1, lambda r: _stem(r, ("snake", "lower"), 2)),
    )


# ---- packages ----------------------------------------------------------------------------------------
_PYPI = _w(
    "requests numpy pandas flask django pytest black fastapi scipy torch rich httpx pydantic matplotlib boto3 "
    "scikit-learn sqlalchemy celery redis psycopg2-binary uvicorn gunicorn jinja2 click typer pillow pyyaml "
    "beautifulsoup4 lxml seaborn jupyter notebook ipython mypy ruff isort flake8 poetry tox nox pre-commit "
    "alembic aiohttp tqdm loguru python-dotenv cryptography paramiko fabric ansible transformers datasets "
    "openai langchain polars pyarrow duckdb streamlit gradio dash plotly networkx sympy numba cython orjson "
    "ujson marshmallow attrs cattrs structlog sentry-sdk prometheus-client grpcio protobuf kafka-python pika"
)
_PYPI_PREFIX = _w("django- flask- pytest- py types- sphinx- mkdocs- aio python- async- fast")
_PYPI_SUFFIX = _w("-client -sdk -utils -tools -cli -api py -lite -core -toolkit -helpers")


def _pypi(rng: random.Random, spec: Spec, where: Where) -> str:
    name = _pick(
        rng,
        (0.35, lambda r: r.choice(_PYPI)),
        (0.25, lambda r: r.choice(_PYPI_PREFIX) + _stem(r, ("kebab", "lower"), 2).lower()),
        (0.25, lambda r: _stem(r, ("kebab", "lower", "snake"), 2).lower() + r.choice(_PYPI_SUFFIX + ("",) * 4)),
        (0.07, lambda r: _case(_words(r, 1, 2), "pascal") + r.choice(("", "", "2", "3", "-Lite"))),
    )
    if spec.kind == "pin" and rng.random() < 0.25:
        return name + rng.choice(("==", "==", "~=")) + _semver(rng)
    if spec.kind == "conda":
        return name.lower()
    return name


_NPM = _w(
    "express react lodash axios typescript eslint prettier vite jest webpack nodemon dotenv chalk vue next "
    "react-dom zod commander yargs moment dayjs uuid cors helmet mongoose sequelize prisma knex pg mysql2 "
    "redis ioredis socket.io ws graphql apollo-server tailwindcss postcss autoprefixer sass esbuild rollup "
    "turbo nx lerna husky lint-staged vitest mocha chai sinon cypress playwright puppeteer storybook "
    "svelte angular rxjs immer zustand redux swr ts-node tsx pm2 concurrently cross-env rimraf serve"
)


def _npm(rng: random.Random, spec: Spec, where: Where) -> str:
    if spec.kind == "gem":
        return _pick(
            rng,
            (
                0.4,
                lambda r: r.choice(
                    _w("rails nokogiri puma sidekiq rspec rubocop devise pry bundler rake jekyll pg redis faraday thor")
                ),
            ),
            (
                0.6,
                lambda r: (
                    _stem(r, ("snake", "kebab", "lower"), 2).lower() + r.choice(("", "", "-rails", "_client", "-ruby"))
                ),
            ),
        )
    if spec.kind == "composer":
        return _pick(
            rng,
            (
                0.4,
                lambda r: r.choice(
                    _w(
                        "laravel/framework guzzlehttp/guzzle symfony/console monolog/monolog phpunit/phpunit doctrine/orm laravel/sanctum spatie/laravel-permission nesbot/carbon vlucas/phpdotenv"  # noqa: E501
                    )
                ),
            ),
            (0.6, lambda r: f"{_org(r).lower()}/{_stem(r, ('kebab',), 2).lower()}"),
        )
    scoped_ok = where.shell != "powershell"  # PowerShell reads a leading @ as splatting
    name = _pick(
        rng,
        (0.35, lambda r: r.choice(_NPM)),
        (
            0.25,
            lambda r: (
                r.choice(
                    (
                        "react-",
                        "vue-",
                        "eslint-plugin-",
                        "vite-plugin-",
                        "babel-plugin-",
                        "gatsby-",
                        "node-",
                        "express-",
                        "next-",
                        "",
                    )
                )
                + _stem(r, ("kebab",), 2).lower()
            ),
        ),
        (
            0.2 if scoped_ok else 0.0,
            lambda r: (
                f"@{r.choice(('types', _org(r).lower(), 'babel', 'nestjs', 'vue', 'aws-sdk', 'testing-library'))}/{_stem(r, ('kebab',), 2).lower()}"  # noqa: E501
            ),
        ),
        (0.2, lambda r: _stem(r, ("kebab", "lower"), 2).lower() + r.choice(("", ".js", "js", "-cli", "-core"))),
    )
    if spec.kind == "at" and rng.random() < 0.15:
        return name + "@" + rng.choice((_semver(rng), "latest", "next", str(rng.randint(1, 20))))
    return name


_CRATES = _w(
    "serde tokio clap rand anyhow regex reqwest ripgrep itertools log serde_json thiserror tracing axum hyper "
    "actix-web sqlx diesel chrono uuid rayon once_cell lazy_static bytes futures async-trait tonic prost "
    "crossbeam parking_lot dashmap bat fd-find cargo-watch cargo-edit wasm-bindgen bevy"
)


def _crate(rng: random.Random, spec: Spec, where: Where) -> str:
    if spec.kind == "gomod":
        mod = _pick(
            rng,
            (
                0.3,
                lambda r: r.choice(
                    _w(
                        "github.com/spf13/cobra github.com/gin-gonic/gin go.uber.org/zap golang.org/x/sync golang.org/x/net github.com/stretchr/testify github.com/google/uuid github.com/gorilla/mux gorm.io/gorm github.com/spf13/viper"  # noqa: E501
                    )
                ),
            ),
            (
                0.55,
                lambda r: (
                    f"github.com/{_org(r).lower()}/{_stem(r, ('kebab', 'lower'), 2).lower()}"
                    + r.choice(("", "", "/v2", "/pkg/" + r.choice(NOUNS)))
                ),
            ),
            (0.15, lambda r: f"{_domain(r)}/{_stem(r, ('kebab', 'lower'), 1).lower()}"),
        )
        return mod + (rng.choice(("@latest", "@v" + _semver(rng))) if rng.random() < 0.2 else "")
    return _pick(
        rng,
        (0.35, lambda r: r.choice(_CRATES)),
        (
            0.3,
            lambda r: (
                r.choice(("tokio-", "serde_", "serde-", "async-", "cargo-", "tower-", "axum-", ""))
                + _stem(r, ("kebab", "snake"), 2).lower()
            ),
        ),
        (
            0.35,
            lambda r: (
                _stem(r, ("kebab", "snake", "lower"), 2).lower()
                + r.choice(("", "", "-rs", "_rs", "-core", "-derive", "-macros"))
            ),
        ),
    )


_BREW = _w(
    "wget jq node python git htop tree ffmpeg gh fzf ripgrep bat fd neovim tmux zsh coreutils gnu-sed awscli "
    "kubectl helm terraform go rust postgresql@16 redis mysql openssl@3 cmake pkg-config imagemagick pandoc "
    "yq watch tldr starship direnv pyenv nvm rbenv k9s"
)


def _brew(rng: random.Random, spec: Spec, where: Where) -> str:
    if spec.kind == "winget":
        return _pick(
            rng,
            (
                0.4,
                lambda r: r.choice(
                    _w(
                        "Git.Git Microsoft.VisualStudioCode Google.Chrome Mozilla.Firefox 7zip.7zip Python.Python.3.12 OpenJS.NodeJS.LTS Docker.DockerDesktop Microsoft.PowerToys Notepad++.Notepad++ VideoLAN.VLC JetBrains.IntelliJIDEA.Community Microsoft.WindowsTerminal GitHub.cli Postman.Postman SlackTechnologies.Slack"  # noqa: E501
                    )
                ),
            ),
            (0.6, lambda r: f"{_case(_words(r, 1, 1), 'pascal')}.{_case(_words(r, 1, 2), 'pascal')}"),
        )
    if spec.kind == "choco":
        return _pick(
            rng,
            (
                0.4,
                lambda r: r.choice(
                    _w(
                        "googlechrome git nodejs-lts python 7zip vscode firefox notepadplusplus docker-desktop putty winscp sysinternals terraform kubernetes-cli"  # noqa: E501
                    )
                ),
            ),
            (0.6, lambda r: _stem(r, ("lower", "kebab"), 2).lower() + r.choice(("", "", ".install", ".portable"))),
        )
    if spec.kind == "snap":
        return _pick(
            rng,
            (
                0.4,
                lambda r: r.choice(
                    _w("code spotify slack postman kubectl microk8s lxd core20 firefox chromium vlc discord")
                ),
            ),
            (0.6, lambda r: _stem(r, ("kebab", "lower"), 2).lower()),
        )
    return _pick(
        rng,
        (0.4, lambda r: r.choice(_BREW)),
        (0.45, lambda r: _stem(r, ("kebab", "lower"), 2).lower() + r.choice(("", "", "-cli", "ctl", "@2"))),
        (0.15, lambda r: f"{_org(r).lower()}/tap/{_stem(r, ('kebab', 'lower'), 1).lower()}"),
    )


_APT = _w(
    "curl git vim htop nginx build-essential python3-pip jq tmux tree ffmpeg unzip zsh docker.io "
    "openssh-server net-tools libssl-dev python3-venv postgresql-client redis-tools default-jdk nodejs "
    "ca-certificates gnupg software-properties-common apt-transport-https wget rsync iproute2 dnsutils "
    "lsof strace gdb valgrind clang cmake pkg-config libffi-dev zlib1g-dev libpq-dev sqlite3 ripgrep fd-find"
)


def _apt(rng: random.Random, spec: Spec, where: Where) -> str:
    word = _stem(rng, ("kebab", "lower"), 2).lower()
    if spec.kind == "rpm":
        return _pick(
            rng,
            (
                0.4,
                lambda r: r.choice(
                    _w(
                        "curl git vim htop nginx gcc make python3-pip jq tmux openssl-devel libffi-devel postgresql-server podman epel-release"  # noqa: E501
                    )
                ),
            ),
            (
                0.6,
                lambda r: (
                    r.choice(("", "python3-", "perl-", "golang-", ""))
                    + word
                    + r.choice(("", "-devel", "-libs", "-tools"))
                ),
            ),
        )
    if spec.kind == "arch":
        return _pick(
            rng,
            (
                0.4,
                lambda r: r.choice(
                    _w("base-devel git vim htop nginx python-pip jq tmux docker neovim firefox linux-headers")
                ),
            ),
            (0.6, lambda r: r.choice(("", "python-", "lib", "ttf-")) + word + r.choice(("", "", "-git", "-bin"))),
        )
    return _pick(
        rng,
        (0.4, lambda r: r.choice(_APT)),
        (0.2, lambda r: f"lib{word}-dev" if r.random() < 0.7 else f"lib{word}{r.randint(0, 9)}"),
        (0.2, lambda r: r.choice(("python3-", "node-", "ruby-", "golang-", "fonts-", "gir1.2-")) + word),
        (0.2, lambda r: word + r.choice(("", "-utils", "-tools", "-common", "-client", "-server", "-doc"))),
    )


# ---- text, names and numbers -------------------------------------------------------------------------
_PATS = _w(
    "TODO FIXME ERROR WARN error warning timeout password import failed 404 500 deprecated localhost Exception "
    "Traceback panic segfault null undefined DEBUG CRITICAL OOMKilled"
)
_PHRASES = (
    "connection refused",
    "permission denied",
    "no such file",
    "out of memory",
    "access denied",
    "not found",
    "failed to connect",
    "timed out",
    "internal server error",
    "disk full",
    "bad gateway",
    "invalid token",
)


def _pat(rng: random.Random, spec: Spec, where: Where) -> str:
    parts = _words(rng, 1, 3)
    return _pick(
        rng,
        (0.2, lambda r: r.choice(_PATS)),
        (0.2, lambda r: _case(parts, r.choice(("camel", "snake", "pascal", "upper")))),
        (0.12, lambda r: f"{r.choice(VERBS)}{_case(parts, 'pascal')}"),
        (0.1, lambda r: _case(parts, "pascal") + r.choice(("Error", "Exception", "Service", "Handler", "Config"))),
        (0.12, lambda r: r.choice(_PHRASES)),
        (0.1, lambda r: " ".join([r.choice(VERBS), *_words(r, 1, 2)])),
        (
            0.08,
            lambda r: r.choice(
                (
                    f"level={r.choice(('error', 'warn', 'fatal', 'debug'))}",
                    f"status={r.randint(400, 599)}",
                    f"user_id={r.randint(1, 99999)}",
                    f"env={r.choice(ENVS)}",
                    f"code={r.randint(100, 599)}",
                )
            ),
        ),  # fmt: skip
        (
            0.08,
            lambda r: (
                r.choice(("^import ", "^from ", "^def ", "^class ", "TODO:", "FIXME:", "^#include ")).strip()
                + r.choice(("", " " + r.choice(NOUNS)))
            ),
        ),
    )


_EXT_LIST = _w(
    "py js ts tsx jsx go rs java kt c cpp h hpp cs rb php swift scala lua r dart ex exs erl hs ml clj sh bash "
    "zsh ps1 bat sql json yaml yml toml ini cfg conf env xml html htm css scss sass less md rst txt csv tsv "
    "jsonl parquet log out err bak tmp swp orig old pyc class o so dll exe jar war whl deb rpm iso img dmg "
    "zip gz tgz bz2 xz 7z rar pdf doc docx xls xlsx ppt pptx odt png jpg jpeg gif svg webp ico bmp tiff mp3 "
    "wav flac ogg mp4 mov avi mkv webm ttf otf woff woff2 pem crt key csr pub gpg asc lock sum mod vue svelte "
    "ipynb pkl npy h5 onnx pt db sqlite proto graphql tf tfvars hcl nix dockerfile mk cmake gradle pom sln "
    "csproj vcxproj plist desktop service timer socket rules patch diff"
)


def _ext(rng: random.Random, spec: Spec, where: Where) -> str:
    return rng.choice(_EXT_LIST)


_KNOWN_VARS = _w(
    "EDITOR NODE_ENV JAVA_HOME GOPATH LANG AWS_PROFILE AWS_REGION KUBECONFIG DOCKER_HOST PYTHONPATH http_proxy "
    "HTTPS_PROXY NO_PROXY PAGER TZ LOG_LEVEL DEBUG PORT DATABASE_URL RUST_LOG RUST_BACKTRACE CUDA_VISIBLE_DEVICES "
    "GITHUB_TOKEN NPM_TOKEN CI VISUAL GOOS GOARCH CC CXX LC_ALL"
)
_VAR_PREFIX = _w("APP MYAPP NEXT_PUBLIC VITE REACT_APP SPRING DJANGO FLASK AWS AZURE GCP GH CI DOCKER K8S")
_VAR_BODY = _w("DB API REDIS CACHE S3 SMTP STRIPE SENTRY AUTH JWT OAUTH POSTGRES MYSQL MONGO KAFKA QUEUE CDN MAIL")
_VAR_TAIL = _w("URL HOST PORT KEY TOKEN SECRET USER PASSWORD DIR PATH TIMEOUT LEVEL ENABLED MODE REGION BUCKET NAME ID")


def _var(rng: random.Random, spec: Spec, where: Where) -> str:
    return _pick(
        rng,
        (0.2, lambda r: r.choice(_KNOWN_VARS)),
        (0.3, lambda r: f"{r.choice(_VAR_BODY)}_{r.choice(_VAR_TAIL)}"),
        (
            0.25,
            lambda r: (
                f"{r.choice(_VAR_PREFIX + tuple(o.upper() for o in ORGS))}_{r.choice(_VAR_BODY + tuple(n.upper() for n in NOUNS[:60]))}_{r.choice(_VAR_TAIL)}"  # noqa: E501
            ),
        ),
        (0.25, lambda r: f"{_case(_words(r, 1, 2), 'upper')}_{r.choice(_VAR_TAIL)}"),
    )


def _val(rng: random.Random, spec: Spec, where: Where) -> str:
    alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    return _pick(
        rng,
        (
            0.18,
            lambda r: r.choice(
                (
                    "production",
                    "development",
                    "staging",
                    "test",
                    "true",
                    "false",
                    "1",
                    "0",
                    "debug",
                    "info",
                    "warn",
                    "vim",
                    "nano",
                    "code",
                    "less",
                    "en_US.UTF-8",
                    "C.UTF-8",
                    "UTC",
                    "Europe/Berlin",
                    "America/New_York",
                )
            ),
        ),
        (0.12, lambda r: str(r.randint(1, 65535))),
        (
            0.15,
            lambda r: (
                _path(r, _dir_name(r), Where("bash", False), "any")
                if not where.windows
                else _path(r, _dir_name(r, True), where, "any")
            ),
        ),
        (0.15, lambda r: _url(r, Spec("api", "any"), where)),
        (
            0.1,
            lambda r: (
                f"{r.choice(('postgres', 'mysql', 'redis', 'mongodb', 'amqp'))}://{_user_name(r)}:{_hex(r, 10, alnum)}@{_hostname(r)}:{r.choice(_PORTS)}/{r.choice(NOUNS)}"  # noqa: E501
            ),
        ),
        (
            0.12,
            lambda r: (
                r.choice(("sk_test_", "sk_live_", "ghp_", "xoxb-", "AKIA", "glpat-", ""))
                + _hex(r, r.choice((20, 24, 32, 36)), alnum)
            ),
        ),
        (0.08, lambda r: r.choice((_hostname, _ip, _domain))(r)),
        (0.1, lambda r: _stem(r, ("kebab", "snake", "lower"), 2)),
    )


def _version(rng: random.Random, spec: Spec, where: Where) -> str:
    if spec.kind == "python":
        minor = rng.randint(8, 13)
        return f"3.{minor}" if rng.random() < 0.6 else f"3.{minor}.{rng.randint(0, 12)}"
    return _pick(
        rng,
        (0.35, lambda r: str(r.randint(14, 23))),
        (0.35, lambda r: f"{r.randint(14, 23)}.{r.randint(0, 20)}.{r.randint(0, 9)}"),
        (0.15, lambda r: f"v{r.randint(14, 23)}.{r.randint(0, 20)}.{r.randint(0, 9)}"),
        (0.15, lambda r: "lts/" + r.choice(("hydrogen", "iron", "jod", "gallium", "fermium", "erbium"))),
    )


def _target(rng: random.Random, spec: Spec, where: Where) -> str:
    return _pick(
        rng,
        (
            0.3,
            lambda r: r.choice(_w("build test clean install lint all release docs fmt check run deploy dist coverage")),
        ),
        (0.45, lambda r: f"{r.choice(VERBS + ('build', 'test', 'run', 'push', 'deploy', 'gen'))}-{r.choice(NOUNS)}"),
        (
            0.15,
            lambda r: (
                f"{r.choice(('build', 'test', 'docker', 'release'))}-{r.choice(('linux', 'darwin', 'windows', 'amd64', 'arm64', 'unit', 'e2e', 'integration'))}"  # noqa: E501
            ),
        ),
        (0.1, lambda r: r.choice(NOUNS)),
    )


def _winpath(rng: random.Random, spec: Spec, where: Where) -> str:
    name = _case(_words(rng, 1, 2), "pascal")
    return _pick(
        rng,
        (0.3, lambda r: f"C:\\tools\\{_stem(r, ('lower', 'kebab'), 1)}\\bin"),
        (0.2, lambda r: f"C:\\Users\\{_user_name(r).capitalize()}\\AppData\\Local\\Programs\\{name}"),
        (0.2, lambda r: f"{r.choice('CD')}:\\SDKs\\{_stem(r, ('lower',), 1)}-{_semver(r)}\\bin"),
        (
            0.15,
            lambda r: r.choice(
                (
                    "C:\\msys64\\usr\\bin",
                    "C:\\Go\\bin",
                    "C:\\flutter\\bin",
                    f"C:\\Python3{r.randint(8, 13)}\\Scripts",
                    "C:\\Tools",
                    "C:\\bin",
                )
            ),
        ),
        (0.15, lambda r: f"C:\\{name}" + r.choice(("", "\\bin", "\\scripts"))),
    )


def _db(rng: random.Random, spec: Spec, where: Where) -> str:
    return _pick(
        rng,
        (0.15, lambda r: r.choice(("app", "users", "shop", "analytics", "test", "blog", "inventory", "crm"))),
        (
            0.4,
            lambda r: (
                f"{_case(_words(r, 1, 2), 'snake')}_{r.choice(('production', 'development', 'test', 'dev', 'prod', 'staging'))}"  # noqa: E501
            ),
        ),
        (0.3, lambda r: _case(_words(r, 1, 2), r.choice(("snake", "lower")))),
        (0.15, lambda r: r.choice(NOUNS) + r.choice(("db", "_db", "data"))),
    )


def _script(rng: random.Random, spec: Spec, where: Where) -> str:
    if spec.kind == "test":  # pytest -k
        return _pick(
            rng,
            (0.5, lambda r: "test_" + _case([r.choice(VERBS), *_words(r, 1, 2)], "snake")),
            (0.3, lambda r: r.choice(NOUNS)),
            (0.2, lambda r: "Test" + _case(_words(r, 1, 2), "pascal")),
        )
    return _pick(
        rng,
        (0.3, lambda r: r.choice(_w("build test start dev lint deploy serve preview typecheck format e2e storybook"))),
        (
            0.4,
            lambda r: (
                f"{r.choice(('build', 'test', 'lint', 'start', 'dev', 'db', 'docs', 'gen', 'e2e'))}:{r.choice(('prod', 'dev', 'unit', 'fix', 'watch', 'migrate', 'seed', 'ci', 'types', 'css', 'api', r.choice(NOUNS)))}"  # noqa: E501
            ),
        ),
        (0.3, lambda r: f"{r.choice(VERBS)}-{r.choice(NOUNS)}"),
    )


def _out(rng: random.Random, spec: Spec, where: Where) -> str:
    name = _file_name(rng, "log")
    return _path(rng, name, where, "any", "log") if rng.random() < 0.6 else name


GENERATORS = {
    "file": _file,
    "dir": _dir,
    "branch": _branch,
    "msg": _msg,
    "image": _image,
    "container": _container,
    "pod": _pod,
    "deploy": _deploy,
    "ns": _ns,
    "svc": _svc,
    "aptpkg": _apt,
    "pypkg": _pypi,
    "npmpkg": _npm,
    "crate": _crate,
    "brewpkg": _brew,
    "host": _host,
    "server": _server,
    "user": _user,
    "port": _port,
    "n": _n,
    "url": _url,
    "repo": _repo,
    "pat": _pat,
    "ext": _ext,
    "proc": _proc,
    "pid": _pid,
    "var": _var,
    "val": _val,
    "tag": _tag,
    "version": _version,
    "bucket": _bucket,
    "target": _target,
    "winpath": _winpath,
    "db": _db,
    "script": _script,
    "out": _out,
}
