"""Quality gates: absolute limits from params `gates:` and regression limits against a released revision.

`python -m cmd_correct gate [--ref REF] [--metrics metrics.json] [--quant-dir models/quant]` prints one table
(metric, value, limit or reference, verdict) and exits 1 on any failure. DVC gates nothing itself
(`dvc metrics diff` exits 0 whatever the numbers), so this module is the gate. The reference is the
repository's newest `cmd-correct@v*` tag (by version, reachable from HEAD or not: a branch cut before the
last release is still compared with it) unless --ref names one; its values come from the real
`dvc metrics diff <ref> --json --all`. Every metric the gate reads, here and in the reference, must be a
finite number in its natural range (METRIC_RANGES), or the gate stops with an error naming file and key.
"""

from __future__ import annotations

import json
import math
import shutil
import struct
import subprocess
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from . import paths
from .contract import SHELLS
from .errors import CmdCorrectError, DataError, DataErrors, GateError, ToolError
from .params import bounded
from .progress import noop_progress

CASES_KEY = "settings.case_ids_sha256"  # metrics.json: the hash of the case ids evaluate scored, in order
TAG_PREFIX = "cmd-correct@v"  # release tags are TAG_PREFIX + a semver version; the gate's reference is one

PASS, FAIL, SKIP = "pass", "FAIL", "skip"
EPS = 1e-9  # float slack: 0.39 - 0.36 is 0.030000000000000027, which is a 0.03 drop


@dataclass
class Regression:
    """Largest allowed change against the reference release (same test split, greedy, so changes are real)."""

    # overall exact match may fall by at most this: 30 of evaluate's 1000 cases (~2 standard errors)
    exact_match_drop_max: float = bounded(0.03, 0, 1)
    # per shell: at 1000 cases tcsh has 33 (one case = 0.03), fish 50
    exact_match_shell_drop_max: float = bounded(0.15, 0, 1)
    # KLD mean may rise by at most this: Q4_K_M measured 0.037; Q3_K_M under its name adds 0.06
    kld_mean_increase_max: float = bounded(0.02, 0, 100)
    ppl_ratio_increase_max: float = bounded(0.03, 0, 100)  # perplexity ratio vs f16 may rise by at most this
    identity_preserved_drop_max: float = bounded(0.03, 0, 1)  # share of valid commands kept may fall by at most this
    # p95 latency may rise by at most this percent (the noisiest metric on shared runners)
    latency_ms_p95_increase_pct_max: float = bounded(50.0, 0, 100_000)


@dataclass
class Params:
    """Thresholds of the `gates:` section; params.yaml explains each chosen value."""

    # metrics.json variants that must pass (the released one: release.quant_type)
    quant_types: list[str] = field(default_factory=lambda: ["Q4_K_M"])
    exact_match_min: float = bounded(0.46, 0, 1)  # overall exact match of each gated variant
    exact_match_by_shell_min: dict[str, float] = bounded(
        {"bash": 0.53, "zsh": 0.47, "powershell": 0.22, "cmd": 0.28, "fish": 0.43, "tcsh": 0.12}, 0, 1
    )  # per shell
    # KLD mean vs f16 per quant type, at most
    kld_mean_max: dict[str, float] = bounded({"Q4_K_M": 0.06, "Q5_K_M": 0.03, "Q8_0": 0.01}, 0, 100)
    # perplexity ratio quant / f16 per quant type, at most
    ppl_ratio_max: dict[str, float] = bounded({"Q4_K_M": 1.05, "Q5_K_M": 1.04, "Q8_0": 1.02}, 0, 100)
    # p95 ms per correction at the evaluate thread count
    latency_ms_p95_max: float = bounded(1500.0, 0, 3_600_000, lo_open=True)
    # valid commands returned unchanged, at least (fix: "No correction needed")
    identity_preserved_min: float = bounded(0.82, 0, 1)
    # loading the GGUF, at most: fix's client gives up on its daemon after 5 s
    load_ms_max: float = bounded(5000.0, 0, 3_600_000, lo_open=True)
    acceptance_min: float | None = bounded(None, 0, 1)  # acceptance cases passed (share; null: not gated)
    acceptance_fix_e2e: bool = False  # whether fix's own end-to-end cases must all pass
    gguf_valid: bool = True  # the gated GGUFs must validate (llama.cpp-readable header and metadata)
    # metric names whose absence is a skip (e.g. latency_ms_p95); default: none
    optional: list[str] = field(default_factory=list)
    # vs the reference release, same test split and greedy decoding
    regression: Regression = field(default_factory=Regression)

    def validate(self) -> list[str]:
        problems = [
            f"exact_match_by_shell_min: unknown shell {s!r}" for s in self.exact_match_by_shell_min if s not in SHELLS
        ]
        for q in self.quant_types:
            problems += [
                f"{name}: no limit for gated quant type {q}"
                for name, table in (("kld_mean_max", self.kld_mean_max), ("ppl_ratio_max", self.ppl_ratio_max))
                if q not in table
            ]
        if not self.quant_types:
            problems.append("quant_types: gate at least one variant")
        return problems


@dataclass
class Row:
    """One line of the gate table."""

    metric: str
    value: str
    limit: str
    verdict: str  # PASS, FAIL or SKIP


@dataclass
class Result:
    rows: list[Row]
    ref: str | None  # reference revision, None when there is none yet

    @property
    def failures(self) -> list[Row]:
        return [r for r in self.rows if r.verdict == FAIL]

    @property
    def passed(self) -> bool:
        return not self.failures

    def markdown(self) -> str:
        """The same table as Markdown (for PR comments)."""
        lines = ["| metric | value | limit / reference | verdict |", "|---|---|---|---|"]
        lines += [f"| {r.metric} | {r.value} | {r.limit} | {r.verdict} |" for r in self.rows]
        return "\n".join(lines)


def _fmt(v: Any) -> str:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return str(v)
    return f"{v:.4g}"


@dataclass(frozen=True)
class Range:
    """A metric's natural range: a finite number from `lo` (excluded where `lo_open`) to `hi`; a whole number
    where `count`."""

    lo: float = 0.0
    hi: float = math.inf
    lo_open: bool = False
    count: bool = False

    def __str__(self) -> str:
        if self.count:
            return "a whole number >= 0"
        if math.isfinite(self.hi):
            return f"a number in {'(' if self.lo_open else '['}{_fmt(self.lo)}, {_fmt(self.hi)}]"
        return f"a number {'>' if self.lo_open else '>='} {_fmt(self.lo)}"

    def problem(self, value: int | float) -> str | None:
        """Why the JSON number `value` is outside this range, or None. Never echoes more than a float's repr."""
        try:
            v = float(value)
        except OverflowError:  # an integer beyond any float
            return f"a huge number, not finite: expected {self}"
        if not math.isfinite(v):
            return f"{v!r} is not finite: expected {self}"
        below = v <= self.lo if self.lo_open else v < self.lo
        if below or v > self.hi or (self.count and not v.is_integer()):
            return f"{v!r} is out of range: expected {self}"
        return None


SHARE = Range(0.0, 1.0)  # shares and rates
AMOUNT = Range(0.0)  # times (ms), sizes, divergences
RATIO = Range(0.0, lo_open=True)  # one positive quantity over another (perplexity quant / f16)
COUNT = Range(0.0, count=True)  # how many cases
# Every metric the gate reads, by its key under a variant (and under baselines.reference), with its natural
# range; "name.*" is a table of such values (one per shell). metric_problems checks them all.
METRIC_RANGES: dict[str, Range] = {
    "exact_match": SHARE,
    "exact_match_by_shell.*": SHARE,
    "identity_preserved": SHARE,
    "acceptance_pass_rate": SHARE,
    "kld_mean": AMOUNT,  # a KL divergence
    "ppl_ratio": RATIO,
    "latency_ms_p95": AMOUNT,
    "load_ms": AMOUNT,
    "acceptance_fix_e2e_passed": COUNT,
    "acceptance_fix_e2e_total": COUNT,
}
NOT_VARIANTS = ("settings", "baselines")  # metrics.json's top-level tables that are no variant
REFERENCE = "baselines.reference"  # the published model's scores (the baseline stage's)


def metric_problems(metrics: Any, where: str) -> list[DataError]:
    """One DataError (naming `where` and the dotted key) per number in METRIC_RANGES' metrics of every variant
    and of baselines.reference that is not finite or outside its range. Non-numbers and absent metrics are
    the gate rows' business (a FAIL or skip line each)."""
    if not isinstance(metrics, dict):
        return [DataError(where, None, None, f"expected a JSON object, got {type(metrics).__name__}")]
    scopes = {k: v for k, v in metrics.items() if isinstance(v, dict) and k not in NOT_VARIANTS}
    if isinstance(ref := _get(metrics, REFERENCE), dict):
        scopes[REFERENCE] = ref
    found = []
    for scope, values in scopes.items():
        for name, rng in METRIC_RANGES.items():
            table = name.endswith(".*")
            raw = values.get(name.removesuffix(".*"))
            leaves = raw.items() if table and isinstance(raw, dict) else [] if table else [(None, raw)]
            for sub, value in leaves:
                if isinstance(value, bool) or not isinstance(value, (int, float)):
                    continue
                if why := rng.problem(value):
                    key = f"{scope}.{name.removesuffix('.*')}" + (f".{sub}" if sub is not None else "")
                    found.append(DataError(where, None, key, why))
    return found


def _raise_any(problems: list[DataError]) -> None:
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise DataErrors(problems)


def _old_values(diff: dict[str, Any]) -> dict:
    """The reference's own metrics, nested again from `dvc metrics diff`'s flat {"a.b": {"old": ..}}."""
    out: dict = {}
    for dotted, change in diff.items():
        if not isinstance(change, dict) or change.get("old") is None:
            continue
        *parents, last = dotted.split(".")
        cur = out
        for part in parents:
            cur = cur.setdefault(part, {})
            if not isinstance(cur, dict):
                break
        else:
            cur[last] = change["old"]
    return out


def _number(v: Any) -> float | None:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or math.isnan(v):
        return None
    return float(v)


def _get(metrics: dict, dotted: str) -> Any:
    cur: Any = metrics
    for part in dotted.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    return cur


def _optional(params: Params, dotted: str) -> bool:
    # `optional` may name the metric ("latency_ms_p95") or one variant's ("Q4_K_M.latency_ms_p95").
    bare = dotted.split(".", 1)[1] if "." in dotted else dotted
    return dotted in params.optional or bare in params.optional


def _limit_row(params: Params, metrics: dict, dotted: str, op: str, limit: float) -> Row:
    raw = _get(metrics, dotted)
    shown = f"{op} {_fmt(limit)}"
    if raw is None:
        return Row(dotted, "missing", shown, SKIP if _optional(params, dotted) else FAIL)
    value = _number(raw)
    if value is None:
        return Row(dotted, f"not a number: {raw!r}", shown, FAIL)
    ok = value >= limit if op == ">=" else value <= limit
    return Row(dotted, _fmt(value), shown, PASS if ok else FAIL)


def _fix_e2e_row(params: Params, metrics: dict, q: str) -> Row:
    """Every one of fix's own end-to-end cases passes (its CI runs them against the published model)."""
    passed, total = _get(metrics, f"{q}.acceptance_fix_e2e_passed"), _get(metrics, f"{q}.acceptance_fix_e2e_total")
    name = f"{q}.acceptance_fix_e2e"
    if _number(passed) is None or _number(total) is None:
        return Row(name, "missing", "all of fix's e2e cases", SKIP if _optional(params, name) else FAIL)
    failed = [
        k for k, ok in (_get(metrics, f"{q}.acceptance_checklist") or {}).items() if k.startswith("fix:") and not ok
    ]
    value = f"{int(passed)}/{int(total)}" + (f" (failed: {', '.join(failed)})" if failed else "")
    return Row(name, value, "all of fix's e2e cases", PASS if passed == total and total > 0 else FAIL)


def check_gguf(path: Path) -> str | None:
    """None if `path` is a valid model GGUF, else the reason it is not.

    Uses the evaluation stage's full validator (cmd_correct.gguf.verify: metadata, tokenizer, chat template,
    llama.cpp loads it); if that module is absent, falls back to a header check (magic, version, counts).
    """
    try:
        from .gguf import verify as full_verify
    except ImportError:
        full_verify = None
    if full_verify is not None:
        try:
            full_verify(path)
        except CmdCorrectError as exc:  # ModelError for a bad file, ToolError when llama.cpp is not built
            return str(exc)
        return None
    return header_problem(path)


def header_problem(path: Path) -> str | None:
    """The minimal GGUF check: magic, version 2 or 3, at least one tensor and one metadata key."""
    if not path.is_file():
        return f"{path}: not found"
    with path.open("rb") as f:
        head = f.read(24)
    if len(head) < 24 or head[:4] != b"GGUF":
        return f"{path}: not a GGUF file (bad magic)"
    version, n_tensors, n_kv = struct.unpack("<IQQ", head[4:24])
    if version not in (2, 3):
        return f"{path}: unsupported GGUF version {version}"
    if n_tensors == 0 or n_kv == 0:
        return f"{path}: {n_tensors} tensors, {n_kv} metadata keys"
    return None


def _git(repo: Path, *args: str) -> str:
    r = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True)
    if r.returncode != 0:
        raise ToolError(f"git {' '.join(args)}: {r.stderr.strip() or f'exit {r.returncode}'}", tool="git")
    return r.stdout.strip()


def latest_release_tag(repo: Path) -> str | None:
    """The repository's newest release tag: the highest version (semver precedence) among all tags
    TAG_PREFIX + X.Y.Z, whether HEAD contains it or not; None before the first release. A failing git (not a
    repository, say) raises ToolError: it is no "no tag"."""
    from semver import Version

    tags = _git(repo, "tag", "--list", TAG_PREFIX + "*").split()
    versions = [v for t in tags if Version.is_valid(v := t.removeprefix(TAG_PREFIX))]
    return TAG_PREFIX + max(versions, key=Version.parse) if versions else None


def _in_repo(repo: Path, path: Path) -> str:
    return path.resolve().relative_to(repo.resolve()).as_posix()


def dvc_metrics_diff(repo: Path, ref: str, metrics_file: Path) -> dict[str, dict]:
    """`dvc metrics diff <ref> --json --all` for one file: {dotted key: {"old": .., "new": ..}}."""
    dvc = shutil.which("dvc")
    if dvc is None:
        raise ToolError("dvc not found on PATH (install the `data` extra)", tool="dvc")
    target = _in_repo(repo, metrics_file)
    r = subprocess.run(
        [dvc, "metrics", "diff", ref, "--json", "--all", "--targets", target], cwd=repo, capture_output=True, text=True
    )
    if r.returncode != 0:
        raise ToolError(
            f"dvc metrics diff {ref}: {r.stderr.strip().splitlines()[-1] if r.stderr.strip() else r.returncode}",
            tool="dvc",
        )
    try:
        out = json.loads(r.stdout or "{}")
    except json.JSONDecodeError as e:
        raise ToolError(f"dvc metrics diff {ref}: unreadable JSON ({e.msg})", tool="dvc") from None
    return out.get(target, {})


def reference_cases(repo: Path, ref: str, metrics_file: Path) -> str | None:
    """The reference's `settings.case_ids_sha256` (which cases it was scored on), None where it has none."""
    try:
        found = _get(json.loads(_git(repo, "show", f"{ref}:{_in_repo(repo, metrics_file)}")), CASES_KEY)
    except (ToolError, json.JSONDecodeError):
        return None  # not committed there, or unreadable: the metrics diff reports it
    return found if isinstance(found, str) else None


def _regression_rows(params: Params, metrics: dict, diff: dict[str, dict], ref: str) -> list[Row]:
    reg = params.regression
    rows = []
    # (metric suffix, direction that is worse, allowed change, change kind)
    checks: list[tuple[str, str, float, str]] = [
        ("exact_match", "drop", reg.exact_match_drop_max, "abs"),
        *[
            (f"exact_match_by_shell.{s}", "drop", reg.exact_match_shell_drop_max, "abs")
            for s in params.exact_match_by_shell_min
        ],
        ("kld_mean", "rise", reg.kld_mean_increase_max, "abs"),
        ("ppl_ratio", "rise", reg.ppl_ratio_increase_max, "abs"),
        ("latency_ms_p95", "rise", reg.latency_ms_p95_increase_pct_max, "pct"),
        ("identity_preserved", "drop", reg.identity_preserved_drop_max, "abs"),
    ]
    compared = 0
    for q in params.quant_types:
        for suffix, worse, allowed, kind in checks:
            dotted = f"{q}.{suffix}"
            name = f"{dotted} vs {ref}"
            old = _number((diff.get(dotted) or {}).get("old"))
            new = _number(_get(metrics, dotted))
            if old is None:
                rows.append(Row(name, _fmt(new) if new is not None else "missing", "no reference value", SKIP))
                continue
            compared += 1
            if new is None:
                rows.append(Row(name, "missing", f"ref {_fmt(old)}", SKIP if _optional(params, dotted) else FAIL))
                continue
            change = new - old if kind == "abs" else (100.0 * (new - old) / old if old else 0.0)
            bad = -change if worse == "drop" else change
            unit = "%" if kind == "pct" else ""
            limit = f"ref {_fmt(old)}, {worse} <= {_fmt(allowed)}{unit}"
            rows.append(Row(name, f"{_fmt(new)} ({change:+.4g}{unit})", limit, PASS if bad <= allowed + EPS else FAIL))
    if not compared:
        # A reference with none of the gated values compares nothing: say so instead of passing quietly.
        rows.append(Row(f"regression vs {ref}", "-", f"{ref} has no committed metrics for {params.quant_types}", FAIL))
    return rows


def _reference_rows(params: Params, metrics: dict) -> list[Row]:
    """No worse than what users have: each gated variant against the published model (evaluate.reference,
    scored by the baseline stage on the same cases), within the regression limits."""
    ref = _get(metrics, "baselines.reference")
    if not isinstance(ref, dict):
        return []
    reg = params.regression
    where = f"{ref.get('repo_id')}/{ref.get('file')}@{ref.get('revision')}"
    checks = [
        ("exact_match", reg.exact_match_drop_max),
        *[(f"exact_match_by_shell.{s}", reg.exact_match_shell_drop_max) for s in params.exact_match_by_shell_min],
        ("identity_preserved", reg.identity_preserved_drop_max),
    ]
    rows = []
    for q in params.quant_types:
        for suffix, allowed in checks:
            name = f"{q}.{suffix} vs published"
            old, new = _number(_get(ref, suffix)), _number(_get(metrics, f"{q}.{suffix}"))
            if old is None or new is None:
                rows.append(Row(name, _fmt(new) if new is not None else "missing", f"{where}: no value", SKIP))
                continue
            limit = f"published {_fmt(old)}, drop <= {_fmt(allowed)}"
            rows.append(
                Row(name, f"{_fmt(new)} ({new - old:+.4g})", limit, PASS if old - new <= allowed + EPS else FAIL)
            )
    return rows


def run(
    params: Params,
    *,
    metrics_path: Path,
    quant_dir: Path,
    repo: Path,
    ref: str | None = None,
    progress: Callable[[str, int, int | None], None] = noop_progress,
) -> Result:
    """Evaluate every gate; never raises for a failed gate (see Result.passed), only for unusable inputs."""
    from .io import read_json

    metrics = read_json(metrics_path)
    _raise_any(metric_problems(metrics, str(metrics_path)))
    rows: list[Row] = []
    for q in params.quant_types:
        if q not in metrics:
            rows.append(Row(q, "missing from metrics.json", "gated variant", FAIL))
            continue
        rows.append(_limit_row(params, metrics, f"{q}.exact_match", ">=", params.exact_match_min))
        rows += [
            _limit_row(params, metrics, f"{q}.exact_match_by_shell.{s}", ">=", lim)
            for s, lim in params.exact_match_by_shell_min.items()
        ]
        rows.append(_limit_row(params, metrics, f"{q}.kld_mean", "<=", params.kld_mean_max[q]))
        rows.append(_limit_row(params, metrics, f"{q}.ppl_ratio", "<=", params.ppl_ratio_max[q]))
        rows.append(_limit_row(params, metrics, f"{q}.latency_ms_p95", "<=", params.latency_ms_p95_max))
        rows.append(_limit_row(params, metrics, f"{q}.identity_preserved", ">=", params.identity_preserved_min))
        rows.append(_limit_row(params, metrics, f"{q}.load_ms", "<=", params.load_ms_max))
        if params.acceptance_min is not None:
            rows.append(_limit_row(params, metrics, f"{q}.acceptance_pass_rate", ">=", params.acceptance_min))
        if params.acceptance_fix_e2e:
            rows.append(_fix_e2e_row(params, metrics, q))
        if params.gguf_valid:
            gguf = paths.quant_gguf(q, quant_dir)
            problem = check_gguf(gguf)
            rows.append(Row(f"{q}.gguf", problem or gguf.as_posix(), "valid GGUF", FAIL if problem else PASS))
    rows += _reference_rows(params, metrics)
    progress("gate", 1, 2)

    if ref is None:
        ref = latest_release_tag(repo)
    if ref is None:
        rows.append(Row("regression", "-", f"no reference yet: no {TAG_PREFIX}* tag (first release)", SKIP))
    elif (theirs := reference_cases(repo, ref, metrics_path)) and theirs != _get(metrics, CASES_KEY):
        # Another test split (a data change) or sample: a difference in scores is no regression, nor its absence.
        why = f"{ref} was measured on other test cases ({CASES_KEY} differs): not comparable, the floors above judge"
        rows.append(Row(f"regression vs {ref}", "-", why, SKIP))
    else:
        diff = dvc_metrics_diff(repo, ref, metrics_path)
        _raise_any(metric_problems(_old_values(diff), f"{metrics_path} at {ref}"))
        rows += _regression_rows(params, metrics, diff, ref)
    progress("gate", 2, 2)
    return Result(rows=rows, ref=ref)


def render(result: Result, console: Any = None) -> None:
    """Print the one gate table with rich (stdout)."""
    from rich.console import Console
    from rich.table import Table

    console = console or Console(width=None if Console().is_terminal else 140)
    title = f"quality gates (reference: {result.ref})" if result.ref else "quality gates (no reference yet)"
    table = Table("metric", "value", "limit / reference", "verdict", title=title)
    style = {PASS: "green", FAIL: "bold red", SKIP: "yellow"}
    for r in result.rows:
        table.add_row(r.metric, r.value, r.limit, f"[{style[r.verdict]}]{r.verdict}[/]")
    console.print(table)


def main(argv: list[str] | None = None) -> int:
    from . import params as P
    from .cli import parser

    p = parser("gate", __doc__)
    p.add_argument("--metrics", type=Path, default=paths.METRICS, help="metrics file (default: metrics.json)")
    p.add_argument("--quant-dir", type=Path, default=paths.QUANT, help="quantized GGUFs (default: models/quant)")
    p.add_argument("--ref", default=None, help="reference revision (default: newest cmd-correct@v* tag)")
    p.add_argument("--json", type=Path, default=None, help="also write the rows as JSON here (the PR report reads it)")
    args = p.parse_args(argv)
    params = P.section("gates", path=args.params)
    result = run(params, metrics_path=args.metrics, quant_dir=args.quant_dir, repo=Path.cwd(), ref=args.ref)
    render(result)
    if args.json is not None:
        from .io import write_json

        write_json(args.json, {"passed": result.passed, "ref": result.ref, "rows": [asdict(r) for r in result.rows]})
    if not result.passed:
        raise GateError(
            f"{len(result.failures)} gate(s) failed: " + ", ".join(r.metric for r in result.failures),
            failures=[r.metric for r in result.failures],
        )
    return 0
