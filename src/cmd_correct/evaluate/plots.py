"""Plot data for `dvc plots` (JSON, declared in dvc.yaml) and the same figures as PNG.

- by_shell/<model>.json: exact match per shell of each model (a bar chart each in dvc plots)
- quant_tradeoff.json: size vs exact match and vs KLD, latency vs exact match, one row per GGUF (scatters)
- exact_match_by_shell.png, quant_tradeoff.png: matplotlib renderings of the same data
Training curves are the train stage's own dvclive plots (reports/train/plots/metrics).
"""

from __future__ import annotations

from pathlib import Path

from .. import contract
from ..io import write_json

MODELS_KEY_ORDER = ("f16",)


def write(plots_dir: Path, metrics: dict, variants: list[str]) -> list[Path]:
    """Write every plot file under `plots_dir`; returns their paths."""
    plots_dir = Path(plots_dir)
    written = []
    models = {v: metrics[v] for v in variants} | {
        f"baseline-{k}": v for k, v in metrics.get("baselines", {}).items() if "exact_match_by_shell" in v
    }
    for name, m in models.items():
        rows = [
            {"shell": s, "exact_match": m["exact_match_by_shell"].get(s)}
            for s in contract.SHELLS
            if m["exact_match_by_shell"].get(s) is not None
        ]
        path = plots_dir / "by_shell" / f"{name}.json"
        write_json(path, rows)
        written.append(path)
    trade = [
        {
            "model": v,
            "size_mb": metrics[v]["size_mb"],
            "exact_match": metrics[v]["exact_match"],
            "kld_mean": metrics[v].get("kld_mean", 0.0 if v == "f16" else None),
            "latency_ms_p50": metrics[v].get("latency_ms_p50"),
        }
        for v in variants
    ]
    path = plots_dir / "quant_tradeoff.json"
    write_json(path, trade)
    written.append(path)
    written += _png(plots_dir, models, trade)
    return written


def _png(plots_dir: Path, models: dict, trade: list[dict]) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")  # no display; also keeps the output bytes independent of the desktop
    import matplotlib.pyplot as plt

    out = []
    fig, ax = plt.subplots(figsize=(8, 4))
    width = 0.8 / max(len(models), 1)
    for i, (name, m) in enumerate(models.items()):
        xs = [j + i * width for j in range(len(contract.SHELLS))]
        ax.bar(xs, [m["exact_match_by_shell"].get(s) or 0 for s in contract.SHELLS], width, label=name)
    ax.set_xticks([j + 0.4 - width / 2 for j in range(len(contract.SHELLS))], contract.SHELLS)
    ax.set_ylabel("exact match")
    ax.set_ylim(0, 1)
    ax.legend(fontsize="small")
    ax.set_title("Exact match per shell")
    fig.tight_layout()
    out.append(plots_dir / "exact_match_by_shell.png")
    fig.savefig(out[-1], dpi=100, metadata={"Software": None})
    plt.close(fig)

    fig, (a1, a2, a3) = plt.subplots(1, 3, figsize=(13, 3.5))
    for row in trade:
        a1.scatter(row["size_mb"], row["exact_match"])
        a1.annotate(row["model"], (row["size_mb"], row["exact_match"]), fontsize="small")
        if row["kld_mean"] is not None:
            a2.scatter(row["size_mb"], row["kld_mean"])
            a2.annotate(row["model"], (row["size_mb"], row["kld_mean"]), fontsize="small")
        if row["latency_ms_p50"] is not None:
            a3.scatter(row["latency_ms_p50"], row["exact_match"])
            a3.annotate(row["model"], (row["latency_ms_p50"], row["exact_match"]), fontsize="small")
    a1.set(xlabel="size (MB)", ylabel="exact match", title="Size vs exact match")
    a2.set(xlabel="size (MB)", ylabel="KLD mean vs f16", title="Size vs KLD")
    a3.set(xlabel="latency p50 (ms)", ylabel="exact match", title="Latency vs exact match")
    fig.tight_layout()
    out.append(plots_dir / "quant_tradeoff.png")
    fig.savefig(out[-1], dpi=100, metadata={"Software": None})
    plt.close(fig)
    return out
