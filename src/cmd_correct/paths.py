"""The pipeline's file layout, defined once.

dvc.yaml passes these paths to each stage on its command line (a test checks that dvc.yaml and this
module agree); commands that are not DVC stages (gate, release) read them from here.
"""

from pathlib import Path

PARAMS = Path("params.yaml")
# generate.source: import reads the *.jsonl another tool wrote here. A fixed folder, a dep of generate in
# dvc.yaml, so DVC hashes its content (a path param would be a string to DVC, not data); its README.md is ignored.
IMPORT = Path("data/import")
GENERATED = Path("data/generated")  # generate: <family>.jsonl per family + meta.json
VALIDATION = Path("data/validation.json")  # validate: DVC metrics
FINAL = Path("data/final")  # prepare: train/valid/test.jsonl, calibration.txt, heldout.txt, meta.json
BASE = Path("models/base")  # base: HF safetensors + tokenizer + meta.json
ADAPTER = Path("models/adapter")  # train: PEFT adapter (+ adapter_config, meta.json)
TRAIN_REPORT = Path("reports/train")  # train: dvclive metrics and plots
FUSED = Path("models/fused")  # fuse: merged HF model
F16 = Path("models/f16")  # convert: model-f16.gguf + meta.json
BASE_GGUF = Path("models/base-gguf")  # base_gguf (convert --base): the untuned base model's model-f16.gguf (a baseline)
IMATRIX = Path("models/imatrix")  # imatrix: imatrix.gguf + meta.json
QUANT = Path("models/quant")  # quantize: model-<TYPE>.gguf per type + meta.json
BASELINE_REPORT = Path("reports/baseline")  # baseline: the untuned base and thefuck on evaluate's cases
METRICS = Path("metrics.json")  # evaluate: DVC metrics (committed to git for `dvc metrics diff`)
EVAL_REPORT = Path("reports/evaluate")  # evaluate: per-case predictions and plot data
RELEASE_DIR = Path("dist/release")  # release DRY_RUN bundle
KAGGLE_KERNEL = Path("kaggle")  # the Kaggle kernel template and entry script (a train-stage dep)

SPLITS = ("train", "valid", "test")
SPLIT_SHARES = {"train": 0.90, "valid": 0.05, "test": 0.05}  # prepare.split's default (generate's lanes too)
BASELINE_METRICS = "metrics.json"  # in BASELINE_REPORT: the baselines' metrics (evaluate folds them in)
BASELINE_PREDICTIONS = "predictions.jsonl"  # in BASELINE_REPORT: the baselines' answers per case
CALIBRATION = "calibration.txt"  # imatrix text, from the train split only
HELDOUT = "heldout.txt"  # perplexity/KLD text, from the test split only
ADAPTER_FILES = ("adapter_config.json", "adapter_model.safetensors")  # PEFT's adapter in ADAPTER: what fuse merges
TRAIN_CONFIG = "train_config.json"  # in ADAPTER: train's resolved config; fuse checks the adapter against it


def f16_gguf(folder: Path = F16) -> Path:
    return folder / "model-f16.gguf"


def imatrix_gguf(folder: Path = IMATRIX) -> Path:
    return folder / "imatrix.gguf"


def quant_gguf(qtype: str, folder: Path = QUANT) -> Path:
    return folder / f"model-{qtype}.gguf"
