"""How much fix's decoding changes exact match against the scoring this pipeline used before it.

    python bench/bench_decoding.py [--gguf models/quant/model-Q4_K_M.gguf] [--final data/final]

On evaluate's own stratified sample (params.yaml `evaluate.n_cases`, `base.seed`), the same GGUF answers
each case twice: the old rules (at most 64 new tokens, cut at the first `<|im_end|>` or newline, leading
newlines included, then strip; llama-cpp-python's own completion with those stop strings), and fix's
(`contract.FIX` through `infer.Corrector`, what evaluate now scores). Prints JSON: exact match both ways,
how many answers differ, and a few of them; with `--consumer`, also evaluate's identity_preserved, echo_rate
and acceptance checklist for the same GGUF (what a model trained before the identity rows scores).
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from cmd_correct import contract, infer, paths
from cmd_correct import params as params_mod
from cmd_correct.evaluate import acceptance, cases, exact


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--gguf", type=Path, default=paths.quant_gguf("Q4_K_M"))
    ap.add_argument("--final", type=Path, default=paths.FINAL)
    ap.add_argument("--params", type=Path, default=paths.PARAMS)
    ap.add_argument("--show", type=int, default=8, help="differing answers printed")
    ap.add_argument("--consumer", action="store_true", help="also identity_preserved, echo_rate, acceptance")
    args = ap.parse_args()
    raw = params_mod.load(args.params)
    ev = params_mod.section("evaluate", raw, path=args.params)
    os.environ.setdefault("OMP_WAIT_POLICY", ev.omp_wait_policy)
    seed = params_mod.base_seed(raw, args.params)
    every = cases.load_cases(args.final / "test.jsonl")
    sample = cases.stratified_sample(every, ev.n_cases, seed)
    consumer: dict = {}
    with infer.load(args.gguf, threads=ev.threads) as model:
        if args.consumer:
            identity = cases.identity_cases(every, ev.identity_cases, seed)
            kept = [a.text for a in model.correct_many([(c.name, c.command) for c in identity], parallel=ev.parallel)]
            rows = acceptance.run(model)
            consumer = exact.identity(identity, kept) | acceptance.summary(rows) | {"load_ms": round(model.load_ms, 1)}
            consumer["acceptance_failed"] = [f"{r['name']}: {r['command']!r} -> {r['answer']!r}" for r in rows
                                             if not r["passed"]]  # fmt: skip
        new = [a.text for a in model.correct_many([(c.name, c.command) for c in sample], parallel=ev.parallel)]
        old = []
        for c in sample:
            out = model.llm.create_completion(
                contract.render_prompt(c.name, c.command),
                max_tokens=64,
                temperature=0.0,
                top_k=1,
                repeat_penalty=1.0,
                stop=[contract.IM_END, "\n"],
            )
            old.append(out["choices"][0]["text"].strip())
    scored = exact.score(sample, new)
    differ = [
        {"id": c.id, "command": c.command, "expected": c.expected, "old": o, "fix": n}
        for c, o, n in zip(sample, old, new, strict=True)
        if o != n
    ]
    print(
        json.dumps(
            {
                "gguf": str(args.gguf),
                "n_cases": len(sample),
                "exact_match_old": exact.score(sample, old)["exact_match"],
                "exact_match_fix": scored["exact_match"],
                "echo_rate_fix": scored["echo_rate"],
                "answers_changed": len(differ),
                "examples": differ[: args.show],
                **consumer,
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
