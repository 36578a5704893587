"""baseline: the untuned base model and thefuck's rules on evaluate's cases -> reports/baseline/.

    python -m cmd_correct baseline models/base-gguf data/final reports/baseline [--generated data/generated]

Their answers depend only on the base model, the test cases and the decoding settings, never on training,
so they are a stage of their own: a training change does not pay for them again. The cases are evaluate's
own stratified sample (the `evaluate:` params and `base.seed`); evaluate folds `metrics.json` here into
its metrics.json `baselines` and refuses it when its case ids differ.

reports/baseline/metrics.json: {"base": {...}, "thefuck": {...}, "settings": {"case_ids_sha256", ...}}
reports/baseline/predictions.jsonl: {"id", "base", "thefuck"} per evaluated case (None: not run)
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from . import contract, io, paths
from . import params as params_mod
from .errors import ModelError
from .evaluate import DECODING, Params, acceptance, cases, decoding, exact, thefuck_baseline
from .progress import Progress, noop_progress

METRICS, PREDICTIONS = paths.BASELINE_METRICS, paths.BASELINE_PREDICTIONS
# The `evaluate:` fields this stage reads (the cases, the decoding, which baselines; timeout_s is operational):
# dvc.yaml's baseline params are base.seed and these less the operational ones (tests/test_pipeline.py checks
# both this list against the code here and dvc.yaml against it).
PARAMS_READ = (
    "n_cases", "base_cases", "latency_cases", "identity_cases", *DECODING, "omp_wait_policy", "baselines",
    "reference", "timeout_s",
)  # fmt: skip


@dataclass(frozen=True)
class Result:
    metrics: dict
    predictions: Path


def sample(params: Params, final_dir: Path, seed: int, consumer: str = "fix") -> list[cases.Case]:
    """evaluate's stratified sample of the test split (the same call evaluate makes)."""
    return cases.stratified_sample(cases.load_cases(Path(final_dir) / "test.jsonl", consumer), params.n_cases, seed)


def base_model(
    params: Params, gguf: Path, sample: list[cases.Case], seed: int, progress: Progress, consumer: str = "fix"
) -> tuple[dict, dict]:
    """Exact match of the untuned base on its stratified sub-sample; (metrics, answers by case id)."""
    subset = cases.stratified_sample(sample, params.base_cases, seed)
    timed = cases.stratified_sample(subset, params.latency_cases, seed)
    ran = exact.run_model(
        "base", gguf, subset, timed=timed, seed=seed, progress=progress, consumer=consumer, **decoding(params)
    )
    spd = exact.speed(ran.timed)
    m = exact.score(subset, ran.answers) | {k: spd[k] for k in ("latency_ms_p50", "latency_ms_p95")}
    return m | {"batch_agreement": ran.agreement}, dict(zip((c.id for c in subset), ran.answers, strict=True))


def thefuck(params: Params, sample: list[cases.Case], progress: Progress) -> tuple[dict, dict]:
    """thefuck's first suggestion on the cases within its reach; (metrics, suggestions by case id)."""
    sug = thefuck_baseline.suggest(sample, timeout=params.timeout_s, progress=progress)
    reach = [c for c in sample if thefuck_baseline.in_reach(c)]
    tf = exact.score(reach, [sug.get(c.id) for c in reach]) if reach else {"exact_match": None, "n_cases": 0}
    every = exact.score(sample, [sug.get(c.id) for c in sample])
    suggested = sum(sug.get(c.id) is not None for c in reach)
    return {
        "exact_match": tf["exact_match"],
        "exact_match_by_shell": tf.get("exact_match_by_shell", {}),
        "n_cases": len(reach),
        "reach": thefuck_baseline.REACH,
        "suggested_pct": round(100 * suggested / len(reach), 2) if reach else None,
        "exact_match_all_cases": every["exact_match"],
        "with_error_message": sum(c.error is not None for c in reach),
    }, sug


def reference(
    params: Params, final_dir: Path, sample: list[cases.Case], seed: int, progress, consumer: str = "fix"
) -> tuple[dict, dict]:
    """The published model (evaluate.reference) on the same cases, identity cases and acceptance cases as
    every variant: downloaded with huggingface_hub (HF_ENDPOINT, HF_TOKEN as the user set them)."""
    from huggingface_hub import hf_hub_download

    ref = params.reference
    try:
        gguf = Path(
            hf_hub_download(
                ref.repo_id,
                ref.file,
                revision=ref.revision,
                repo_type="model",
                endpoint=os.environ.get("HF_ENDPOINT") or None,  # read now, not at huggingface_hub's import
                token=os.environ.get("HF_TOKEN") or None,  # only ever handed to huggingface_hub
            )
        )
    except Exception as exc:  # noqa: BLE001  (HTTP and client errors: one line, named by the param)
        line = (str(exc).strip().splitlines() or ["no detail"])[-1]
        raise ModelError(
            f"evaluate.reference {ref.repo_id}/{ref.file}@{ref.revision}: {line}", param="evaluate.reference"
        ) from None
    every = cases.load_cases(Path(final_dir) / "test.jsonl", consumer)
    identity = cases.identity_cases(every, params.identity_cases, seed, consumer)
    ran = exact.run_model(
        "reference", gguf, sample, timed=[], seed=seed, identity=identity, accept=True, progress=progress,
        consumer=consumer, **decoding(params),
    )  # fmt: skip
    m = exact.score(sample, ran.answers) | exact.identity(identity, ran.identity)
    m |= {k: v for k, v in acceptance.summary(ran.acceptance).items() if k != "acceptance_checklist"}
    m |= {"repo_id": ref.repo_id, "file": ref.file, "revision": ref.revision, "load_ms": ran.load_ms}
    return m, dict(zip((c.id for c in sample), ran.answers, strict=True))


def run(
    params: Params,
    *,
    base_gguf_dir: Path | None,
    final_dir: Path,
    out_dir: Path,
    seed: int,
    generated_dir: Path | None = None,
    progress: Progress = noop_progress,
    consumer: str = "fix",
) -> Result:
    """Run `params.baselines` on evaluate's sample with `consumer`'s prompt and decoding; write out_dir/metrics.json
    and predictions.jsonl."""
    started = time.perf_counter()
    out_dir = Path(out_dir)
    inputs = [Path(final_dir), *([Path(base_gguf_dir)] if base_gguf_dir else [])]
    io.check_output(out_dir, stage="baseline", inputs=inputs, recognise=io.holds_only(METRICS, PREDICTIONS))
    picked = sample(params, final_dir, seed, consumer)
    metrics: dict = {}
    answers: dict[str, dict] = {}
    if "base" in params.baselines:
        if base_gguf_dir is None:
            raise ModelError(
                "evaluate.baselines lists 'base': pass the base model's GGUF folder (models/base-gguf)",
                param="evaluate.baselines",
            )
        metrics["base"], answers["base"] = base_model(
            params, paths.f16_gguf(Path(base_gguf_dir)), picked, seed, progress, consumer
        )
    if "reference" in params.baselines:
        metrics["reference"], answers["reference"] = reference(params, final_dir, picked, seed, progress, consumer)
    if "thefuck" in params.baselines:
        metrics["thefuck"], answers["thefuck"] = thefuck(params, cases.attach_errors(picked, generated_dir), progress)
    metrics["settings"] = {
        "n_cases": len(picked),
        "case_ids_sha256": cases.case_ids_sha256(picked),
        "seed": seed,
        "decoding": consumer,
        "max_tokens": contract.get(consumer).decoding.max_tokens,
        "seconds": round(time.perf_counter() - started, 1),
    }
    with io.atomic_dir(out_dir, stage="baseline", inputs=inputs, recognise=io.holds_only(METRICS, PREDICTIONS)) as tmp:
        io.write_jsonl(
            tmp / PREDICTIONS, [{"id": c.id, **{k: v.get(c.id) for k, v in answers.items()}} for c in picked]
        )
        io.write_json(tmp / METRICS, metrics)
    return Result(metrics, out_dir / PREDICTIONS)


def main(argv: list[str] | None = None) -> int:
    from .cli import parser
    from .progress import progress_bar

    p = parser("baseline", __doc__)
    p.add_argument("base_gguf_dir", type=Path, help="the base model's GGUF folder (models/base-gguf)")
    p.add_argument("final_dir", type=Path, help="data/final (test.jsonl)")
    p.add_argument("out_dir", type=Path, help="reports/baseline")
    p.add_argument("--generated", type=Path, default=None, help="data/generated: error messages for thefuck")
    args = p.parse_args(argv)
    raw = params_mod.load(args.params)
    params = params_mod.section("evaluate", raw, path=args.params)
    seed = params_mod.base_seed(raw, args.params)
    os.environ["OMP_WAIT_POLICY"] = params.omp_wait_policy  # before llama.cpp's OpenMP runtime loads
    with progress_bar() as progress:
        res = run(
            params,
            base_gguf_dir=args.base_gguf_dir,
            final_dir=args.final_dir,
            out_dir=args.out_dir,
            seed=seed,
            generated_dir=args.generated,
            progress=progress,
            consumer=params_mod.base_consumer(raw, args.params),
        )
    for name, b in res.metrics.items():
        if name != "settings":
            print(f"baseline {name}: exact match {b['exact_match']} on {b['n_cases']} cases")
    print(f"{args.out_dir} ({res.metrics['settings']['seconds']} s)")
    return 0
