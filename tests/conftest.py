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


@pytest.fixture(scope="session")
def embedded_base_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real default base model (SmolLM2-135M-Instruct from the embedded GGUF), materialized once per
    session by the base stage (~1 min, 540 MB). For slow tests only. Read-only."""
    from cmd_correct import base

    out = tmp_path_factory.mktemp("embedded") / "base"
    base.run(base.Params(), out)
    return out


class ToyDvc:
    """Real git + dvc repos in a temp dir, each with one toy stage (tests/fixtures/ci) and this repo's
    committed .dvc/config (remotes). `runs()` counts how often the stage really ran (not restored)."""

    FIXTURES = Path(__file__).parent / "fixtures" / "ci"

    def __init__(self, root: Path):
        import os
        import sys

        self.root = root
        self.runlog = root / "runlog.txt"
        self.runlog.touch()
        bindir = str(Path(sys.executable).parent)
        self.env = {**os.environ, "PATH": bindir + os.pathsep + os.environ["PATH"], "TOY_RUNLOG": str(self.runlog)}
        self.env.pop("DVC_S3_BUCKET", None)

    def sh(self, repo: Path, *cmd: str, check: bool = True) -> str:
        import subprocess
        import sys

        if cmd[0] == "dvc":
            cmd = (sys.executable, "-m", "dvc", *cmd[1:])
        proc = subprocess.run(cmd, cwd=repo, env=self.env, capture_output=True, text=True)
        if check and proc.returncode != 0:
            raise AssertionError(f"{' '.join(cmd)} -> {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
        return proc.stdout + proc.stderr

    def new(self, name: str, *, n: int = 3, scale: float = 0.1) -> Path:
        """A repo with the toy stage and params, one commit, nothing run yet."""
        import shutil

        repo = self.root / name
        repo.mkdir()
        self.sh(repo, "git", "init", "-q", "-b", "main")
        self.sh(repo, "git", "config", "user.email", "test@localhost")
        self.sh(repo, "git", "config", "user.name", "test")
        self.sh(repo, "dvc", "init", "-q")
        shutil.copy(Path(__file__).parents[1] / ".dvc" / "config", repo / ".dvc" / "config")
        shutil.copy(self.FIXTURES / "toy_stage.py", repo / "toy_stage.py")
        # Not named dvc.yaml in the fixtures: dvc would take it for a pipeline of this repo.
        shutil.copy(self.FIXTURES / "toy-dvc.yaml", repo / "dvc.yaml")
        self.set_params(repo, n=n, scale=scale)
        self.commit(repo, "toy repo")
        return repo

    def set_params(self, repo: Path, **toy) -> None:
        import yaml

        path = repo / "params.yaml"
        raw = yaml.safe_load(path.read_text()) if path.exists() else {"toy": {}}
        raw["toy"].update(toy)
        path.write_text(yaml.safe_dump(raw, sort_keys=False))

    def commit(self, repo: Path, msg: str) -> None:
        self.sh(repo, "git", "add", "-A")
        self.sh(repo, "git", "commit", "-q", "--allow-empty", "-m", msg)

    def runs(self) -> int:
        return len(self.runlog.read_text().splitlines())


@pytest.fixture
def toy_dvc(tmp_path: Path) -> ToyDvc:
    """Factory for real git+dvc repos with one toy stage (used by the CI and remote tests)."""
    return ToyDvc(tmp_path)


# --- GGUF pipeline on the tiny model (convert -> imatrix -> quantize), shared by the gguf/evaluate tests ---

TINY_QUANT_TYPES = ["Q4_K_M", "Q8_0"]  # a K-quant whose 256-blocks do not fit hidden 64 (fallbacks), and one that does


def write_tiny_final(out: Path, n: int = 240, seed: int = TINY_SEED) -> Path:
    """A small data/final (train/test jsonl, calibration.txt, heldout.txt) built with the contract module."""
    import json
    import random

    from cmd_correct import contract

    rng = random.Random(seed)
    commands = ["git status", "ls -la", "docker ps -a", "grep -r foo .", "make test", "cat notes.txt", "npm install"]
    rows = []
    for i in range(n):
        shell, family = contract.SHELLS[i % len(contract.SHELLS)], contract.FAMILIES[(i // 6) % len(contract.FAMILIES)]
        good = f"{rng.choice(commands)} {i}"
        bad = good.replace(" ", "", 1) if family != "natural" else f"please run {good}"
        rows.append(
            {
                "id": f"t{i}",
                "shell": shell,
                "family": family,
                "command": bad,
                "correction": good,
                "error": f"{shell}: command not found: {bad.split()[0]}" if family != "natural" else None,
            }
        )
    out.mkdir(parents=True, exist_ok=True)
    split = {"train": rows[: n // 2], "test": rows[n // 2 :]}
    for name, part in split.items():
        with (out / f"{name}.jsonl").open("w") as f:
            for r in part:
                msgs = contract.messages(r["shell"], r["command"], r["correction"])
                f.write(
                    json.dumps(
                        {
                            "messages": msgs,
                            "shell": r["shell"],
                            "family": r["family"],
                            "category": "typo",
                            "id": r["id"],
                        }
                    )
                    + "\n"
                )
    conv = lambda r: contract.render_conversation(r["shell"], r["command"], r["correction"])  # noqa: E731
    (out / "calibration.txt").write_text("".join(conv(r) for r in split["train"]))
    (out / "heldout.txt").write_text("".join(conv(r) for r in split["test"]))
    generated = out.parent / "generated"
    generated.mkdir(exist_ok=True)
    (generated / "all.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return out


@pytest.fixture(scope="session")
def tiny_final_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """data/final for the tiny pipeline (and data/generated beside it, for thefuck's error messages)."""
    return write_tiny_final(tmp_path_factory.mktemp("tiny_data") / "final")


@pytest.fixture(scope="session")
def tiny_f16_dir(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny model converted by the real convert stage (models/f16 layout). Read-only."""
    from cmd_correct import convert

    out = tmp_path_factory.mktemp("tiny_gguf") / "f16"
    convert.run(convert.Params(), tiny_model_dir, out)
    return out


@pytest.fixture(scope="session")
def tiny_imatrix_dir(tiny_f16_dir: Path, tiny_final_dir: Path) -> Path:
    """imatrix of the tiny f16 GGUF from the tiny calibration text (models/imatrix layout). Read-only."""
    from cmd_correct import imatrix

    out = tiny_f16_dir.parent / "imatrix"
    imatrix.run(imatrix.Params(ctx=64, chunks=4, threads=2), tiny_f16_dir, tiny_final_dir, out)
    return out


@pytest.fixture(scope="session")
def tiny_quant_dir(tiny_f16_dir: Path, tiny_imatrix_dir: Path) -> Path:
    """The tiny model quantized to TINY_QUANT_TYPES (models/quant layout). Read-only."""
    from cmd_correct import quantize

    out = tiny_f16_dir.parent / "quant"
    quantize.run(quantize.Params(types=list(TINY_QUANT_TYPES)), tiny_f16_dir, tiny_imatrix_dir, out)
    return out


# --- data stages (generate -> validate -> prepare) on a small dataset -------------------------------------

DATA_SEED = 7
DATA_ROWS = 3000  # enough for every shell/family cell (tcsh: 90 rows) and for 90/5/5 splits by group


@pytest.fixture(scope="session")
def small_generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """data/generated from the real generate stage at DATA_ROWS rows. Read-only: copy it to modify."""
    from cmd_correct import generate

    out = tmp_path_factory.mktemp("data") / "generated"
    generate.run(generate.Params(rows=DATA_ROWS), DATA_SEED, out)
    return out


# Bad-input classes both validate and prepare must refuse: kind -> (field named in the error, row edit).
BAD_ROWS = {
    "malformed-json": (None, None),
    "missing-field": ("correction", lambda r: r.pop("correction")),
    "wrong-type": ("command", lambda r: r.update(command=["git", "status"])),
    "unknown-shell": ("shell", lambda r: r.update(shell="ksh")),
    "null-correction": ("correction", lambda r: r.update(correction=None)),
    "empty-correction": ("correction", lambda r: r.update(correction="  ")),
    "same-as-input": ("correction", lambda r: r.update(correction=r["command"])),
    "duplicate": ("command", None),
}


def corrupt_generated(src: Path, dst: Path, kind: str, *, family: str = "tools", line: int = 5) -> tuple[Path, int]:
    """Copy data/generated `src` to `dst` and hand-break line `line` of `<family>.jsonl` as `kind` says.

    Returns (file, line) the error must name; `duplicate` appends a copy of that line at the end."""
    import json
    import shutil

    shutil.copytree(src, dst)
    path = dst / f"{family}.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    field, edit = BAD_ROWS[kind]
    if kind == "malformed-json":
        lines[line - 1] = lines[line - 1][:-10] + "\n"
    elif kind == "duplicate":
        lines.append(lines[line - 1])
        line = len(lines)
    else:
        row = json.loads(lines[line - 1])
        edit(row)
        lines[line - 1] = json.dumps(row) + "\n"
    path.write_text("".join(lines), encoding="utf-8")
    return path, line
