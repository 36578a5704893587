"""card: the model card's front matter parsed back (huggingface_hub ModelCard.load and plain YAML) and its body."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
import yaml
from huggingface_hub import ModelCard

from cmd_correct import card, contract

METRICS = {
    "f16": {
        "exact_match": 0.41,
        "exact_match_by_shell": dict.fromkeys(contract.SHELLS, 0.4),
        "ppl": 3.1,
        "ppl_ratio": 1.0,
    },
    "Q4_K_M": {
        "exact_match": 0.3912,
        "exact_match_by_shell": {"bash": 0.43, "zsh": 0.42, "powershell": 0.36, "cmd": 0.33, "fish": 0.37, "tcsh": 0.3},
        "exact_match_by_family": {"single": 0.5, "chained": 0.3, "natural": 0.25, "tools": 0.45},
        "ppl": 3.3,
        "ppl_ratio": 1.07,
        "kld_mean": 0.061,
        "kld_p99": 0.9,
        "same_top_pct": 85.7,
        "latency_ms_p50": 330,
        "latency_ms_p95": 610,
        "tokens_per_s": 72.0,
        "size_mb": 101.5,
    },
    "baselines": {"base": {"exact_match": 0.02}, "thefuck": {"exact_match": 0.12, "n_cases": 140}},
    "settings": {"threads": 2, "omp_wait_policy": "passive", "n_cases": 1000},
}


def _inputs(**kw) -> card.CardInputs:
    args = dict(
        version="0.1.0",
        repo_id="someone/cmd-correct",
        model_name="cmd-correct-smollm2-135m",
        quant_type="Q4_K_M",
        license="apache-2.0",
        base_model="HuggingFaceTB/SmolLM2-135M-Instruct",
        tags=["shell", "cmd-correct"],
        metrics=copy.deepcopy(METRICS),
        params={"base": {"seed": 42, "model": "embedded:smollm2-135m"}, "train": {"rank": 16}},
        git_sha="a" * 40,
        dvc_lock_sha256="b" * 64,
        quant_meta={
            "types": {"Q4_K_M": {"fallback_tensors": 90, "n_tensors": 272, "fallback_to": {"q5_0": 60, "q8_0": 30}}}
        },
    )
    args.update(kw)
    return card.CardInputs(**args)


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    path = tmp_path / "README.md"
    card.build(_inputs()).save(path)
    return path


def test_front_matter_parses_back_with_every_required_field(saved: Path) -> None:
    data = ModelCard.load(saved).data
    assert data.license == "apache-2.0"
    assert data.base_model == "HuggingFaceTB/SmolLM2-135M-Instruct"
    assert data.pipeline_tag == "text-generation"
    assert {"gguf", "llama.cpp", "Q4_K_M", "shell"} <= set(data.tags)
    assert data.model_name == "cmd-correct-smollm2-135m"
    results = {r.metric_config: r for r in data.eval_results}
    assert results[None].metric_type == "exact_match" and results[None].metric_value == pytest.approx(0.3912)
    assert {s: results[s].metric_value for s in contract.SHELLS} == METRICS["Q4_K_M"]["exact_match_by_shell"]
    assert all(r.dataset_split == "test" and r.task_type == "text-generation" for r in data.eval_results)


def test_front_matter_is_plain_yaml_with_a_model_index(saved: Path) -> None:
    text = saved.read_text()
    m = re.match(r"^---\n(.*?)\n---\n", text, re.S)
    assert m, "the card must start with YAML front matter"
    meta = yaml.safe_load(m[1])
    index = meta["model-index"][0]
    assert index["name"] == "cmd-correct-smollm2-135m"
    metrics = index["results"][0]["metrics"]
    assert len(metrics) == 1 + len(contract.SHELLS)


def test_body_has_every_section_and_the_contract_prompt_from_contract_py(saved: Path) -> None:
    body = ModelCard.load(saved).text
    for heading in (
        "## Prompt contract",
        "## Use it with the `fix` CLI",
        "## Use it with llama.cpp",
        "## Training data and parameters",
        "## Evaluation",
        "### Exact match per shell",
        "### Baselines on the same split",
        "## Limitations",
        "## Provenance",
    ):
        assert heading in body
    assert contract.render_prompt("bash", "gti status") in body
    assert "cmd-correct-smollm2-135m.gguf" in body and "someone/cmd-correct" in body
    assert "| Q4_K_M | 39.1% | n/a | 3.300 | 1.070 | 0.0610 |" in body  # no equivalent_match in this metrics.json
    assert "| tcsh | 40.0% | 30.0% |" in body
    assert "| thefuck | 12.0% | 140 |" in body
    assert "rank: 16" in body
    assert "The base weights were `embedded:smollm2-135m`" in body
    assert "a" * 40 in body and "b" * 64 in body


def test_fallback_tensor_note_only_when_meta_reports_it() -> None:
    assert (
        "90 of 272 tensors of this Q4_K_M file fell back to another quantization type (q5_0: 60, q8_0: 30)"
        in card.body(_inputs())
    )
    assert "fell back" not in card.body(_inputs(quant_meta={"types": {"Q4_K_M": {"fallback_tensors": 0}}}))
    assert "fell back" not in card.body(_inputs(quant_meta=None))
    assert "fell back" not in card.body(_inputs(quant_meta={"types": {"Q4_K_M": {"size": 1}}}))


def test_missing_optional_metrics_render_as_na_not_a_crash() -> None:
    metrics = {"Q4_K_M": {"exact_match": 0.2}}
    c = card.build(_inputs(metrics=metrics, quant_meta=None))
    assert "| Q4_K_M | 20.0% | n/a |" in c.text
    assert [r.metric_config for r in c.data.eval_results] == [None]


def test_latency_split_lists_each_thread_count_and_the_cached_prefix_only_when_swept() -> None:
    metrics = copy.deepcopy(METRICS)
    assert "Latency by thread count" not in card.body(_inputs(metrics=metrics))  # one count, nothing cached
    metrics["Q4_K_M"]["latency_by_threads"] = {
        "1": {"latency_ms_p50": 273, "latency_ms_p95": 513, "prompt_ms_p50": 150, "generate_ms_p50": 120},
        "2": {"latency_ms_p50": 401, "latency_ms_p95": 771, "prompt_ms_p50": 120, "generate_ms_p50": 280},
    }
    metrics["Q4_K_M"]["cached_prefix"] = {"latency_ms_p50": 222, "latency_ms_p95": 460, "prompt_ms_p50": 99}
    text = card.body(_inputs(metrics=metrics))
    section = text[text.index("### Latency by thread count") :]
    assert "| Q4_K_M | 1 | uncached | 273 | 513 | 150 | 120 |" in section
    assert "| Q4_K_M | 2 | uncached | 401 | 771 | 120 | 280 |" in section
    assert "| Q4_K_M | 2 | system prompt restored | 222 | 460 | 99 | |" in section


def test_root_card_merge_keeps_every_other_model():
    other = (
        "---\nlicense: apache-2.0\nbase_model: Qwen/Qwen3-1.7B\ntags: [gguf, wit]\nmodel-index:\n"
        "- name: qwen3-wit-1.7B\n  results: []\n---\n\n<!-- cmd-correct:models -->\n"
        "| model | file | version | pin (Hub tag) | exact match | valid commands kept | card |\n"
        "|---|---|---|---|---|---|---|\n"
        "| qwen3-wit-1.7B | `qwen3-wit-1.7B.gguf` (Q4_K_M) | 0.3.0 | `qwen3-wit-1.7B-v0.3.0` | 70.0% | n/a | x |\n"
        "<!-- /cmd-correct:models -->\n"
    )
    merged = card.merge_root(other, _inputs(hub_tag="cmd-correct-smollm2-135m-v1.2.0"))
    meta = yaml.safe_load(merged.split("---\n")[1])
    assert [e["name"] for e in meta["model-index"]][0] == "qwen3-wit-1.7B" and len(meta["model-index"]) == 2
    assert "Qwen/Qwen3-1.7B" in meta["base_model"] and "wit" in meta["tags"]
    assert "| qwen3-wit-1.7B | `qwen3-wit-1.7B.gguf` (Q4_K_M) | 0.3.0 |" in merged
    assert merged.count("| cmd-correct-smollm2-135m |") == 1
    again = card.merge_root(merged, _inputs(hub_tag="cmd-correct-smollm2-135m-v1.3.0", version="1.3.0"))
    assert again.count("| cmd-correct-smollm2-135m |") == 1 and "v1.3.0" in again and "v1.2.0" not in again
    # nothing there yet, or a card whose front matter is unreadable: this model's entry alone, no crash
    assert "| cmd-correct-smollm2-135m |" in card.merge_root(None, _inputs())
    assert "model-index" in card.merge_root("---\n: [\n---\nhello\n", _inputs())


def test_a_wit_card_shows_wits_prompt_and_what_the_tools_are_worth() -> None:
    metrics = copy.deepcopy(METRICS)
    by_shell = metrics["Q4_K_M"]["exact_match_by_shell"]
    metrics["Q4_K_M"]["without_tools"] = {
        "exact_match": 0.30, "exact_match_by_shell": {s: 0.25 for s in by_shell}, "exact_match_by_family": {},
        "n_cases": 1000,
    }  # fmt: skip
    text = card.body(_inputs(model_name="qwen3-wit-1.7B", params={"base": {"consumer": "wit"}}, metrics=metrics))
    assert "Use the provided tool results to generate the correct command. /no_think" in text
    assert "Input: gti status\n\nTool results:\n- which_binary(git): /usr/bin/git\n" in text
    assert "`fix -m" not in text and 'wit -m qwen3-wit-1.7B "gti status"' in text
    assert "### What wit's tool results are worth (Q4_K_M)" in text
    assert "| **all** | 39.1% | 30.0% | +9.1 pts |" in text
    fix_text = card.body(_inputs())
    assert "tool results" not in fix_text and "Output only the corrected command" in fix_text


def test_an_imported_dataset_is_not_described_as_the_pipelines_own() -> None:
    text = card.body(_inputs(params={"generate": {"source": "import"}}))
    assert "imported by the `cmd-correct` pipeline" in text and "deterministic synthetic" not in text
    assert "deterministic synthetic dataset" in card.body(_inputs(params={"generate": {"source": "builtin"}}))
