"""fuse: merge the LoRA adapter into the base model -> a plain HF folder (safetensors, tokenizer, chat template).

The merged folder is what llama.cpp's convert_hf_to_gguf.py reads; meta.json records the base and
adapter hashes so a later stage can tell which pair it came from. Like mlx-lm's fuse reading its
adapter_config, fuse reads the train stage's train_config.json (when the adapter has one) and refuses an
adapter whose LoRA settings are not the ones it says it was trained with (a folder mixing two runs).
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from . import io
from .errors import ModelError
from .params import recorded
from .paths import ADAPTER_FILES, TRAIN_CONFIG
from .progress import Progress, noop_progress

# Tokenizer and chat-template files copied from the base folder as they are (byte-identical).
TOKENIZER_FILES = (
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "chat_template.jinja",
    "tokenizer.model",
    "vocab.json",
    "merges.txt",
)


@dataclass
class Params:
    # merged weights' dtype; auto: the base's own (embedded fp32, Hub bf16)
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = "auto"
    max_shard_size: str = "5GB"  # safetensors shard size (one file for small models)


@dataclass
class Result:
    out: Path  # the merged model folder
    meta: dict  # what was written to meta.json


# train_config.json field -> adapter_config.json (PEFT) field that must hold the same LoRA setting
LORA_SETTINGS = {"rank": "r", "alpha": "lora_alpha", "target_modules": "target_modules"}


def check_adapter(adapter_dir: Path) -> None:
    """Raise ModelError unless `adapter_dir` holds a PEFT LoRA adapter trained as its train_config.json says."""
    missing = [name for name in ADAPTER_FILES if not (adapter_dir / name).is_file()]
    if missing:
        raise ModelError(
            f"{adapter_dir}: not a PEFT adapter, missing {', '.join(missing)} (run the train stage)",
            path=adapter_dir / missing[0],
        )
    if not (adapter_dir / TRAIN_CONFIG).is_file():  # a PEFT adapter from elsewhere: nothing to check it against
        return
    trained = io.read_json(adapter_dir / TRAIN_CONFIG)
    peft = io.read_json(adapter_dir / ADAPTER_FILES[0])
    for ours, theirs in LORA_SETTINGS.items():
        want, got = trained.get(ours), peft.get(theirs)
        if isinstance(want, list) and isinstance(got, list):
            want, got = sorted(want), sorted(got)
        if want != got:
            raise ModelError(
                f"{adapter_dir}: {TRAIN_CONFIG} says {ours} {want!r}, {ADAPTER_FILES[0]} has {theirs} {got!r} "
                "(the folder mixes two runs: rerun the train stage)",
                path=adapter_dir,
                field=ours,
            )


def base_dtype(base_dir: Path) -> str:
    """The dtype the base folder's weights are stored in (config.json `dtype` / `torch_dtype`; float32 if unsaid).

    A Hub base is bf16: fusing it in fp32 doubled models/fused (6.8 GB for Qwen3-1.7B) for no gain, since
    convert writes f16 from it anyway.
    """
    if not (base_dir / "config.json").is_file():
        raise ModelError(f"{base_dir}: no config.json (run the base stage first)", path=base_dir / "config.json")
    cfg = io.read_json(base_dir / "config.json")
    dtype = cfg.get("dtype") or cfg.get("torch_dtype") or "float32"
    if dtype not in ("float32", "bfloat16", "float16"):
        raise ModelError(
            f"{base_dir / 'config.json'}: dtype {dtype!r}; set fuse.dtype to float32, bfloat16 or float16",
            path=base_dir / "config.json",
            field="dtype",
            param="fuse.dtype",
        )
    return dtype


def merged_model(base_dir: Path, adapter_dir: Path, dtype: str = "float32"):
    """The base model with the adapter merged in (in memory), in `dtype`."""
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    if not (base_dir / "config.json").is_file():
        raise ModelError(f"{base_dir}: no config.json (run the base stage first)", path=base_dir / "config.json")
    check_adapter(adapter_dir)
    # Load in the target dtype: a 4B model in fp32 needs 16 GB of RAM. PEFT computes the LoRA delta in
    # fp32 (the adapter's dtype) and adds it to the weight, so a half-precision merge rounds once more.
    model = AutoModelForCausalLM.from_pretrained(base_dir, dtype=getattr(torch, dtype))
    model = PeftModel.from_pretrained(model, adapter_dir)
    return model.merge_and_unload()


def run(
    params: Params, base_dir: str | Path, adapter_dir: str | Path, out: str | Path, progress: Progress = noop_progress
) -> Result:
    """Write base + adapter merged to `out` (atomically) with tokenizer, chat template and meta.json."""
    base_dir, adapter_dir, out = Path(base_dir), Path(adapter_dir), Path(out)
    io.check_output(out, stage="fuse", inputs=[base_dir, adapter_dir])
    progress("fuse", 0, 2)
    dtype = base_dtype(base_dir) if params.dtype == "auto" else params.dtype
    model = merged_model(base_dir, adapter_dir, dtype)
    progress("fuse", 1, 2)
    with io.atomic_dir(out, stage="fuse", inputs=[base_dir, adapter_dir]) as tmp:
        model.config.dtype = dtype
        model.save_pretrained(tmp, safe_serialization=True, max_shard_size=params.max_shard_size)
        for name in TOKENIZER_FILES:
            if (base_dir / name).is_file():
                shutil.copy2(base_dir / name, tmp / name)
        if not (tmp / "generation_config.json").is_file() and (base_dir / "generation_config.json").is_file():
            shutil.copy2(base_dir / "generation_config.json", tmp / "generation_config.json")
        adapter_cfg = json.loads((adapter_dir / ADAPTER_FILES[0]).read_text(encoding="utf-8"))
        meta = io.write_meta(
            tmp,
            "fuse",
            params=recorded(params),
            dtype=dtype,
            inputs={"base": base_dir, "adapter": adapter_dir},
            lora={
                "r": adapter_cfg.get("r"),
                "lora_alpha": adapter_cfg.get("lora_alpha"),
                "target_modules": sorted(adapter_cfg.get("target_modules") or []),
            },
        )
    progress("fuse", 2, 2)
    return Result(out=out, meta=meta)


def main(argv: list[str] | None = None) -> int:
    from . import params as params_mod
    from .cli import parser
    from .progress import progress_bar

    p = parser("fuse", __doc__)
    p.add_argument("base", type=Path, help="models/base")
    p.add_argument("adapter", type=Path, help="models/adapter")
    p.add_argument("out", type=Path, help="output merged model folder (models/fused)")
    args = p.parse_args(argv)
    prm = params_mod.section("fuse", path=args.params)
    with progress_bar() as progress:
        result = run(prm, args.base, args.adapter, args.out, progress)
    print(json.dumps({"out": str(result.out), "inputs": result.meta["inputs"]}, sort_keys=True))
    return 0
