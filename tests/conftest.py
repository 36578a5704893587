"""Shared pytest fixtures. Helpers add fixtures here; keep edits small and additive."""

from __future__ import annotations

from pathlib import Path

import pytest

TINY_SEED = 1234


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random-weight Llama model (2 layers, hidden 64, 4 heads) with the real SmolLM2 tokenizer.

    Saved like models/base (safetensors, tokenizer.json, ChatML chat template, generation_config), so
    every stage can run on it in seconds. Deterministic from TINY_SEED. Read-only: copy it to modify.
    """
    import torch
    from transformers import GenerationConfig, LlamaConfig, LlamaForCausalLM

    from cmd_correct import base

    out = tmp_path_factory.mktemp("tiny_model")
    tok = base.embedded_tokenizer()
    config = LlamaConfig(
        vocab_size=len(tok),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=4,
        max_position_embeddings=512,
        tie_word_embeddings=True,
        bos_token_id=tok.bos_token_id,
        eos_token_id=tok.eos_token_id,
        pad_token_id=tok.pad_token_id,
    )
    torch.manual_seed(TINY_SEED)
    model = LlamaForCausalLM(config)
    model.generation_config = GenerationConfig(
        bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id
    )
    model.save_pretrained(out, safe_serialization=True)
    base.save_tokenizer(tok, out)
    return out
