"""Write the generated rows: one jsonl per family plus meta.json, all in one atomic folder swap."""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path
from typing import Any

from .. import contract
from ..io import atomic_dir, write_jsonl, write_meta

FIELDS = (
    "id", "shell", "family", "category", "tool", "command", "correction", "edit", "error", "group", "split", "slots",
)  # fmt: skip


def row_id(shell: str, command: str) -> str:
    """Stable id: the same (shell, input) always gets the same id."""
    digest = hashlib.sha1((shell + "\0" + command).encode()).hexdigest()
    return f"{shell}-{digest[:12]}"


def write_dataset(
    out_dir: str | Path,
    families: dict[str, list[dict]],
    *,
    params: dict[str, Any],
    inputs: dict[str, Path] | None = None,
) -> dict:
    """Write `<family>.jsonl` for every family and meta.json; returns the meta dict. `params`: the recorded
    params meta.json holds; `inputs`: name -> file the rows were read from (an import), hashed into meta.json;
    they and their folders are guarded like any stage input (the output may not be one, hold one or sit in one)."""
    inputs = inputs or {}
    guarded = sorted({*inputs.values(), *(Path(p).parent for p in inputs.values())})
    with atomic_dir(out_dir, stage="generate", inputs=guarded) as tmp:
        counts: dict[str, int] = {}
        shells: Counter = Counter()
        for family in contract.FAMILIES:
            rows = families.get(family, [])
            ordered = (
                {k: (row_id(r["shell"], r["command"]) if k == "id" else r[k]) for k in FIELDS}
                | ({"prompt_shell": r["prompt_shell"]} if r.get("prompt_shell") else {})
                | ({"tool_results": r["tool_results"]} if "tool_results" in r else {})
                for r in rows
            )
            counts[family] = write_jsonl(tmp / f"{family}.jsonl", ordered)
            shells.update(r["shell"] for r in rows)
        meta = write_meta(
            tmp,
            "generate",
            params=params,
            inputs=inputs,
            rows=sum(counts.values()),
            families=counts,
            shells={s: shells[s] for s in contract.SHELLS},
            fields=list(FIELDS),
        )
    return meta
