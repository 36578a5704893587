"""train stage, torch backend and the shared data encoding, on the tiny random model (seconds each)."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys

import pytest

from cmd_correct import contract, io, train
from cmd_correct.errors import DataErrors, ModelError
from cmd_correct.train import common, data, torch_backend

FIXES = [
    ("bash", "gti status", "git status"),
    ("zsh", "sl -la", "ls -la"),
    ("fish", "grpe foo bar.txt", "grep foo bar.txt"),
    ("powershell", "Get-ChildItm", "Get-ChildItem"),
    ("cmd", "dri /s", "dir /s"),
    ("tcsh", "mkae clean", "make clean"),
    ("bash", "dokcer ps -a", "docker ps -a"),
    ("zsh", "pytohn3 main.py", "python3 main.py"),
]


def _write_split(path, rows):
    io.write_jsonl(path, ({"messages": contract.messages(*row)} for row in rows))


@pytest.fixture
def data_dir(tmp_path):
    """A small data/final: train and valid splits of contract messages."""
    rng = random.Random(0)
    folder = tmp_path / "final"
    train_rows = [rng.choice(FIXES) for _ in range(40)]
    _write_split(folder / "train.jsonl", train_rows)
    _write_split(folder / "valid.jsonl", FIXES)
    return folder


@pytest.fixture(scope="module")
def tokenizer(tiny_model_dir):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_model_dir)


def tiny_params(**kw) -> train.Params:
    """A few quick steps on the tiny model; lr high enough that the loss moves within them."""
    base = dict(
        iters=6,
        batch_size=4,
        lr=5e-3,
        warmup=1,
        max_length=96,
        eval_interval=3,
        eval_batches=2,
        log_interval=1,
        checkpoint_interval=2,
        threads=1,
        dropout=0.1,
    )
    return train.Params(**(base | kw))


def _train(params, tmp_path, data_dir, tiny_model_dir, name="adapter", progress=None):
    return train.run(
        params,
        seed=7,
        data_dir=data_dir,
        base_dir=tiny_model_dir,
        adapter_dir=tmp_path / name,
        report_dir=tmp_path / f"{name}-report",
        **({"progress": progress} if progress else {}),
    )


def _adapter_tensors(folder):
    from safetensors.torch import load_file

    return load_file(folder / "adapter_model.safetensors")


# ------------------------------------------------------------------------------------------- data


def test_loss_mask_covers_the_answer_only(tokenizer):
    ex = data.Example("bash", "gti status", "git status")
    ids, labels = data.encode(tokenizer, ex, max_length=128)
    n_prompt = labels.count(data.IGNORE)
    assert tokenizer.decode(ids[:n_prompt]) == contract.render_prompt("bash", "gti status")
    assert tokenizer.decode(labels[n_prompt:]) == f"git status{contract.IM_END}\n"
    assert all(lab != data.IGNORE for lab in labels[n_prompt:])
    assert data.encode(tokenizer, ex, max_length=n_prompt + 1) is None  # the answer would be cut: left out


def test_lazy_split_leaves_out_rows_longer_than_max_length(tokenizer):
    examples = [data.Example("bash", "gti status", "git status"), data.Example("bash", "x " * 80, "y " * 80)]
    split = data.LazySplit(tokenizer, examples, max_length=64)
    rows = split.rows([0, 1])
    assert len(rows) == 1 and split.dropped == 1 and split.max_tokens == len(rows[0][0])
    ids, mask, labels = data.collate(rows + [data.encode(tokenizer, examples[0], 64)], pad_id=2)
    assert ids.shape == mask.shape == labels.shape and int(mask.sum()) == 2 * len(rows[0][0])


def test_read_split_reports_every_bad_row(tmp_path):
    path = tmp_path / "train.jsonl"
    good = {"messages": contract.messages("bash", "gti", "git")}
    bad_role = {"messages": [{"role": "user", "content": "x"}]}
    empty = {"messages": contract.messages("bash", "gti", " ")}
    foreign = {"messages": [{"role": "system", "content": "hi"}] + contract.messages("bash", "a", "b")[1:]}
    path.write_text("\n".join(json.dumps(r) for r in (good, bad_role, empty, foreign)) + "\n")
    with pytest.raises(DataErrors) as err:
        data.read_split(path)
    assert [(p.line, p.field) for p in err.value.problems] == [
        (2, "messages"),
        (3, "messages.content"),
        (4, "messages[0].content"),
    ]


def test_a_template_unlike_the_contract_is_refused(tokenizer):
    import copy

    tok = copy.deepcopy(tokenizer)
    tok.chat_template = tok.chat_template.replace("<|im_start|>", "<|im_start|> ")
    with pytest.raises(ModelError) as err:
        data.check_template(tok)
    assert err.value.field == "chat_template"
    data.check_template(tokenizer)  # the SmolLM2 template renders exactly the contract


def test_batches_cover_each_epoch_once_and_repeat_for_a_seed():
    n, bs = 10, 3
    epoch = [i for step in range(3) for i in data.batch_indices(n, bs, step, seed=1)]
    assert len(set(epoch)) == 9 and len(epoch) == 9
    assert data.batch_indices(n, bs, 5, seed=1) == data.batch_indices(n, bs, 5, seed=1)
    assert data.batch_indices(n, bs, 3, seed=1) != data.batch_indices(n, bs, 0, seed=1)  # a new shuffle


# ------------------------------------------------------------------------------------------ torch


def test_torch_writes_adapter_config_meta_and_metrics(tmp_path, data_dir, tiny_model_dir):
    result = _train(tiny_params(), tmp_path, data_dir, tiny_model_dir)
    adapter = tmp_path / "adapter"
    assert sorted(p.name for p in adapter.iterdir()) == [
        "adapter_config.json",
        "adapter_model.safetensors",
        "meta.json",
        "train_config.json",
    ]
    assert not common.work_dir(adapter, "torch").exists()  # finished: no checkpoint left behind
    cfg = json.loads((adapter / "adapter_config.json").read_text())
    assert cfg["r"] == 16 and cfg["target_modules"] == sorted(train.Params().target_modules)  # stable bytes
    resolved = io.read_json(adapter / "train_config.json")
    assert resolved["backend"] == "torch" and resolved["seed"] == 7 and resolved["iters"] == 6
    # Operational knobs rerun nothing (no params deps), so they are not recorded in the adapter either.
    assert "checkpoint_interval" not in resolved and set(resolved["kaggle"]) == {"accelerator", "upload_base"}
    meta = io.read_json(adapter / "meta.json")
    assert "checkpoint_interval" not in meta["params"] and "poll_interval" not in meta["params"]["kaggle"]
    assert meta["inputs"]["base"] == io.sha256_tree(tiny_model_dir)

    report = tmp_path / "adapter-report"
    metrics = io.read_json(report / "metrics.json")
    assert metrics["step"] == 6 and metrics["valid_loss"] == result.summary["valid_loss"]
    plots = report / "plots" / "metrics"
    assert sorted(p.name for p in plots.iterdir()) == ["lr.tsv", "tokens_per_s.tsv", "train_loss.tsv", "valid_loss.tsv"]
    losses = [float(line.split("\t")[1]) for line in (plots / "train_loss.tsv").read_text().splitlines()[1:]]
    assert len(losses) == 6 and losses[-1] < losses[0]  # it learns (8 distinct answers, lr 5e-3)
    valid_steps = [line.split("\t")[0] for line in (plots / "valid_loss.tsv").read_text().splitlines()[1:]]
    assert valid_steps == ["0", "3", "6"]  # step 0: the untuned base, what the adapter must beat
    assert result.summary["base_valid_loss"] > result.summary["valid_loss"]
    assert result.summary["tokens_per_s"] > 0 and result.summary["device"] == "cpu"


def test_interrupted_run_resumes_to_the_same_adapter(tmp_path, data_dir, tiny_model_dir):
    params = tiny_params()
    _train(params, tmp_path, data_dir, tiny_model_dir, name="straight")

    def interrupt(task, done, total):
        if task == "train (torch)" and done == 5:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _train(params, tmp_path, data_dir, tiny_model_dir, progress=interrupt)
    ckpt = common.work_dir(tmp_path / "adapter", "torch")
    assert io.read_json(ckpt / "checkpoint" / "state.json")["step"] == 4  # the last one before the stop
    assert not (tmp_path / "adapter").exists()  # nothing that looks finished

    resumed = _train(params, tmp_path, data_dir, tiny_model_dir)
    assert resumed.summary["resumed_from"] == 4 and not ckpt.exists()
    a, b = _adapter_tensors(tmp_path / "straight"), _adapter_tensors(tmp_path / "adapter")
    assert a.keys() == b.keys()
    for name in a:
        assert (a[name] - b[name]).abs().max() < 1e-5, name
    steps = [line.split("\t")[0] for line in (tmp_path / "adapter-report/plots/metrics/train_loss.tsv").open()]
    assert steps[1:] == ["1", "2", "3", "4", "5", "6"]  # history replayed up to the checkpoint, no duplicates


def test_a_checkpoint_from_other_params_is_not_resumed(tmp_path, data_dir, tiny_model_dir):
    def interrupt(task, done, total):
        if task == "train (torch)" and done == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _train(tiny_params(), tmp_path, data_dir, tiny_model_dir, progress=interrupt)
    assert common.work_dir(tmp_path / "adapter", "torch").exists()
    result = _train(tiny_params(lr=1e-3), tmp_path, data_dir, tiny_model_dir)
    assert result.summary["resumed_from"] == 0


def test_cli_reads_params_and_seed(tmp_path, data_dir, tiny_model_dir, capsys):
    from cmd_correct import cli

    p = tmp_path / "params.yaml"
    p.write_text(
        "base:\n  seed: 3\ntrain:\n  iters: 2\n  batch_size: 4\n  warmup: 0\n  eval_interval: 2\n  log_interval: 1\n"
        "  checkpoint_interval: 0\n  eval_batches: 1\n"
    )
    out = [str(data_dir), str(tiny_model_dir), str(tmp_path / "a"), str(tmp_path / "r"), "--params", str(p)]
    assert cli.main(["train", *out]) == 0
    assert json.loads(capsys.readouterr().out)["steps"] == 2
    assert io.read_json(tmp_path / "a" / "train_config.json")["seed"] == 3


@pytest.mark.parametrize("policy", ["active", "passive"])
def test_cli_sets_the_openmp_wait_policy_from_params(tmp_path, policy):
    """train.omp_wait_policy wins over an inherited OMP_WAIT_POLICY (the Makefile exports passive), and is
    set before anything imports torch, whose OpenMP pool reads it once."""
    p = tmp_path / "params.yaml"
    p.write_text(f"train:\n  omp_wait_policy: {policy}\n")
    probe = (
        "import os, sys\n"
        "from cmd_correct import train\n"
        "def fake_run(*a, **k):\n"
        "    print(os.environ['OMP_WAIT_POLICY'], 'torch' in sys.modules)\n"
        "    raise SystemExit(0)\n"
        "train.run = fake_run\n"
        "train.main(['d', 'b', 'a', 'r', '--params', sys.argv[1]])\n"
    )
    env = {**os.environ, "OMP_WAIT_POLICY": "passive" if policy == "active" else "active"}
    out = subprocess.run([sys.executable, "-c", probe, str(p)], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == [policy, "False"]


def test_too_few_rows_is_a_data_error(tmp_path, data_dir, tiny_model_dir):
    from cmd_correct.errors import DataError

    with pytest.raises(DataError, match="batch_size=64"):
        _train(tiny_params(batch_size=64), tmp_path, data_dir, tiny_model_dir)


@pytest.mark.slow
def test_real_embedded_model_learns_in_a_few_steps(tmp_path, data_dir, embedded_base_dir):
    """SmolLM2-135M (the embedded default) trained for 4 steps: the valid loss drops."""
    base_dir = embedded_base_dir
    params = train.Params(
        iters=4, batch_size=8, lr=1e-3, warmup=0, eval_interval=1, eval_batches=1, log_interval=1,
        checkpoint_interval=0, max_length=96,
    )  # fmt: skip
    result = _train(params, tmp_path, data_dir, base_dir)
    lines = (tmp_path / "adapter-report/plots/metrics/valid_loss.tsv").read_text().splitlines()[1:]
    valid = [float(line.split("\t")[1]) for line in lines]
    assert len(valid) == 5 and valid[-1] < valid[0] == result.summary["base_valid_loss"]
    assert result.summary["max_tokens"] <= 96 and result.summary["dropped_rows"] == 0


def test_bucketed_batches_cover_each_epoch_once_hold_one_shell_and_resume():
    rng = random.Random(1)
    shells = [rng.choice(contract.SHELLS) for _ in range(203)]
    lengths = [rng.randint(20, 90) for _ in range(203)]
    asked: set[int] = set()

    def length(i):
        asked.add(i)
        return lengths[i]

    order = data.Batches(shells, length, batch_size=4, seed=3, window=10)
    assert order(0) and len(asked) <= 40  # lengths of the first window's rows only: encoded as reached
    per_epoch = 203 // 4
    epoch0 = [order(k) for k in range(per_epoch)]
    flat = [i for b in epoch0 for i in b]
    assert sorted(flat) == sorted(set(flat)) and len(flat) == per_epoch * 4  # each row once per epoch
    mixed = sum(len({shells[i] for i in b}) > 1 for b in epoch0)
    assert mixed <= len(contract.SHELLS) - 1  # leftovers carry over: only the epoch's last rows mix shells
    spread = [max(lengths[i] for i in b) - min(lengths[i] for i in b) for b in epoch0]
    assert sum(spread) / len(spread) < 25  # vs ~45 for random batches of 4 from 20..90
    again = data.Batches(shells, lengths.__getitem__, 4, 3, 10)
    assert [again(k) for k in (7, per_epoch + 2)] == [order(7), order(per_epoch + 2)]  # a resumed run
    assert order(per_epoch) != epoch0[0]  # a new shuffle next epoch
    assert data.Batches(shells, length, 4, 3, 0)(5) == data.batch_indices(203, 4, 5, 3)  # window 0: today's order


def test_shared_prefix_stops_before_the_first_supervised_token(tokenizer):
    rows = [data.encode(tokenizer, data.Example("bash", c, f), 96) for c, f in [("gti", "git"), ("sl", "ls")]]
    p = data.shared_prefix(rows)
    head = f"{contract.IM_START}system\n{contract.system_prompt('bash')}{contract.IM_END}\n{contract.IM_START}user\n"
    assert p == len(tokenizer(head, add_special_tokens=False)["input_ids"])  # system prompt + `<|im_start|>user\n`
    assert all(labels[p] == data.IGNORE and labels[p + 1 :].count(data.IGNORE) < len(labels) for _, labels in rows)
    other = data.encode(tokenizer, data.Example("zsh", "gti", "git"), 96)
    assert data.shared_prefix([rows[0], other]) < p  # another shell's system prompt differs
    assert data.shared_prefix(rows[:1]) == 0


@pytest.mark.parametrize("window", [0, 3])
def test_shared_prefix_and_buckets_give_the_plain_loss_and_gradients(tokenizer, tiny_model_dir, window):
    """The faster path (one shell per batch, the system prompt run once per batch) must train on the same
    loss: summed over the same rows, loss and LoRA gradients equal the plain padded batch's."""
    import contextlib

    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(0)
    model = get_peft_model(
        AutoModelForCausalLM.from_pretrained(tiny_model_dir, dtype=torch.float32),
        LoraConfig(r=4, lora_alpha=8, lora_dropout=0.0, target_modules=["q_proj", "v_proj", "down_proj"]),
    )
    for name, w in model.named_parameters():  # B = 0 at init: give the adapters weight so gradients differ
        if "lora_B" in name:
            torch.nn.init.normal_(w, std=0.05)
    rng = random.Random(2)
    examples = [data.Example(s, c, f) for s, c, f in (rng.choice(FIXES) for _ in range(24))]
    split = data.LazySplit(tokenizer, examples, 96)
    pad = tokenizer.pad_token_id
    nocast = contextlib.nullcontext

    def loss_and_grads(batches):
        model.zero_grad()
        total, count = 0.0, 0
        for rows in batches:
            for ids, mask, labels, prefix in torch_backend.micro_batches(rows, pad, "cpu", share_prefix=True):
                loss, k = torch_backend._loss_sum(model, ids, mask, labels, nocast, prefix)
                loss.backward()
                total, count = total + float(loss), count + k
        grads = {n: w.grad.clone() for n, w in model.named_parameters() if w.requires_grad}
        return total, count, grads

    plain_rows = split.rows(list(range(24)))
    model.zero_grad()
    ids, mask, labels = data.collate(plain_rows, pad)
    plain_loss, plain_count = torch_backend._loss_sum(model, ids, mask, labels, nocast)
    plain_loss.backward()
    plain = {n: w.grad.clone() for n, w in model.named_parameters() if w.requires_grad}

    order = split.batches(batch_size=4, seed=5, window=window)
    batches = [split.rows(order(k)) for k in range(6)]
    assert sum(map(len, batches)) == 24 and any(data.shared_prefix(b) > 0 for b in batches)
    loss, count, grads = loss_and_grads(batches)
    assert count == plain_count
    assert loss == pytest.approx(float(plain_loss), rel=1e-5)
    for name, g in plain.items():
        torch.testing.assert_close(grads[name], g, rtol=1e-4, atol=1e-6, msg=name)


@pytest.mark.parametrize("tied", [True, False])
def test_frozen_weights_stored_in_bf16_give_the_autocast_loss_and_gradients(tokenizer, tiny_model_dir, tied):
    """Autocast casts each fp32 frozen weight to bf16 for every matmul; storing them in bf16 skips that copy
    and must change nothing: the same loss and LoRA gradients, bit for bit. The embeddings (and a lm_head
    tied to them) stay fp32, so the lookup into the fp32 residual stream is unchanged too."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(0)
    base = AutoModelForCausalLM.from_pretrained(tiny_model_dir, dtype=torch.float32, tie_word_embeddings=tied)
    model = get_peft_model(
        base,
        LoraConfig(r=4, lora_alpha=8, lora_dropout=0.0, target_modules=["q_proj", "v_proj", "gate_proj", "down_proj"]),
    )
    for name, w in model.named_parameters():  # B = 0 at init: give the adapters weight so gradients differ
        if "lora_B" in name:
            torch.nn.init.normal_(w, std=0.05)
    split = data.LazySplit(tokenizer, [data.Example(*row) for row in FIXES if row[0] == "bash"], 96)
    rows = split.rows([0, 1])
    ((ids, mask, labels, prefix),) = torch_backend.micro_batches(rows, tokenizer.pad_token_id, "cpu", True)
    bf16 = lambda: torch.autocast("cpu", torch.bfloat16)  # noqa: E731

    def loss_and_grads():
        model.zero_grad()
        loss, _ = torch_backend._loss_sum(model, ids, mask, labels, bf16, prefix)
        loss.backward()
        return loss.detach(), {n: w.grad.clone() for n, w in model.named_parameters() if w.requires_grad}

    before, grads = loss_and_grads()
    n_linear = 7 * 2 + (0 if tied else 1)  # every frozen projection of the 2 layers, and an untied lm_head
    assert torch_backend.store_frozen_as(model, torch.bfloat16) == n_linear
    assert model.get_input_embeddings().weight.dtype == torch.float32
    assert model.get_output_embeddings().weight.dtype == (torch.float32 if tied else torch.bfloat16)
    assert all(w.dtype == torch.float32 for w in grads.values())
    after, grads_after = loss_and_grads()
    assert torch.equal(after, before)
    for name, g in grads.items():
        assert torch.equal(grads_after[name], g), name


# --- issue 23, item 9: a resume checkpoint is loaded with weights_only ----------------------------------


class _RunsCode:
    """Unpickling it opens (creates) `marker`: what a planted state.pt could do with any code."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_a_checkpoint_is_loaded_without_running_its_code(tmp_path):
    # Regression: torch.load(weights_only=False) unpickled state.pt as is, so a file beside the adapter folder
    # whose state.json claimed this run's fingerprint ran its code in the train stage.
    import torch

    ckpt, marker = tmp_path / ".adapter.torch-checkpoint", tmp_path / "ran"
    io.write_json(ckpt / "checkpoint" / "state.json", {"fingerprint": "f", "step": 2})
    torch.save({"adapter": _RunsCode(marker)}, ckpt / "checkpoint" / "state.pt")
    with pytest.raises(ModelError, match="not a checkpoint this code wrote") as err:
        torch_backend._load_checkpoint(ckpt, "f", None, None, None, None)
    assert not marker.exists() and err.value.path == str(ckpt / "checkpoint" / "state.pt")
    torch.save(torch.zeros(2), ckpt / "checkpoint" / "state.pt")  # loads, but is no checkpoint: one line too
    with pytest.raises(ModelError, match="not a checkpoint this code wrote"):
        torch_backend._load_checkpoint(ckpt, "f", None, None, None, None)


def test_what_a_checkpoint_holds_loads_with_weights_only(tmp_path):
    # The optimizer, scheduler, loss scaler and RNG states _save_checkpoint writes are plain tensors and
    # numbers (the CUDA RNG and a real scaler only exist on a GPU: the same kinds, built on the CPU here).
    import torch

    layer = torch.nn.Linear(3, 2)
    optimizer = torch.optim.AdamW(layer.parameters(), lr=1e-3)
    scheduler = torch_backend._scheduler(optimizer, train.Params(iters=4, warmup=1))
    layer(torch.ones(1, 3)).sum().backward()
    optimizer.step()
    scheduler.step()
    blob = {
        "adapter": layer.state_dict(),
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict(),
        "scaler": torch.amp.GradScaler("cpu").state_dict(),
        "rng_cpu": torch.get_rng_state(),
        "rng_cuda": [torch.get_rng_state()],
    }
    torch.save(blob, tmp_path / "state.pt")
    loaded = torch.load(tmp_path / "state.pt", map_location="cpu", weights_only=True)
    assert loaded.keys() == blob.keys() and torch.equal(loaded["rng_cpu"], blob["rng_cpu"])
    optimizer.load_state_dict(loaded["optimizer"])
    scheduler.load_state_dict(loaded["scheduler"])


def test_num_layers_adapts_only_the_top_blocks_and_fuses(tmp_path, data_dir, tiny_model_dir):
    """`num_layers: 1` of the tiny model's 2 blocks: adapters on block 1 only, block 0 gets no gradient,
    and fuse merges such an adapter (the weights it changes are block 1's only)."""
    import torch
    from safetensors.torch import load_file

    from cmd_correct import fuse

    _train(tiny_params(num_layers=1), tmp_path, data_dir, tiny_model_dir)
    names = list(_adapter_tensors(tmp_path / "adapter"))
    assert names and all(".layers.1." in n for n in names), names
    cfg = io.read_json(tmp_path / "adapter" / "adapter_config.json")
    assert cfg["layers_to_transform"] == [1]

    model, autocast = torch_backend.build_model(tiny_params(num_layers=1), tiny_model_dir, "cpu")
    block0 = model.get_base_model().model.layers[0].self_attn.q_proj.weight
    assert not any(p.requires_grad for p in model.get_base_model().model.layers[0].parameters())
    hidden = {}
    model.get_base_model().model.layers[0].register_forward_hook(lambda m, i, o: hidden.update(out=o))
    model(input_ids=torch.tensor([[1, 2, 3]])).logits.sum().backward()
    out0 = hidden["out"][0] if isinstance(hidden["out"], tuple) else hidden["out"]
    assert not out0.requires_grad and block0.grad is None  # backward stopped above block 0

    fused = fuse.run(fuse.Params(), tiny_model_dir, tmp_path / "adapter", tmp_path / "fused")
    merged, base = load_file(fused.out / "model.safetensors"), load_file(tiny_model_dir / "model.safetensors")
    changed = sorted(k for k in base if not torch.equal(base[k], merged[k]))
    assert changed and all(".layers.1." in k for k in changed), changed


def test_num_layers_beyond_the_model_is_refused(tmp_path, data_dir, tiny_model_dir):
    with pytest.raises(ModelError, match="num_layers=3, but the base model has 2"):
        _train(tiny_params(num_layers=3), tmp_path, data_dir, tiny_model_dir)
