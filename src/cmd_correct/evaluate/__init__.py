"""evaluate: how good and how fast the GGUFs users get are -> metrics.json, plots, per-case predictions.

    python -m cmd_correct evaluate models/f16 models/quant reports/baseline data/final metrics.json \
        reports/evaluate

For f16 and every quant type in models/quant/meta.json, on a stratified sample of the test split
(`evaluate.n_cases`; 0 = the whole split): exact match through llama-cpp-python with the contract
prompt and fix's decoding (contract.FIX), decoded `evaluate.parallel` sequences at a time; what a fix
user sees (valid commands kept, broken ones echoed, the acceptance cases, load time);
latency and tokens/s single-sequence from an empty cache (what one `fix` call costs) on a stratified
`evaluate.latency_cases` of them, which are also answered both ways to measure batch agreement;
`llama-bench` tokens/s, file size; perplexity of the held-out text, and for quants KL divergence
against f16 (llama-perplexity). Baselines on the same cases (the untuned base model, thefuck's rules)
come from the `baseline` stage's reports/baseline/metrics.json, measured once per base model.

metrics.json schema (flat, stable keys: `dvc metrics diff` and the gate read it):

    {"f16" | "<TYPE>": {                      one entry per variant: f16 and each quantize.types entry
        "exact_match": float,                 share of cases whose cleaned answer == reference (stripped)
        "exact_match_by_shell": {shell: float}, "exact_match_by_family": {family: float},
        "without_tools": {exact_match, exact_match_by_shell, exact_match_by_family, n_cases}: base.consumer wit
                                              only: the same cases with their tool results removed
        "equivalent_match", "equivalent_match_by_shell", "equivalent_match_by_family": the same for answers
                                              that are the reference up to quoting, spacing, safe flag order
                                              or PowerShell case (evaluate/equivalent.py; not gated)
        "n_cases": int,
        "exact_match_broken": float,          exact match on the cases whose input needs a change (present when
                                              the split has identity rows)
        "exact_match_by_alias": {alias: float}, alias rows (sh, dash, ksh, pwsh) scored apart
        "echo_rate": float,                   share of broken inputs returned unchanged
        "identity_preserved": float,          share of valid commands returned unchanged (evaluate.identity_cases:
        "identity_preserved_by_shell": {..},  the split's references no row takes as input, given as input)
        "identity_cases": int,
        "acceptance_passed", "acceptance_total", "acceptance_pass_rate", "acceptance_fix_e2e_passed",
        "acceptance_fix_e2e_total": the consumer acceptance cases (evaluate/acceptance.py), one fix call each
        "acceptance_checklist": {name: bool},
        "load_ms": float,                     loading the GGUF into a ready context (fix's daemon allows 5 s)
        "latency_ms_p50": float, "latency_ms_p95": float,   per correction, model loaded, empty KV cache,
                                              one sequence, on the latency sample
        "first_token_ms_p50": float,          prompt evaluation + first token
        "tokens_per_s": float,                generation rate of our harness (tokens after the first)
        "completion_tokens_mean": float, "latency_cases": int,
        "batch_agreement": float,             share of the latency sample answered alike batched and single
        "batch_disagreements": int,           how many differed (listed in reports/evaluate/disagreements.jsonl)
        "exact_match_seconds": float,         wall time of the batched pass over every case
        "latency_by_threads": {"<n>": {latency_ms_p50, latency_ms_p95, prompt_ms_p50, generate_ms_p50,
                               tokens_per_s, ...}} at each evaluate.latency_threads count and fix's
                               default (settings.fix_default_threads: llama.cpp's own, 4) (prompt and
                               generation threads alike), on the latency sample; variants outside
                               evaluate.latency_sweep: at evaluate.threads only, and no cached_prefix
        "fastest_threads": {"prompt", "generate", "overall"}: the count with the lowest p50 for each
        "cached_prefix": {latency_ms_p50, latency_ms_p95, prompt_ms_p50, prompt_tokens_mean, saving_ms_p50,
                          identical_pct}: the sample again from a restored system-prompt state (llama.cpp
                          state save/restore) at evaluate.threads, and the share of answers identical to
                          the uncached path
        "bench_tokens_per_s": float,          llama-bench -p 0 -n bench_n_gen on the same file/threads
        "bench_ratio": float,                 tokens_per_s / bench_tokens_per_s
        "size_mb": float,                     file size, 10^6 bytes
        "ppl": float,                         perplexity of heldout.txt
        "ppl_ratio": float,                   ppl / ppl of f16, same tokens (1.0 for f16)
        quants only: "ppl_ratio_llama": float, llama-perplexity's own PPL(Q)/PPL(base), whose base side is
                     floored at 16 nats per token (higher than ppl_ratio when f16 meets tokens it finds
                     very unlikely)
        quants only: "kld_mean", "kld_median", "kld_p99", "kld_max": float (vs f16), "same_top_pct": float (%),
                     "fallback_tensors": int (from models/quant/meta.json)},
     "baselines": {                          from reports/baseline/metrics.json (the baseline stage)
        "reference": {exact_match, ..., identity_preserved, acceptance_passed, repo_id, file, revision}: the
                 published model (evaluate.reference), on the same cases
        "base": {exact_match, exact_match_by_shell, exact_match_by_family, n_cases (evaluate.base_cases of
                 the sample, stratified), latency_ms_p50, latency_ms_p95, batch_agreement},
        "thefuck": {"exact_match": on cases within reach, "n_cases": cases within reach, "reach": str,
                    "suggested_pct": % of those with any suggestion, "exact_match_all_cases": over every case,
                    "exact_match_by_shell": {shell: float}}},
     "settings": {"threads", "omp_wait_policy", "n_cases", "n_test", "case_ids_sha256" (the scored cases'
                  ids in order: the gate compares releases only on the same cases), "seed", "decoding" ("fix"),
                  "max_tokens", "n_ctx" (contract.FIX's), "fix_default_threads", "identity_cases", "parallel",
                  "latency_cases", "ppl_ctx", "ppl_chunks", "ppl_tokens_scored", "variants", "llama_cpp_python",
                  "seconds"}}
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from .. import contract, io, paths, toolchain
from .. import params as params_mod
from ..errors import DataError, ModelError, ParamsError
from ..infer import DEFAULT_THREADS
from ..params import WEEK_S, bounded, operational
from ..progress import Progress, noop_progress
from . import acceptance, bench, cases, exact, perplexity, plots


@dataclass
class Reference:
    """The model users already have: a GGUF on the Hub, scored by the baseline stage on the same cases."""

    repo_id: str = ""  # Hub repo of the published model ("": no reference)
    file: str = ""  # its GGUF in that repo (fix's <name>.gguf at the root)
    revision: str = "main"  # Hub revision: a commit sha pins it; main is whatever users download today

    def validate(self) -> list[str]:
        if not self.repo_id:
            return []
        problems = [] if self.repo_id.count("/") == 1 else [f"repo_id: expected owner/name, got {self.repo_id!r}"]
        if not self.file.endswith(".gguf") or self.file.startswith(("/", ".")) or ".." in self.file.split("/"):
            problems.append(f"file: a .gguf path inside the repo, got {self.file!r}")
        return problems


@dataclass
class Params:
    # stratified sample of the test split (by shell x family); 0: the whole split
    n_cases: int = bounded(1000, 0, 10_000_000)
    # the untuned base model's stratified share of those (it answers in prose)
    base_cases: int = bounded(200, 0, 10_000_000)
    parallel: int = bounded(16, 1, 4096)  # sequences decoded together for exact match (1: one case at a time)
    # stratified share timed one case at a time from an empty cache (as `fix`)
    latency_cases: int = bounded(100, 1, 10_000_000)
    # thread counts latency is also measured at (1 and this machine's cores)
    latency_threads: list[int] = bounded([1, 2], 1, 4096)
    cached_prefix: bool = True  # also time the latency sample from a restored system-prompt state
    # variants timed at every latency_threads count and cached; the others once, at `threads`
    latency_sweep: list[str] = field(default_factory=lambda: ["Q4_K_M"])
    threads: int = bounded(DEFAULT_THREADS, 1, 4096)  # CPU threads for every measurement (stated in metrics.json)
    # OpenMP waits: active spins, as a CLI's unset policy does (passive: 2-thread decoding 3.4x slower)
    omp_wait_policy: Literal["passive", "active"] = "active"
    # valid commands (the split's references that are no row's input) given as input: identity_preserved
    identity_cases: int = bounded(300, 0, 10_000_000)
    # llama-perplexity chunk size (-c); KLD scores the second half of each chunk
    ppl_ctx: int = bounded(128, 16, 1_048_576)
    # held-out chunks for perplexity/KLD (-1: all); logits file ~100 KB/token
    ppl_chunks: int = bounded(40, -1, 10_000_000)
    bench_n_gen: int = bounded(32, 1, 1_048_576)  # llama-bench generated tokens per repetition (about one correction)
    bench_reps: int = bounded(3, 1, 10_000)  # llama-bench repetitions
    # the untuned base model (models/base-gguf) and thefuck's rules
    baselines: list[Literal["base", "thefuck", "reference"]] = field(default_factory=lambda: ["base", "thefuck"])
    # the published model this run must not fall below (baselines: reference; the gate's regression limits)
    reference: Reference = field(default_factory=Reference)
    scratch_dir: str | None = operational(None)  # folder for the f16 logits file (kept out of DVC); null: system temp
    # give up on one llama.cpp tool run after this many seconds
    timeout_s: int = bounded(3600, 1, WEEK_S, operational=True)

    def validate(self) -> list[str]:
        problems = []
        if self.n_cases < 0:
            problems.append(f"n_cases: must be >= 0 (0: whole split), got {self.n_cases}")
        if self.base_cases < 0:
            problems.append(f"base_cases: must be >= 0 (0: every evaluated case), got {self.base_cases}")
        if self.parallel < 1:
            problems.append(f"parallel: must be >= 1, got {self.parallel}")
        if any(t < 1 for t in self.latency_threads):
            problems.append(f"latency_threads: every count must be >= 1, got {self.latency_threads}")
        if self.identity_cases < 0:
            problems.append(f"identity_cases: must be >= 0 (0: not measured), got {self.identity_cases}")
        if self.latency_cases < 1:
            problems.append(f"latency_cases: must be >= 1, got {self.latency_cases}")
        if self.threads < 1:
            problems.append(f"threads: must be >= 1, got {self.threads}")
        if "reference" in self.baselines and not self.reference.repo_id:
            problems.append("baselines: lists reference, but reference.repo_id is empty")
        if self.ppl_chunks == 0 or self.ppl_chunks < -1:
            problems.append(f"ppl_chunks: must be positive or -1 (all), got {self.ppl_chunks}")
        if self.ppl_ctx < 16:
            problems.append(f"ppl_ctx: must be >= 16, got {self.ppl_ctx}")
        if 0 < self.ppl_chunks * self.ppl_ctx // 2 < 100:  # llama-perplexity skips KLD statistics below 100
            problems.append(
                f"ppl_chunks x ppl_ctx / 2: must be >= 100 scored tokens, got {self.ppl_chunks} x {self.ppl_ctx}"
            )
        return problems


@dataclass(frozen=True)
class Result:
    metrics: dict
    predictions: Path
    plots: list[Path]


def variants(f16_dir: Path, quant_dir: Path) -> dict[str, dict]:
    """{"f16": {...}, "<TYPE>": {...}}: each GGUF to evaluate with what its stage recorded."""
    f16 = paths.f16_gguf(f16_dir)
    if not f16.is_file():
        raise ModelError(f"{f16}: f16 GGUF not found (run convert)", path=f16)
    out = {"f16": {"gguf": f16}}
    meta = io.read_json(Path(quant_dir) / "meta.json")
    for qtype, info in meta.get("types", {}).items():
        gguf = paths.quant_gguf(qtype, quant_dir)
        if not gguf.is_file():
            raise ModelError(f"{gguf}: listed in {quant_dir}/meta.json but missing (rerun quantize)", path=gguf)
        out[qtype] = {"gguf": gguf, "fallback_tensors": info.get("fallback_tensors")}
    return out


REPORT_FILES = io.holds_only(
    "predictions.jsonl", "identity.jsonl", "acceptance.jsonl", "disagreements.jsonl", "plots", "meta.json"
)


def _is_metrics(path: Path) -> bool:
    """A previous metrics.json of this stage (it has `settings` and `baselines`)."""
    try:
        found = io.read_json(path)
    except Exception:  # noqa: BLE001  (anything unreadable is not ours to replace)
        return False
    return isinstance(found, dict) and {"settings", "baselines"} <= set(found)


DECODING = ("threads", "parallel")  # the fields `decoding()` reads; the decoding itself is fix's (contract.FIX)


def decoding(params: Params) -> dict:
    """How the evaluation model runs (`exact.run_model`'s keywords): the same for every variant and baseline."""
    return {name: getattr(params, name) for name in DECODING}


def fix_default_threads() -> int:
    """The thread count fix decodes with: llama.cpp's default context parameters (fix sets none)."""
    from ..infer import import_llama_cpp

    return int(import_llama_cpp().llama_context_default_params().n_threads)


def read_baselines(baseline_dir: Path | None, sample: list[cases.Case]) -> tuple[dict, dict[str, dict]]:
    """The baseline stage's metrics and its answers by case id; refused when made on other cases."""
    if baseline_dir is None:
        return {}, {}
    path = Path(baseline_dir) / paths.BASELINE_METRICS
    if not path.is_file():
        raise DataError(path, None, None, "baseline metrics not found (run the baseline stage)")
    found = io.read_json(path)
    if found.get("settings", {}).get("case_ids_sha256") != cases.case_ids_sha256(sample):
        raise DataError(path, None, "settings.case_ids_sha256", "made on other cases than evaluate's (rerun baseline)")
    rows = {r["id"]: r for _, r in io.iter_jsonl(Path(baseline_dir) / paths.BASELINE_PREDICTIONS)}
    return {k: v for k, v in found.items() if k != "settings"}, rows


def exact_and_speed(
    params: Params,
    name: str,
    info: dict,
    sample: list[cases.Case],
    timed: list[cases.Case],
    seed: int,
    progress,
    identity: list[cases.Case] = (),
    consumer: str = "fix",
    *,
    bench_tokens_per_s: float | None = None,
) -> tuple[dict, exact.ModelRun]:
    """One variant's exact match (batched), identity_preserved, acceptance cases, latency (single, also at
    fix's default thread count), load time, size, and its ratio to llama-bench's `bench_tokens_per_s`."""
    sweep = name in params.latency_sweep
    ran = exact.run_model(
        name,
        info["gguf"],
        sample,
        timed=timed,
        seed=seed,
        latency_threads=sorted({*params.latency_threads, fix_default_threads()}) if sweep else (),
        cached_head=params.cached_prefix and sweep,
        identity=identity,
        accept=True,
        progress=progress,
        consumer=consumer,
        **decoding(params),
    )
    m = exact.score(sample, ran.answers) | exact.identity(identity, ran.identity) | exact.speed(ran.timed)
    m |= exact.latency(ran) | acceptance.summary(ran.acceptance)
    m |= {
        "load_ms": ran.load_ms,
        "batch_agreement": ran.agreement,
        "batch_disagreements": len(ran.disagreements),
        "exact_match_seconds": round(ran.seconds, 1),
    }
    if contract.get(consumer).tool_results:  # what the tools are worth: the same cases with no results
        m["without_tools"] = without_tools(params, name, info["gguf"], sample, seed, progress, consumer)
    m["bench_tokens_per_s"] = bench_tokens_per_s
    m["bench_ratio"] = (
        round(m["tokens_per_s"] / bench_tokens_per_s, 3) if m["tokens_per_s"] and bench_tokens_per_s else None
    )
    m["size_mb"] = round(info["gguf"].stat().st_size / 1e6, 2)
    if info.get("fallback_tensors") is not None:
        m["fallback_tensors"] = info["fallback_tensors"]
    return m, ran


ABLATION_KEYS = ("exact_match", "exact_match_by_shell", "exact_match_by_family", "n_cases")


def without_tools(
    params: Params, name: str, gguf: Path, sample: list[cases.Case], seed: int, progress, consumer: str
) -> dict:
    """Exact match of one variant on the same cases with their tool results removed (wit's prompt with the
    command alone), overall, per shell and per family: set beside the variant's own figures, the value of
    grounding is a number."""
    bare = cases.without_tools(sample, consumer)
    ran = exact.run_model(
        f"{name} without tools", gguf, bare, timed=[], seed=seed, progress=progress, consumer=consumer,
        **decoding(params),
    )  # fmt: skip
    scored = exact.score(bare, ran.answers)
    return {k: scored[k] for k in ABLATION_KEYS}


def perplexities(params: Params, models: dict[str, dict], heldout: Path, metrics: dict, progress) -> int | None:
    """Perplexity of every variant and KLD of each quant against f16, into `metrics`; tokens scored."""
    ppl_args = {
        "ctx": params.ppl_ctx,
        "chunks": params.ppl_chunks,
        "threads": params.threads,
        "timeout": params.timeout_s,
        "progress": progress,
    }
    with tempfile.TemporaryDirectory(prefix="cmd-correct-kld-", dir=params.scratch_dir) as scratch:
        logits = Path(scratch) / "f16-logits.bin"
        base_ppl, base_ran = perplexity.base_run(models["f16"]["gguf"], heldout, logits, **ppl_args)
        metrics["f16"].update(ppl=round(base_ppl["ppl"], 4), ppl_ratio=1.0)
        for name in [n for n in models if n != "f16"]:
            k, _ = perplexity.kld_run(models[name]["gguf"], logits, name=name, **ppl_args)
            metrics[name].update(
                ppl=round(k["ppl"], 4),
                # ppl / f16's ppl, both over the same scored tokens, as the schema says. Not llama.cpp's printed
                # "PPL(Q)/PPL(base)": its base side is read back from the --kl-divergence-base file, which
                # stores each token's log-probabilities floored at 16 nats below the top logit
                # (perplexity.cpp), so a token f16 finds very unlikely costs it less there and the printed
                # ratio runs high (ppl_ratio_llama, kept beside it).
                ppl_ratio=round(k["ppl"] / base_ppl["ppl"], 4),
                ppl_ratio_llama=round(k["ppl_ratio"], 4),
                kld_mean=round(k["kld_mean"], 5),
                kld_median=round(k["kld_median"], 5),
                kld_p99=round(k["kld_p99"], 5),
                kld_max=round(k["kld_max"], 4),
                same_top_pct=round(k["same_top_pct"], 2),
            )
    return _tokens_scored(base_ran.output)


def run(
    params: Params,
    *,
    f16_dir: Path,
    quant_dir: Path,
    baseline_dir: Path | None,
    final_dir: Path,
    metrics_path: Path,
    report_dir: Path,
    seed: int,
    progress: Progress = noop_progress,
    consumer: str = "fix",
) -> Result:
    """Evaluate every variant with `consumer`'s prompt and decoding, fold in the baselines; write metrics_path and
    report_dir (predictions + plots)."""
    started = time.perf_counter()
    f16_dir, quant_dir, final_dir, report_dir = Path(f16_dir), Path(quant_dir), Path(final_dir), Path(report_dir)
    inputs = [f16_dir, quant_dir, final_dir, *([Path(baseline_dir)] if baseline_dir else [])]
    io.check_output(report_dir, stage="evaluate", inputs=inputs, recognise=REPORT_FILES)
    io.check_output(metrics_path, stage="evaluate", kind="file", recognise=_is_metrics)
    models = variants(f16_dir, quant_dir)
    if unknown := [n for n in params.latency_sweep if n not in models]:
        raise ParamsError(paths.PARAMS, [f"evaluate.latency_sweep: {', '.join(unknown)} not among {', '.join(models)}"])
    all_cases = cases.load_cases(final_dir / "test.jsonl", consumer)
    sample = cases.stratified_sample(all_cases, params.n_cases, seed)
    timed = cases.stratified_sample(sample, params.latency_cases, seed)
    identity = cases.identity_cases(all_cases, params.identity_cases, seed, consumer)
    heldout = final_dir / paths.HELDOUT
    if not heldout.is_file() or heldout.stat().st_size == 0:
        raise DataError(heldout, None, None, "held-out text missing or empty (run prepare)")
    baselines, baseline_rows = read_baselines(baseline_dir, sample)

    # llama.cpp's own tools run first, on idle cores: once this process has decoded, its OpenMP threads keep
    # spinning under the active wait policy (measured: 0.99 CPU-s per idle second after the model was closed),
    # and would take a core from llama-bench and llama-perplexity.
    benched = {
        name: bench.bench(
            info["gguf"],
            n_gen=params.bench_n_gen,
            reps=params.bench_reps,
            threads=params.threads,
            timeout=params.timeout_s,
        )["tokens_per_s"]
        for name, info in models.items()
    }
    tool_metrics: dict[str, dict] = {name: {} for name in models}
    scored = perplexities(params, models, heldout, tool_metrics, progress)
    metrics: dict = {}
    predictions: dict[str, list[str | None]] = {}
    disagreements: list[dict] = []
    kept: dict[str, list[str]] = {}
    accepted: list[dict] = []
    for name, info in models.items():
        m, ran = exact_and_speed(
            params, name, info, sample, timed, seed, progress, identity, consumer, bench_tokens_per_s=benched[name]
        )
        metrics[name] = m | tool_metrics[name]
        predictions[name] = ran.answers
        kept[name] = ran.identity
        accepted += [{"model": name, **row} for row in ran.acceptance]
        disagreements += [{"model": name, **d} for d in ran.disagreements]
    for name in baselines:
        predictions[name] = [baseline_rows.get(c.id, {}).get(name) for c in sample]
    metrics["baselines"] = baselines
    metrics["settings"] = _settings(params, models, sample, all_cases, timed, scored, seed, started, consumer)
    metrics["settings"]["identity_cases"] = len(identity)
    extra = {"identity.jsonl": _rows(identity, kept), "acceptance.jsonl": accepted}
    written = _write_reports(report_dir, inputs, sample, predictions, disagreements, metrics, list(models), extra)
    io.write_json(metrics_path, metrics)
    return Result(metrics, report_dir / "predictions.jsonl", written)


def _settings(
    params: Params,
    models: dict,
    sample: list,
    all_cases: list,
    timed: list,
    scored: int | None,
    seed: int,
    started: float,
    consumer: str = "fix",
) -> dict:
    """metrics.json's `settings`: what the numbers were measured with."""
    dec = contract.get(consumer).decoding
    return {
        "threads": params.threads,
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
        "n_cases": len(sample),
        "n_test": len(all_cases),
        "case_ids_sha256": cases.case_ids_sha256(sample),  # the gate compares releases only on the same cases
        "seed": seed,
        "decoding": consumer,  # contract.FIX / WIT: the consumer's stops, <think> handling, clean-up and limits
        "max_tokens": dec.max_tokens,
        "n_ctx": dec.n_ctx,
        "fix_default_threads": fix_default_threads(),
        "parallel": params.parallel,
        "latency_cases": len(timed),
        "ppl_ctx": params.ppl_ctx,
        "ppl_chunks": params.ppl_chunks,
        "ppl_tokens_scored": scored,
        "variants": list(models),
        "llama_cpp_python": toolchain.LLAMA_CPP_PYTHON_VERSION,
        "seconds": round(time.perf_counter() - started, 1),
    }


def _write_reports(
    report_dir: Path,
    inputs: list[Path],
    sample: list,
    predictions: dict[str, list[str | None]],
    disagreements: list[dict],
    metrics: dict,
    variants: list[str],
    extra: dict[str, list[dict]],
) -> list[Path]:
    """predictions.jsonl (one row per case, every model's answer), identity.jsonl, acceptance.jsonl,
    disagreements.jsonl and the plots."""
    with io.atomic_dir(report_dir, stage="evaluate", inputs=inputs, recognise=REPORT_FILES) as tmp:
        io.write_jsonl(tmp / "predictions.jsonl", _rows(sample, predictions))
        io.write_jsonl(tmp / "disagreements.jsonl", disagreements)
        for name, rows in extra.items():
            io.write_jsonl(tmp / name, rows)
        written = plots.write(tmp / "plots", metrics, variants)
    return [report_dir / p.relative_to(tmp) for p in written]


def _rows(sample: list, answers: dict[str, list[str | None]]) -> list[dict]:
    """One report row per case: what was asked, the reference, and every model's answer."""
    return [
        {
            "id": c.id,
            "shell": c.shell,
            **({"prompt_shell": c.prompt_shell} if c.prompt_shell else {}),
            "family": c.family,
            "command": c.command,
            "expected": c.expected,
            **{name: preds[i] for name, preds in answers.items()},
        }
        for i, c in enumerate(sample)
    ]


def _tokens_scored(output: str) -> int | None:
    """Tokens llama-perplexity scored ("perplexity: calculating perplexity over N chunks, n_ctx=C")."""
    import re

    m = re.search(r"calculating perplexity over (\d+) chunks, n_ctx=(\d+)", output)
    return int(m.group(1)) * (int(m.group(2)) // 2) if m else None


def main(argv: list[str] | None = None) -> int:
    from ..cli import parser
    from ..progress import progress_bar

    p = parser("evaluate", __doc__)
    p.add_argument("f16_dir", type=Path, help="models/f16")
    p.add_argument("quant_dir", type=Path, help="models/quant")
    p.add_argument("baseline_dir", type=Path, help="the baseline stage's folder (reports/baseline)")
    p.add_argument("final_dir", type=Path, help="data/final (test.jsonl, heldout.txt)")
    p.add_argument("metrics", type=Path, help="metrics.json")
    p.add_argument("report_dir", type=Path, help="reports/evaluate")
    args = p.parse_args(argv)
    raw = params_mod.load(args.params)
    params = params_mod.section("evaluate", raw, path=args.params)
    # Before llama.cpp's OpenMP runtime loads (in this process and in every tool child).
    os.environ["OMP_WAIT_POLICY"] = params.omp_wait_policy
    with progress_bar() as progress:
        res = run(
            params,
            f16_dir=args.f16_dir,
            quant_dir=args.quant_dir,
            baseline_dir=args.baseline_dir,
            final_dir=args.final_dir,
            metrics_path=args.metrics,
            report_dir=args.report_dir,
            seed=params_mod.base_seed(raw, args.params),  # picks the sample: baseline reads the same
            consumer=params_mod.base_consumer(raw, args.params),
            progress=progress,
        )
    m = res.metrics
    for name in m["settings"]["variants"]:
        v = m[name]
        print(
            f"{name}: exact match {v['exact_match']:.3f}, ppl {v['ppl']:.3f} (x{v['ppl_ratio']:.3f})"
            + (f", KLD {v['kld_mean']:.4f}, same top {v['same_top_pct']:.1f}%" if "kld_mean" in v else "")
            + f", p50/p95 {v['latency_ms_p50']:.0f}/{v['latency_ms_p95']:.0f} ms, {v['tokens_per_s']} tok/s"
            f" (bench x{v['bench_ratio']}), {v['size_mb']} MB, batched/single agreement {v['batch_agreement']}"
        )
    for name, b in m["baselines"].items():
        print(f"baseline {name}: exact match {b['exact_match']} on {b['n_cases']} cases")
    print(f"{args.metrics} ({m['settings']['seconds']} s)")
    return 0
