"""Training data shared by the backends: `messages` rows -> token ids with the loss on the answer only.

A row of data/final/{train,valid}.jsonl holds `messages` (system, user, assistant) built by
`contract.messages`. The prompt is rendered by the tokenizer's chat template and must equal the consumer
contract's `render_prompt` byte for byte (otherwise the model would learn a prompt the `fix` CLI never
sends); the target is the assistant text followed by the end-of-turn token.
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
    command: str  # the user turn (what the consumer sends)
    correction: str  # the assistant turn (what we train towards)


def read_split(path: str | Path) -> list[Example]:
    """Read a `messages` jsonl split; every malformed row is reported (file, line, field) in one error."""
    path = Path(path)
    if not path.is_file():
        raise DataError(path, None, None, "file not found (run the prepare stage first)")
    prompts = {contract.system_prompt(s): s for s in contract.SHELLS}
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
        shell = prompts.get(texts[0])
        if shell is None:
            problems.append(DataError(path, lineno, "messages[0].content", "not the contract's system prompt"))
            continue
        rows.append(Example(shell, texts[1], texts[2]))
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
            f"the base model's chat template renders {rendered!r}, but the consumer contract sends {expected!r}"
        )


def encode(tokenizer, example: Example, max_length: int) -> tuple[list[int], list[int]] | None:
    """(input ids, labels) for one example, labels IGNORE on the prompt; None when the answer is cut off.

    Prompt and answer are tokenized apart and concatenated, so the boundary is exact whatever the BPE.
    """
    prompt = tokenizer.apply_chat_template(
        contract.messages(example.shell, example.command), tokenize=False, add_generation_prompt=True
    )
    answer = f"{example.correction}{contract.IM_END}\n"
    p_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    a_ids = tokenizer(answer, add_special_tokens=False)["input_ids"]
    if len(p_ids) + len(a_ids) > max_length:
        return None
    return p_ids + a_ids, [IGNORE] * len(p_ids) + a_ids


@dataclass
class Encoded:
    input_ids: list[list[int]]
    labels: list[list[int]]
    dropped: int  # examples longer than max_length (left out rather than trained on a cut answer)

    @property
    def lengths(self) -> list[int]:
        return [len(x) for x in self.input_ids]


def encode_all(tokenizer, examples: list[Example], max_length: int) -> Encoded:
    """Encode a split, leaving out (and counting) the examples that do not fit in max_length."""
    ids, labels, dropped = [], [], 0
    for ex in examples:
        pair = encode(tokenizer, ex, max_length)
        if pair is None:
            dropped += 1
            continue
        ids.append(pair[0])
        labels.append(pair[1])
    return Encoded(ids, labels, dropped)


def batch_indices(n: int, batch_size: int, step: int, seed: int) -> list[int]:
    """Row indices of micro-batch number `step`: a fresh seeded shuffle each epoch, so a resumed run
    sees exactly the batches the uninterrupted run would have seen."""
    import random

    per_epoch = max(1, n // batch_size)
    epoch, k = divmod(step, per_epoch)
    order = list(range(n))
    random.Random(seed * 1_000_003 + epoch).shuffle(order)
    return order[k * batch_size : (k + 1) * batch_size]


def collate(enc: Encoded, indices: list[int], pad_id: int):
    """Right-padded tensors (input_ids, attention_mask, labels) for the rows `indices`."""
    import torch

    width = max(len(enc.input_ids[i]) for i in indices)
    ids = torch.full((len(indices), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(indices), width), dtype=torch.long)
    labels = torch.full((len(indices), width), IGNORE, dtype=torch.long)
    for row, i in enumerate(indices):
        n = len(enc.input_ids[i])
        ids[row, :n] = torch.tensor(enc.input_ids[i])
        mask[row, :n] = 1
        labels[row, :n] = torch.tensor(enc.labels[i])
    return ids, mask, labels
