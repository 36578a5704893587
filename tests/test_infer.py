"""The one inference helper: contract prompt, greedy, stops at <|im_end|> or newline (real llama.cpp)."""

import pytest

from cmd_correct import contract, infer, paths
from cmd_correct.errors import ModelError


@pytest.fixture(scope="module")
def corrector(tiny_f16_dir):
    with infer.load(paths.f16_gguf(tiny_f16_dir), threads=1, max_tokens=12) as c:
        yield c


def test_prompt_is_the_contract_prompt(corrector, monkeypatch):
    seen = []
    real = contract.render_prompt
    monkeypatch.setattr(contract, "render_prompt", lambda s, c, **kw: seen.append((s, c)) or real(s, c, **kw))
    out = corrector.correct("zsh", "gti status")
    assert seen == [("zsh", "gti status")]
    expected = corrector.llm.tokenize(real("zsh", "gti status").encode(), add_bos=True, special=True)
    assert out.prompt_tokens == len(expected)
    # the ChatML markers are single special tokens, not text
    assert corrector.llm.tokenize(contract.IM_START.encode(), add_bos=False, special=True).__len__() == 1


def test_greedy_is_deterministic_and_clean(corrector):
    a = corrector.correct("bash", "sl -la")
    b = corrector.correct("bash", "sl -la")
    assert a.text == b.text and a.raw == b.raw
    assert "\n" not in a.text and contract.IM_END not in a.text
    assert a.text == contract.clean_completion(a.raw)
    assert 1 <= a.completion_tokens <= 12
    assert a.latency_ms >= a.first_token_ms > 0


def test_no_kv_reuse_between_calls(corrector):
    """Each call pays its whole prompt (as one `fix` CLI call does): the first call's state is not reused."""
    first = corrector.correct("cmd", "dri")
    corrector.correct("cmd", "dri /w")
    assert corrector.correct("cmd", "dri").text == first.text
    assert corrector.llm.n_tokens <= first.prompt_tokens + 12


def test_missing_model_is_a_model_error(tmp_path):
    with pytest.raises(ModelError) as err:
        infer.load(tmp_path / "none.gguf")
    assert err.value.path == str(tmp_path / "none.gguf")
