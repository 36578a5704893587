"""The one inference helper: load a GGUF with llama-cpp-python and correct a command.

Prompts come from `contract.render_prompt`; decoding is greedy and stops at `<|im_end|>` (or the
model's end-of-generation token) or at the first newline, exactly as the `fix` CLI does. Every call
starts from an empty KV cache, so latency is that of one CLI call minus the model load.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from . import contract
from .errors import ModelError

DEFAULT_MAX_TOKENS = 64  # one corrected command; longer answers are cut (and count as wrong)


def import_llama_cpp():
    """Import llama_cpp bound to the toolchain's libraries (LLAMA_CPP_LIB_PATH must be set first)."""
    if not os.environ.get("LLAMA_CPP_LIB_PATH"):
        from .gguf import toolchain

        os.environ["LLAMA_CPP_LIB_PATH"] = str(toolchain().lib)
    import llama_cpp

    return llama_cpp


@dataclass(frozen=True)
class Correction:
    """One corrected command and what it cost."""

    text: str  # cleaned answer (contract.clean_completion)
    raw: str  # what the model generated before cleaning
    prompt_tokens: int
    completion_tokens: int  # tokens sampled, the stop token included
    latency_ms: float  # tokenize + prompt eval + generation
    first_token_ms: float  # time to the first sampled token (prompt eval)
    decode_s: float  # time spent generating after the first token


class Corrector:
    """A loaded GGUF that corrects commands with the contract prompt."""

    def __init__(
        self,
        model_path: str | Path,
        *,
        threads: int = 2,
        n_ctx: int = 512,
        max_tokens: int = DEFAULT_MAX_TOKENS,
        seed: int = 0,
    ):
        llama_cpp = import_llama_cpp()
        path = Path(model_path)
        if not path.is_file():
            raise ModelError(f"{path}: model file not found")
        try:
            self.llm = llama_cpp.Llama(
                model_path=str(path), n_ctx=n_ctx, n_threads=threads, n_threads_batch=threads, seed=seed, verbose=False
            )
        except ValueError as e:  # llama-cpp-python's "Failed to load model from file"
            raise ModelError(f"{path}: llama.cpp could not load it: {e}") from None
        self.path, self.threads, self.max_tokens = path, threads, max_tokens
        im_end = self.llm.tokenize(contract.IM_END.encode(), add_bos=False, special=True)
        self.stop_ids = {self.llm.token_eos(), *(im_end if len(im_end) == 1 else ())}

    def correct(self, shell: str, command: str) -> Correction:
        """Greedy correction of `command` for `shell`."""
        llm = self.llm
        start = time.perf_counter()
        llm.reset()  # no prefix reuse between calls: each correction pays its full prompt, as in the CLI
        prompt = llm.tokenize(contract.render_prompt(shell, command).encode(), add_bos=True, special=True)
        out: list[int] = []
        first = last = None
        n_sampled = 0
        for tok in llm.generate(prompt, temp=0.0, top_k=1, top_p=1.0, min_p=0.0, repeat_penalty=1.0, reset=True):
            last = time.perf_counter()
            first = first or last
            n_sampled += 1
            if tok in self.stop_ids:
                break
            out.append(tok)
            if b"\n" in llm.detokenize(out) or len(out) >= self.max_tokens:
                break
        end = time.perf_counter()
        raw = llm.detokenize(out).decode("utf-8", errors="replace")
        first = first or end
        return Correction(
            text=contract.clean_completion(raw),
            raw=raw,
            prompt_tokens=len(prompt),
            completion_tokens=n_sampled,
            latency_ms=(end - start) * 1000,
            first_token_ms=(first - start) * 1000,
            decode_s=(last or end) - first,
        )

    def close(self) -> None:
        self.llm.close()

    def __enter__(self) -> Corrector:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def load(model_path: str | Path, **kwargs) -> Corrector:
    """A Corrector for a GGUF file (kwargs: threads, n_ctx, max_tokens, seed)."""
    return Corrector(model_path, **kwargs)
