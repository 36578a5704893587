"""Training data shared by the backends: `messages` rows -> token ids with the loss on the answer only.

A row of data/final/{train,valid}.jsonl holds `messages` (system, user, assistant) built by
`contract.messages`. The prompt is rendered by the tokenizer's chat template and must equal the consumer
contract's `render_prompt` byte for byte (otherwise the model would learn a prompt the CLI never sends);
the target is the assistant text followed by the end-of-turn token. The system message says which consumer
(fix or wit) and shell a row is for.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .. import contract
from ..errors import DataError, DataErrors, ModelError
from ..io import iter_jsonl

IGNORE = -100  # label value the loss skips (prompt and padding)
ROLES = ("system", "user", "assistant")


@dataclass
class Example:
    shell: str  # from the system prompt
    command: str  # the user turn (what the consumer sends: fix's command, wit's command and tool results)
    correction: str  # the assistant turn (what we train towards)
    consumer: str = "fix"  # from the system prompt (contract.CONSUMERS)


def read_split(path: str | Path) -> list[Example]:
    """Read a `messages` jsonl split; every malformed row is reported (file, line, field) in one error."""
    path = Path(path)
    if not path.is_file():
        raise DataError(path, None, None, "file not found (run the prepare stage first)")
    prompts = contract.system_prompts()
    rows, problems = [], []
    for lineno, obj in iter_jsonl(path):
        msgs = obj.get("messages")
        if not isinstance(msgs, list) or [m.get("role") if isinstance(m, dict) else None for m in msgs] != list(ROLES):
            problems.append(DataError(path, lineno, "messages", "expected [system, user, assistant] messages"))
            continue
        texts = [m.get("content") for m in msgs]
        if not all(isinstance(t, str) and t.strip() for t in texts):
            problems.append(DataError(path, lineno, "messages.content", "every message needs non-empty text"))
            continue
        found = prompts.get(texts[0])
        if found is None:
            problems.append(DataError(path, lineno, "messages[0].content", "not the contract's system prompt"))
            continue
        consumer, shell = found
        rows.append(Example(shell, texts[1], texts[2], consumer))
    if problems:
        raise DataErrors(problems)
    if not rows:
        raise DataError(path, None, None, "no rows")
    return rows


def check_template(tokenizer) -> None:
    """Raise ModelError when the tokenizer's chat template renders a prompt unlike the consumer contract."""
    shell, command = contract.SHELLS[0], "gti status"
    rendered = tokenizer.apply_chat_template(
        contract.messages(shell, command), tokenize=False, add_generation_prompt=True
    )
    expected = contract.render_prompt(shell, command)
    if rendered != expected:
        raise ModelError(
            f"the base model's chat template renders {rendered!r}, but the consumer contract sends {expected!r}",
            field="chat_template",
        )


def _join(p_ids: list[int], a_ids: list[int], max_length: int) -> tuple[list[int], list[int]] | None:
    """(input ids, labels) of a tokenized prompt and answer, labels IGNORE on the prompt; None when too long."""
    if len(p_ids) + len(a_ids) > max_length:
        return None
    return p_ids + a_ids, [IGNORE] * len(p_ids) + a_ids


def encode(tokenizer, example: Example, max_length: int) -> tuple[list[int], list[int]] | None:
    """(input ids, labels) for one example, labels IGNORE on the prompt; None when the answer is cut off.

    Prompt and answer are tokenized apart and concatenated, so the boundary is exact whatever the BPE.
    The prompt is `contract.render_prompt`, which `check_template` proves equal to the chat template's.
    """
    prompt = contract.render_prompt(example.shell, example.command, consumer=example.consumer)
    p_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    a_ids = tokenizer(contract.render_answer(example.correction), add_special_tokens=False)["input_ids"]
    return _join(p_ids, a_ids, max_length)


@dataclass
class Encoded:
    input_ids: list[list[int]]
    labels: list[list[int]]
    dropped: int  # examples longer than max_length (left out rather than trained on a cut answer)

    @property
    def lengths(self) -> list[int]:
        return [len(x) for x in self.input_ids]


def encode_all(tokenizer, examples: list[Example], max_length: int) -> Encoded:
    """Encode a split, leaving out (and counting) the examples that do not fit in max_length.

    Prompts come from `contract.render_prompt` (check_template proves the chat template renders the same
    text) and are tokenized in one batch: rendering 100k+ Jinja templates one by one takes minutes.
    """
    check_template(tokenizer)
    prompts = [contract.render_prompt(ex.shell, ex.command, consumer=ex.consumer) for ex in examples]
    p_ids = tokenizer(prompts, add_special_tokens=False)["input_ids"]
    a_ids = tokenizer([contract.render_answer(ex.correction) for ex in examples], add_special_tokens=False)["input_ids"]
    pairs = [_join(p, a, max_length) for p, a in zip(p_ids, a_ids, strict=True)]
    kept = [pair for pair in pairs if pair is not None]
    return Encoded([x for x, _ in kept], [y for _, y in kept], len(pairs) - len(kept))


class LazySplit:
    """A split encoded row by row on first use: a short run touches a few thousand of 100k+ rows, and
    encoding them all up front would take a large share of the CPU budget."""

    def __init__(self, tokenizer, examples: list[Example], max_length: int):
        check_template(tokenizer)
        self.tokenizer, self.examples, self.max_length = tokenizer, examples, max_length
        self._cache: dict[int, tuple[list[int], list[int]] | None] = {}
        self.dropped = 0  # rows seen so far that do not fit in max_length (left out of their batch)
        self.max_tokens = 0  # longest encoded row seen so far

    def __len__(self) -> int:
        return len(self.examples)

    def get(self, i: int) -> tuple[list[int], list[int]] | None:
        if i not in self._cache:
            pair = encode(self.tokenizer, self.examples[i], self.max_length)
            self._cache[i] = pair
            if pair is None:
                self.dropped += 1
            else:
                self.max_tokens = max(self.max_tokens, len(pair[0]))
        return self._cache[i]

    def length(self, i: int) -> int:
        """Tokens of row `i` (0 for a row left out as too long)."""
        pair = self.get(i)
        return len(pair[0]) if pair else 0

    def batches(self, batch_size: int, seed: int, window: int) -> Batches:
        """Length-bucketed micro-batches of this split, one shell per batch (see Batches)."""
        return Batches([ex.shell for ex in self.examples], self.length, batch_size, seed, window)

    def rows(self, indices: list[int]) -> list[tuple[list[int], list[int]]]:
        """The encoded rows among `indices` (over-long ones left out)."""
        return [pair for pair in map(self.get, indices) if pair is not None]


def batch_indices(n: int, batch_size: int, step: int, seed: int) -> list[int]:
    """Row indices of micro-batch number `step`: a fresh seeded shuffle each epoch, so a resumed run
    sees exactly the batches the uninterrupted run would have seen."""
    per_epoch = max(1, n // batch_size)
    epoch, k = divmod(step, per_epoch)
    return _epoch_order(n, seed, epoch)[k * batch_size : (k + 1) * batch_size]


def _epoch_order(n: int, seed: int, epoch: int) -> list[int]:
    import random

    order = list(range(n))
    random.Random(seed * 1_000_003 + epoch).shuffle(order)
    return order


class Batches:
    """Micro-batches of row indices, length-bucketed: each epoch's seeded shuffle is read in windows of
    `window` batches; within a window each group's rows (a shell: one shared system prompt) are sorted by
    length and cut into batches, whose order is then shuffled. A group's leftover rows (fewer than a batch)
    carry over to the next window; the last window's leftovers form the epoch's final batches. A batch so
    holds one shell and rows of similar length (little padding), and each epoch still visits its rows in
    a seeded order that a resumed run recomputes. Windows are built as steps reach them, so `length` is
    asked only for rows about to be trained on. `window=0` is the plain shuffled order (`batch_indices`).
    """

    def __init__(self, groups: list[str], length, batch_size: int, seed: int, window: int):
        self.groups, self.length = groups, length
        self.batch_size, self.seed, self.window = batch_size, seed, window
        self.per_epoch = max(1, len(groups) // batch_size)
        self._epoch = -1
        self._batches: list[list[int]] = []

    def __call__(self, step: int) -> list[int]:
        """Row indices of micro-batch number `step` (counted over epochs)."""
        if not self.window:
            return batch_indices(len(self.groups), self.batch_size, step, self.seed)
        epoch, k = divmod(step, self.per_epoch)
        if epoch != self._epoch:
            self._epoch, self._batches = epoch, []
            self._windows = self._bucketed(epoch)
        while len(self._batches) <= k:
            self._batches += next(self._windows)
        return self._batches[k]

    def _bucketed(self, epoch: int):
        import random

        bs, span = self.batch_size, self.batch_size * self.window
        order = _epoch_order(len(self.groups), self.seed, epoch)[: self.per_epoch * bs]
        rng = random.Random(self.seed * 1_000_003 + epoch + 7_919)
        carry: dict[str, list[int]] = {}
        for start in range(0, len(order), span):
            for i in order[start : start + span]:
                carry.setdefault(self.groups[i], []).append(i)
            out: list[list[int]] = []
            for group in sorted(carry):
                rows = sorted(carry[group], key=lambda i: (self.length(i), i))
                full = len(rows) - len(rows) % bs
                out += [rows[j : j + bs] for j in range(0, full, bs)]
                carry[group] = rows[full:]
            if start + span >= len(order):  # the epoch's leftovers: mixed batches, still length-sorted
                rest = sorted((i for g in sorted(carry) for i in carry[g]), key=lambda i: (self.groups[i], i))
                out += [rest[j : j + bs] for j in range(0, len(rest), bs)]
            rng.shuffle(out)
            yield out


def shared_prefix(rows: list[tuple[list[int], list[int]]]) -> int:
    """Tokens every row starts with that no row supervises, at most one short of the first labelled one:
    the system prompt (and `<|im_start|>user\n`) that rows of one shell share, computed once per batch."""
    if len(rows) < 2:
        return 0
    first = rows[0][0]
    limit = min(next((i for i, y in enumerate(labels) if y != IGNORE), len(labels)) for _, labels in rows) - 1
    n = 0
    while n < limit and all(ids[n] == first[n] for ids, _ in rows):
        n += 1
    return n


def collate(rows: list[tuple[list[int], list[int]]], pad_id: int):
    """Right-padded tensors (input_ids, attention_mask, labels) for encoded (ids, labels) rows."""
    import torch

    width = max(len(ids) for ids, _ in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    labels = torch.full((len(rows), width), IGNORE, dtype=torch.long)
    for row, (x, y) in enumerate(rows):
        ids[row, : len(x)] = torch.tensor(x)
        mask[row, : len(x)] = 1
        labels[row, : len(y)] = torch.tensor(y)
    return ids, mask, labels


def base_valid_loss(history: list[dict]) -> float | None:
    """The valid loss logged at step 0, before any update: the untuned base model's."""
    return next((r["valid_loss"] for r in history if r["step"] == 0 and "valid_loss" in r), None)
