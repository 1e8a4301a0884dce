"""What a finished run leaves for people: resolved config, plots, model card, a summary table."""

from __future__ import annotations

from pathlib import Path

import yaml

from ..config import Config
from .model_card import model_card, summary_table  # noqa: F401 (summary_table: the CLI's)


def write_config(cfg: Config, output: Path) -> None:
    """The resolved config, every default included: ``evaluate`` and ``--resume`` read it back."""
    (output / "config.yaml").write_text(
        yaml.safe_dump(cfg.to_dict(), allow_unicode=True, sort_keys=False), encoding="utf-8"
    )


def report_run(cfg: Config, output: Path, metrics: dict, history: dict) -> None:
    """Write the plots and the model cards (the run's README.md and one per model directory)."""
    plot_learning_curves(history, output / "learning_curves.png")
    plot_per_type(metrics, output / "per_type.png")
    (output / "README.md").write_text(model_card(cfg, metrics), encoding="utf-8")
    for task in ("ner", "events"):
        if (output / task).is_dir():
            (output / task / "README.md").write_text(model_card(cfg, metrics, task), encoding="utf-8")


def plot_learning_curves(history: dict, path: Path) -> None:
    """Train loss, dev loss and dev score per epoch for each task."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tasks = [t for t in ("ner", "events") if history.get(t)]
    if not tasks:
        return
    fig, axes = plt.subplots(1, len(tasks), figsize=(6 * len(tasks), 4), squeeze=False)
    for ax, task in zip(axes[0], tasks):
        logs = history[task]
        train = [(h["epoch"], h["loss"]) for h in logs if "loss" in h]
        dev = [(h["epoch"], h["eval_loss"]) for h in logs if "eval_loss" in h]
        score_key = next((k for k in ("eval_f1", "eval_micro_f1", "eval_macro_f1") if any(k in h for h in logs)), None)
        if train:
            ax.plot(*zip(*train), label="train loss")
        if dev:
            ax.plot(*zip(*dev), marker="o", label="dev loss")
        ax.set_xlabel("epoch")
        ax.set_title(task)
        if score_key:
            twin = ax.twinx()
            twin.plot(
                *zip(*[(h["epoch"], h[score_key]) for h in logs if score_key in h]),
                color="green",
                marker="s",
                label=f"dev {score_key[5:]}",
            )
            twin.set_ylim(0, 1)
            twin.legend(loc="upper right")
        ax.legend(loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_per_type(metrics: dict, path: Path) -> None:
    """Test (else dev) F1 per entity type and per event type."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = []
    for task in ("ner", "events"):
        scores = metrics.get(task, {}).get("test") or metrics.get(task, {}).get("dev")
        if scores:
            panels.append((task, {k: v["f1"] for k, v in scores["per_type"].items()}))
    if not panels:
        return
    fig, axes = plt.subplots(1, len(panels), figsize=(6 * len(panels), 4), squeeze=False)
    for ax, (task, scores) in zip(axes[0], panels):
        ax.bar(list(scores), list(scores.values()), color="#4c72b0")
        ax.set_ylim(0, 1)
        ax.set_title(f"{task}: F1 per type")
        ax.tick_params(axis="x", rotation=45)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def push(output: Path, repo: str) -> list[str]:
    """Upload the run to one hub repo laid out as the run directory: ``ner/`` and ``events/`` each a
    model folder, with the card, config and metrics at the root (needs network and a token).

    ``Pipeline.from_pretrained`` reads a download of it; transformers loads one model with
    ``from_pretrained(repo, subfolder="ner")``. Returns the paths uploaded.
    """
    from huggingface_hub import HfApi

    api = HfApi()
    api.create_repo(repo, exist_ok=True)
    folders = [task for task in ("ner", "events", "mlm") if (output / task).is_dir()]
    patterns = [f"{task}/*" for task in folders] + ["README.md", "config.yaml", "metrics.json", "*.png"]
    api.upload_folder(
        repo_id=repo, folder_path=str(output), allow_patterns=patterns, commit_message="arabic_news_ie run"
    )
    return patterns
