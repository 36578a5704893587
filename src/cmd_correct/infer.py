"""The one inference helper: load a GGUF with llama-cpp-python and correct a command.

Prompts come from `contract.render_prompt`; decoding is greedy and read exactly as the `fix` CLI reads
it (`contract.Stream` over each sampled token's text, specials rendered: EOS or a `<|im_end|>` /
`<|im_start|>` piece stops, `<think>` blocks are dropped, a second line stops, 128 tokens at most, then
`contract.clean_answer`). `load_ms` is how long the GGUF took to load (fix's daemon has 5 s).

- `Corrector.correct`: one command from an empty KV cache, so its latency is that of one CLI call minus
  the model load (what latency and tokens/s are measured with).
- `Corrector.correct_many`: many commands decoded together, one llama.cpp sequence id per command in one
  context (continuous batching: a finished sequence's slot takes the next command). Same prompt, same
  greedy choice, same stops; it is how evaluate scores exact match.
"""

from __future__ import annotations

import codecs
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from . import contract
from .errors import ModelError

DEFAULT_THREADS = 2  # evaluate.threads' default: threads a Corrector uses when none are given


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

    text: str  # the answer fix prints (contract.Stream.answer)
    raw: str  # every sampled token's text, specials included (what the model generated)
    prompt_tokens: int
    completion_tokens: int  # tokens sampled, the stop token included
    latency_ms: float  # tokenize + prompt eval + generation
    first_token_ms: float  # time to the first sampled token (prompt eval)
    decode_s: float  # time spent generating after the first token


@dataclass(frozen=True)
class Answer:
    """One answer of a batched run (no timing: its sequences share every decode call)."""

    text: str  # the answer fix prints (contract.Stream.answer)
    raw: str  # every sampled token's text, specials included
    completion_tokens: int  # tokens sampled, the stop token included


@dataclass
class _Slot:
    index: int  # the request this sequence decodes
    pos: int  # position of the next token fed
    out: list[int]  # answer tokens so far
    stream: contract.Stream  # fix's reading of those tokens
    text: _Text  # their text, piece by piece
    row: int  # the batch row whose logits choose its next token (-1: none this step)


class _Text:
    """Token pieces as text: bytes decoded incrementally, so a character split over tokens stays whole."""

    def __init__(self, llm):
        self.llm, self.raw = llm, ""
        self._utf8 = codecs.getincrementaldecoder("utf-8")(errors="replace")

    def piece(self, token: int) -> str:
        text = self._utf8.decode(self.llm.detokenize([token], special=True))
        self.raw += text
        return text


def _add(batch, token: int, pos: int, seq: int, *, logits: bool) -> None:
    """Append one token of sequence `seq` at position `pos` to a llama_batch."""
    b, j = batch.batch, batch.batch.n_tokens
    b.token[j], b.pos[j], b.n_seq_id[j], b.logits[j] = token, pos, 1, logits
    b.seq_id[j][0] = seq
    b.n_tokens = j + 1


class Corrector:
    """A loaded GGUF that corrects commands with the contract prompt of `consumer` (fix or wit). `threads`,
    `n_ctx` and `max_tokens` left None take the consumer's decoding (`contract.FIX`, `contract.WIT`) and
    DEFAULT_THREADS. The `command` a method takes is the user turn: fix's is the command, wit's is
    `contract.user_turn(command, results, consumer="wit")` (see `user`)."""

    def __init__(
        self,
        model_path: str | Path,
        *,
        threads: int | None = None,
        n_ctx: int | None = None,
        max_tokens: int | None = None,
        seed: int = 0,
        consumer: str = "fix",
    ):
        threads = DEFAULT_THREADS if threads is None else threads
        self.consumer = contract.get(consumer).name
        dec = contract.get(consumer).decoding
        self.decoding = dec if max_tokens is None else contract.Decoding(**{**dec.__dict__, "max_tokens": max_tokens})
        llama_cpp = import_llama_cpp()
        path = Path(model_path)
        if not path.is_file():
            raise ModelError(f"{path}: model file not found", path=path)
        start = time.perf_counter()
        try:
            self.llm = llama_cpp.Llama(
                model_path=str(path),
                n_ctx=n_ctx or dec.n_ctx,
                n_batch=dec.n_batch,
                n_threads=threads,
                n_threads_batch=threads,
                seed=seed,
                verbose=False,
            )
        except ValueError as e:  # llama-cpp-python's "Failed to load model from file"
            raise ModelError(f"{path}: llama.cpp could not load it: {e}", path=path) from None
        self.load_ms = (time.perf_counter() - start) * 1000  # file to a ready context, as fix's daemon does
        self.path, self.threads, self.max_tokens = path, threads, self.decoding.max_tokens
        self._states: dict = {}  # shell -> saved state after its system prompt (head_state)
        self.stop_ids = {self.llm.token_eos()}  # stop texts are caught in the pieces (contract.Stream)
        self.known_shells = True  # False: any one-word shell name goes into the prompt (the `correct` command)

    def user(self, command: str, results: tuple[contract.ToolResult, ...] = ()) -> str:
        """The user turn this corrector's consumer sends for `command` (and wit's tool results)."""
        return contract.user_turn(command, results, consumer=self.consumer)

    def _prompt(self, shell: str, command: str) -> list[int]:
        text = contract.render_prompt(shell, command, known=self.known_shells, consumer=self.consumer)
        return self.llm.tokenize(text.encode(), add_bos=self.decoding.add_bos, special=True)

    def set_threads(self, generate: int, prompt: int) -> None:
        """Threads for generation (one token per call) and for prompt evaluation (llama.cpp's n_threads and
        n_threads_batch: separate settings, and the fastest counts for each can differ)."""
        import llama_cpp

        llama_cpp.llama_set_n_threads(self.llm.ctx, generate, prompt)

    def head_state(self, shell: str):
        """llama.cpp's saved state after `shell`'s system prompt (`_head`): what a CLI could keep on disk
        (llama_state_save_file) instead of evaluating the system prompt on every call."""
        if shell not in self._states:
            self.llm.reset()
            self.llm.eval(self._head(shell))
            self._states[shell] = self.llm.save_state()
        return self._states[shell]

    def correct(self, shell: str, command: str, *, cached_head: bool = False) -> Correction:
        """Greedy correction of `command` for `shell`; from an empty cache, or with `cached_head` from the
        restored system-prompt state (the restore is timed, the one-off save is not)."""
        llm = self.llm
        state = self.head_state(shell) if cached_head else None
        start = time.perf_counter()
        if state is not None:
            llm.load_state(state)  # generate() below reuses the matching prefix and evaluates the rest
        else:
            llm.reset()  # no prefix reuse between calls: each correction pays its full prompt, as in the CLI
        prompt = self._prompt(shell, command)
        stream, text = contract.Stream(self.decoding), _Text(llm)
        first = last = None
        for tok in llm.generate(prompt, temp=0.0, top_k=1, top_p=1.0, min_p=0.0, repeat_penalty=1.0, reset=True):
            last = time.perf_counter()
            first = first or last
            if tok in self.stop_ids:
                stream.tokens += 1
                break
            if stream.push(text.piece(tok)):
                break
        end = time.perf_counter()
        first = first or end
        return Correction(
            text=stream.answer(),
            raw=text.raw,
            prompt_tokens=len(prompt),
            completion_tokens=stream.tokens,
            latency_ms=(end - start) * 1000,
            first_token_ms=(first - start) * 1000,
            decode_s=(last or end) - first,
        )

    def correct_many(
        self,
        requests: Sequence[tuple[str, str]],
        *,
        parallel: int,
        share_prefix: bool = True,
        progress: Callable[[int], None] | None = None,
    ) -> list[Answer]:
        """Greedy corrections of (shell, command) pairs, `parallel` sequences decoded together.

        Each shell's system prompt is evaluated once into a sequence of its own, and a new request's
        sequence starts as a copy of those cells (llama.cpp's `seq_cp`: shared, not recomputed), so only
        the command and the answer are decoded per request. Every sequence attends to its own prompt only
        (its cells are dropped when it finishes), so an answer can differ from `correct`'s only where
        batched arithmetic flips a near-tie; evaluate measures how often on its latency sample.
        `progress(n_done)` is called as answers finish.
        """
        if not requests:
            return []
        prompts = [self._prompt(shell, command) for shell, command in requests]
        shells = sorted({shell for shell, _ in requests})
        heads = {sh: self._head(sh) for sh in shells}  # the shared system-prompt tokens per shell
        skip = [
            len(heads[sh]) if share_prefix and p[: len(heads[sh])] == heads[sh] else 0
            for (sh, _), p in zip(requests, prompts, strict=True)
        ]
        parallel = max(1, min(parallel, len(prompts)))
        head_seq = {sh: parallel + k for k, sh in enumerate(shells)}  # sequence ids after the decoding ones
        per_seq = max(map(len, prompts)) + self.max_tokens + 1
        n_batch = max(per_seq, sum(map(len, heads.values())), 8 * parallel + max(map(len, prompts)))
        ctx, batch = self._batch_context(
            per_seq * parallel + sum(map(len, heads.values())), n_batch, parallel + len(shells)
        )
        n_vocab = self.llm.n_vocab()
        answers: list[Answer | None] = [None] * len(prompts)
        slots: dict[int, _Slot] = {}  # seq id -> the request it decodes
        todo = iter(range(len(prompts)))
        pending = next(todo, None)
        done = 0
        try:
            for sh in shells:  # the system prompts, once
                for pos, tok in enumerate(heads[sh]):
                    _add(batch, tok, pos, head_seq[sh], logits=False)
            ctx.decode(batch)
            while slots or pending is not None:
                batch.reset()
                for seq, slot in slots.items():  # decoding sequences: feed the last sampled token
                    _add(batch, slot.out[-1], slot.pos, seq, logits=True)
                    slot.row, slot.pos = batch.n_tokens() - 1, slot.pos + 1
                for seq in range(parallel):  # refill free sequences while their prompt fits in this batch
                    if pending is None or seq in slots or batch.n_tokens() + len(prompts[pending]) > n_batch:
                        continue
                    prompt, start = prompts[pending], skip[pending]
                    if start:
                        ctx.kv_cache_seq_cp(head_seq[requests[pending][0]], seq, 0, start)
                    for pos in range(start, len(prompt)):
                        _add(batch, prompt[pos], pos, seq, logits=pos == len(prompt) - 1)
                    slots[seq] = _Slot(
                        pending, len(prompt), [], contract.Stream(self.decoding), _Text(self.llm), batch.n_tokens() - 1
                    )
                    pending = next(todo, None)
                ctx.decode(batch)
                for seq in [seq for seq, slot in slots.items() if self._step(ctx, slot, n_vocab)]:
                    slot = slots.pop(seq)
                    answers[slot.index] = Answer(slot.stream.answer(), slot.text.raw, slot.stream.tokens)
                    ctx.kv_cache_seq_rm(seq, -1, -1)
                    done += 1
                    if progress:
                        progress(done)
        finally:
            batch.close()
            ctx.close()
        return answers  # type: ignore[return-value]  # every request answered

    def _batch_context(self, n_ctx: int, n_batch: int, n_seq: int):
        """A llama.cpp context for `correct_many` beside `correct`'s (same model and settings) with one cell
        buffer for `n_seq` sequences, and a token batch of `n_batch`."""
        from llama_cpp import _internals

        llama_cpp = import_llama_cpp()
        cp = llama_cpp.llama_context_params.from_buffer_copy(self.llm.context_params)  # as `correct`'s context
        cp.n_ctx = n_ctx
        cp.n_batch = cp.n_ubatch = n_batch
        cp.n_seq_max = n_seq
        cp.n_threads = cp.n_threads_batch = self.threads
        cp.kv_unified = True  # one cell buffer, so a copied system prompt is shared, not duplicated
        ctx = _internals.LlamaContext(model=self.llm._model, params=cp, verbose=False)
        batch = _internals.LlamaBatch(n_tokens=n_batch, embd=0, n_seq_max=1, verbose=False)
        return ctx, batch

    def _step(self, ctx, slot: _Slot, n_vocab: int) -> bool:
        """Greedy: take `slot`'s next token from the batch's logits; True when its answer is complete."""
        import numpy as np

        logits = np.ctypeslib.as_array(ctx.get_logits_ith(slot.row), shape=(n_vocab,))
        tok = int(np.argmax(logits))
        slot.row = -1
        if tok in self.stop_ids:
            slot.stream.tokens += 1
            return True
        slot.out.append(tok)
        return slot.stream.push(slot.text.piece(tok))

    def _head(self, shell: str) -> list[int]:
        """Tokens every prompt for `shell` starts with: the system turn and `<|im_start|>user\\n` (from the
        contract's own rendering of two different commands, so no tokenizer merge is assumed)."""
        a, b = self._prompt(shell, "a"), self._prompt(shell, "b")
        n = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
        return a[:n]

    def close(self) -> None:
        self.llm.close()

    def __enter__(self) -> Corrector:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def load(model_path: str | Path, **kwargs) -> Corrector:
    """A Corrector for a GGUF file (kwargs: threads, n_ctx, max_tokens, seed, consumer; None: the consumer's)."""
    return Corrector(model_path, **kwargs)
