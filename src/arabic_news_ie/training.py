"""Train the NER tagger and the event classifier with the Hugging Face Trainer.

One function per stage: data -> tokenizer -> features -> Trainer -> best model -> metrics. The small
embedded BERT and AraBERT share every line; only ``model.name_or_path`` differs.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .config import Config
from .data import bio_labels, class_labels, entity_labels, load_extra, load_splits
from .decoding import WEIGHTS, TagPrior, decode_tags, estimate_prior
from .encoding import model_forms, word_spans
from .examples import (
    Encoded,
    add_class_labels,
    add_ner_labels,
    document_units,
    encode_units,
    merge_class_probs,
    merge_token_probs,
    sentence_units,
)
from .metrics import multilabel_scores, ner_scores, single_label_scores, tune_threshold
from .modeling import arabert_preprocessor, build_model, load_tokenizer, train_tokenizer, word_preprocessor
from .schema import Article


def is_main_process() -> bool:
    """False on the non-zero ranks of a torchrun/accelerate launch: only rank 0 writes run files."""
    return int(os.environ.get("RANK", "0")) == 0


class RunError(RuntimeError):
    """A problem with the run itself (output directory, resume state), reported in one line."""


@dataclass
class TaskData:
    """Everything a task needs: encoded splits and the gold answers to score them against."""

    labels: list[str]
    encoded: dict[str, Encoded]
    gold: dict[str, list]
    multi_label: bool = True
    prior: TagPrior | None = None  # NER: tag-bigram log-probabilities of the (unaugmented) train split
    label_sets: np.ndarray | None = None  # NER with partial labels: (targets, labels) allowed tags per target


def run(cfg: Config, output_dir: str | Path, task: str = "both", resume: bool = False) -> dict:
    """Train the requested task(s) into ``output_dir`` and return the metrics written to metrics.json."""
    output = Path(output_dir)
    prepare_output(output, resume)
    _seed_and_threads(cfg)
    if task == "mlm":
        return _pretrain(cfg, output, resume)
    splits = load_splits(cfg.data)
    arabert = (cfg.model.name_or_path or "") if cfg.model.arabert_preprocess else None
    tokenizer = prepare_tokenizer(
        cfg, splits["train"], output, arabert_preprocessor(arabert) if arabert is not None else None
    )
    preprocess = word_preprocessor(tokenizer, arabert, cfg.model.split_clitics)
    metrics = _read_json(output / "metrics.json") if resume else {}
    for name, trainer in _tasks(cfg, splits, task).items():
        if not (resume and name in metrics):
            metrics[name] = trainer(cfg, splits, tokenizer, output, preprocess, resume)
    metrics["data"] = {name: _split_stats(articles) for name, articles in splits.items()}
    history = _read_json(output / "history.json") if resume else {}
    for name in ("ner", "events"):
        if "log_history" in metrics.get(name, {}):
            history[name] = metrics[name].pop("log_history")
    if is_main_process():
        (output / "history.json").write_text(json.dumps(history, indent=1), encoding="utf-8")
        (output / "metrics.json").write_text(json.dumps(metrics, indent=2, ensure_ascii=False), encoding="utf-8")
    return metrics


def _split_stats(articles: list[Article]) -> dict:
    from .stats import corpus_stats

    stats = corpus_stats(articles)
    return {key: stats[key] for key in ("articles", "sentences", "words", "entities", "events", "no_event_sentences")}


def _pretrain(cfg: Config, output: Path, resume: bool) -> dict:
    from .pretraining import pretrain, read_unlabelled

    texts = read_unlabelled(cfg.data.train)
    articles = [Article(str(i), t) for i, t in enumerate(texts)]
    tokenizer = prepare_tokenizer(cfg, articles, output, None)
    metrics = {"mlm": pretrain(cfg, output, tokenizer, texts, resume)}
    if is_main_process():
        (output / "metrics.json").write_text(json.dumps(metrics, indent=2), encoding="utf-8")
    return metrics


def _tasks(cfg: Config, splits: dict[str, list[Article]], task: str) -> dict:
    """The task trainers to run: those asked for, enabled in the config and labelled in the data."""
    from .data import DataError

    train = splits["train"]
    has = {
        "ner": any(a.entities for a in train),
        "events": any(a.label for a in train) or any(s.events for a in train for s in a.sentences),
    }
    wanted = {"ner": train_ner, "events": train_events}
    if task != "both":
        if not has[task]:
            raise DataError(
                f"{cfg.data.train}: the data has no {'entity' if task == 'ner' else 'event or class'} labels to train --task {task} on"
            )
        if not getattr(cfg, task).enabled:
            raise DataError(f"--task {task}: {task}.enabled is false in the config")
        return {task: wanted[task]}
    chosen = {name: fn for name, fn in wanted.items() if has[name] and getattr(cfg, name).enabled}
    if not chosen:
        raise DataError(f"{cfg.data.train}: nothing to train (no labelled entities or events, or both tasks disabled)")
    return chosen


def prepare_output(output: Path, resume: bool) -> None:
    """Fail before any work if the output directory can't be written or would be silently overwritten."""
    try:
        output.mkdir(parents=True, exist_ok=True)
        probe = output / ".write-test"
        probe.write_bytes(b"\0" * 1024 * 1024)
        probe.unlink()
    except OSError as err:
        raise RunError(f"{output}: output directory is not writable ({err.strerror})") from None
    free = shutil.disk_usage(output).free
    if free < 200 * 1024 * 1024:
        raise RunError(f"{output}: only {free // 2**20} MB free on disk; a run needs at least 200 MB")
    if not resume and (output / "metrics.json").exists():
        print(f"note: {output} holds an earlier run; it will be replaced (use --resume to continue it)")


def _seed_and_threads(cfg: Config) -> None:
    import torch
    from transformers import set_seed

    if cfg.training.num_threads > 0:
        torch.set_num_threads(cfg.training.num_threads)
    set_seed(cfg.training.seed)


def prepare_tokenizer(cfg: Config, train: list[Article], output: Path, preprocess):
    """Load the pre-trained tokenizer, or train the embedded default's WordPiece vocabulary on train text."""
    if cfg.model.name_or_path:
        return load_tokenizer(cfg.model.name_or_path)
    saved = output / "tokenizer"
    if (saved / "tokenizer.json").exists():
        return load_tokenizer(str(saved))
    lines = (" ".join(model_forms(a.text, word_spans(a.text), preprocess)) for a in train)
    tokenizer = train_tokenizer(lines, cfg.model.vocab_size, cfg.model.vocab_min_frequency)
    tokenizer.model_max_length = cfg.model.max_length
    if is_main_process():  # every rank trains the same vocabulary (deterministic); one writes it
        tokenizer.save_pretrained(saved)
    return tokenizer


# ---------------------------------------------------------------- NER


def ner_data(cfg: Config, splits: dict[str, list[Article]], tokenizer, preprocess) -> TaskData:
    """Encode every split's sentences into labelled windows (train with its augmented copies and the
    ``data.extra`` sources, whose set-valued labels become partial-label targets)."""
    from .augment import augmented

    labels = bio_labels(entity_labels(cfg.data, splits["train"]))
    label2id = {l: i for i, l in enumerate(labels)}
    extra = load_extra(cfg.data, cfg.training.seed)
    partial, label_sets = partial_targets(extra, labels)
    encoded, gold = {}, {}
    prior = estimate_prior(_gold_tags(splits["train"], sentence_units(splits["train"])), labels)
    for name, articles in splits.items():
        if name == "train":
            articles = articles + augmented(articles, cfg.ner, cfg.training.seed) + extra
        units = sentence_units(articles)
        enc = encode_units(
            tokenizer, [a.text for a in articles], units, cfg.model.max_length, cfg.model.stride, preprocess
        )
        _check_labels(articles, set(label2id) | set(partial), name)
        add_ner_labels(enc, articles, units, {**label2id, **partial})
        encoded[name] = enc
        gold[name] = _gold_tags(articles, units)
    return TaskData(labels, encoded, gold, prior=prior, label_sets=label_sets)


def partial_targets(articles: list[Article], labels: list[str]) -> tuple[dict[str, int], np.ndarray | None]:
    """Target ids for set-valued tags ("B-GPE|LOC" -> len(labels) + k) and the (targets, labels) boolean
    table of the tags each target allows (identity rows first); None when every tag is a single label.

    >>> from arabic_news_ie.schema import Span
    >>> labels = ["O", "B-GPE", "I-GPE", "B-LOC", "I-LOC"]
    >>> ids, sets = partial_targets([Article("a", "x", (Span(0, 1, "GPE|LOC"),))], labels)
    >>> ids, sets[ids["B-GPE|LOC"]].nonzero()[0].tolist()
    ({'B-GPE|LOC': 5, 'I-GPE|LOC': 6}, [1, 3])
    """
    from .data import PARTIAL, DataError

    sets = sorted({e.label for a in articles for e in a.entities if PARTIAL in e.label})
    if not sets:
        return {}, None
    ids, rows = {}, [np.eye(len(labels), dtype=bool)]
    for label_set in sets:
        for prefix in ("B", "I"):
            members = [f"{prefix}-{member}" for member in label_set.split(PARTIAL)]
            unknown = [m for m in members if m not in labels]
            if unknown:
                raise DataError(f"data.extra: label {unknown[0][2:]!r} (in {label_set}) is not among {labels[1::2]}")
            ids[f"{prefix}-{label_set}"] = len(labels) + len(ids)
            rows.append(np.array([[label in members for label in labels]]))
    return ids, np.concatenate(rows)


def _check_labels(articles: list[Article], known: set[str], split: str) -> None:
    from .data import DataError

    for article in articles:
        for entity in article.entities:
            if f"B-{entity.label}" not in known:
                raise DataError(f"{article.id}: entity label {entity.label!r} in {split} is not among {sorted(known)}")


def _gold_tags(articles: list[Article], units) -> list[list[str]]:
    from .corpus import spans_to_bio

    return [spans_to_bio(u.spans, articles[u.article_index].entities) for u in units]


def ner_metrics(data: TaskData, split: str, logits: list[np.ndarray], decoding: str, prior: TagPrior | None) -> dict:
    """seqeval scores of merged word predictions for a split, decoded as the pipeline decodes them."""
    probs = merge_token_probs(data.encoded[split], logits)
    return _decoded_scores(data, split, probs, decoding, prior)


def _decoded_scores(data: TaskData, split: str, probs: list[np.ndarray], decoding: str, prior) -> dict:
    return ner_scores(data.gold[split], decode_tags(probs, data.labels, decoding, prior))


def tune_prior(data: TaskData, logits: list[np.ndarray]) -> TagPrior:
    """The tag prior with the weight that gives the best dev F1 (the smallest weight on ties)."""
    probs = merge_token_probs(data.encoded["dev"], logits)
    best, best_f1 = data.prior.with_weight(0.0), -1.0
    for weight in WEIGHTS:
        f1 = _decoded_scores(data, "dev", probs, "viterbi", data.prior.with_weight(weight))["f1"]
        if f1 > best_f1 + 1e-12:
            best, best_f1 = data.prior.with_weight(weight), f1
    return best


def train_ner(cfg: Config, splits, tokenizer, output: Path, preprocess, resume: bool) -> dict:
    """Fit the token classifier, keep the best dev checkpoint, tune the tag prior, score dev and test."""
    from .trainer import fit, predict_logits

    data = ner_data(cfg, splits, tokenizer, preprocess)
    model = build_model("ner", cfg.model, tokenizer, data.labels)
    decoding = cfg.ner.decoding

    def compute(split: str, logits) -> dict:
        # note: like the events threshold, each epoch is scored at its own best prior weight on dev
        logits = _unpad(logits, data.encoded[split])
        prior = tune_prior(data, logits) if decoding == "viterbi" and split == "dev" else None
        return _flat(ner_metrics(data, split, logits, decoding, prior))

    trainer = fit(cfg, cfg.ner, "ner", model, tokenizer, data, output, compute, resume, metric="f1")
    logits = {
        s: _unpad(predict_logits(trainer, data.encoded[s]), data.encoded[s])
        for s in scored_splits(data)
    }
    prior = tune_prior(data, logits["dev"]) if decoding == "viterbi" else None
    results = {"labels": data.labels, "decoding": decoding}
    if prior is not None:
        results["prior_weight"] = prior.weight
    for split, split_logits in logits.items():
        results[split] = ner_metrics(data, split, split_logits, decoding, prior)
    _save(trainer, output / "ner", cfg, {"task": "ner", "iob_prior": prior.to_dict() if prior else None})
    results["log_history"] = trainer.state.log_history
    return results


# ---------------------------------------------------------------- events


def event_data(cfg: Config, splits: dict[str, list[Article]], tokenizer, preprocess) -> TaskData:
    """Encode sentences (multi-label events) or documents (single-label classes) into windows."""
    labels, multi_label = class_labels(cfg.data, splits["train"])
    if cfg.events.problem_type != "auto":
        multi_label = cfg.events.problem_type == "multi_label"
    label2id = {l: i for i, l in enumerate(labels)}
    encoded, gold = {}, {}
    for name, articles in splits.items():
        units = sentence_units(articles) if multi_label else document_units(articles)
        enc = encode_units(
            tokenizer, [a.text for a in articles], units, cfg.model.max_length, cfg.model.stride, preprocess
        )
        if multi_label:
            targets = [s.events for a in articles for s in a.sentences]
            add_class_labels(enc, [[label2id[t] for t in ts if t in label2id] for ts in targets], len(labels), True)
            gold[name] = [set(ts) for ts in targets]
        else:
            _check_classes(articles, label2id, name)
            add_class_labels(enc, [label2id[a.label] for a in articles], len(labels), False)
            gold[name] = [a.label for a in articles]
        encoded[name] = enc
    return TaskData(labels, encoded, gold, multi_label)


def _check_classes(articles: list[Article], label2id: dict[str, int], split: str) -> None:
    from .data import DataError

    for article in articles:
        if article.label not in label2id:
            raise DataError(f"{article.id}: class {article.label!r} in {split} is not among {sorted(label2id)}")


def event_probabilities(data: TaskData, split: str, logits: np.ndarray) -> list[dict[str, float]]:
    probs = merge_class_probs(data.encoded[split], logits, data.multi_label)
    return [dict(zip(data.labels, map(float, row))) for row in probs]


def event_metrics(data: TaskData, split: str, logits: np.ndarray, threshold: float) -> dict:
    """Micro/macro F1 over sentence event sets, or accuracy/macro-F1 for single-label classes."""
    probabilities = event_probabilities(data, split, logits)
    if data.multi_label:
        predicted = [{l for l, p in probs.items() if p >= threshold} for probs in probabilities]
        return multilabel_scores(data.gold[split], predicted, data.labels)
    predicted = [max(probs, key=probs.get) for probs in probabilities]
    return single_label_scores(data.gold[split], predicted, data.labels)


def train_events(cfg: Config, splits, tokenizer, output: Path, preprocess, resume: bool) -> dict:
    """Fit the sequence classifier; tune the multi-label threshold on dev; score dev and test."""
    from .trainer import fit, predict_logits

    data = event_data(cfg, splits, tokenizer, preprocess)
    problem = "multi_label_classification" if data.multi_label else "single_label_classification"
    init_from = cfg.events.init_from
    if init_from == "ner":
        init_from = str(output / "ner")
        if not (output / "ner" / "config.json").exists():
            raise RunError(
                f"events.init_from=ner: {output / 'ner'} holds no trained NER model (train --task ner first)"
            )
    model = build_model(
        "events", cfg.model, tokenizer, data.labels, problem, init_from=init_from, pooling=cfg.events.pooling
    )

    def compute(split: str, logits) -> dict:
        # note: model selection scores each epoch at its own best dev threshold; at a fixed 0.5 an
        # imbalanced multi-label head predicts nothing for the first epochs and early stopping fires.
        threshold = 0.5
        if data.multi_label:
            threshold = tune_threshold(data.gold[split], event_probabilities(data, split, logits), data.labels)
        return _flat(event_metrics(data, split, logits, threshold))

    metric = "micro_f1" if data.multi_label else "macro_f1"
    trainer = fit(cfg, cfg.events, "events", model, tokenizer, data, output, compute, resume, metric=metric)
    logits = {s: predict_logits(trainer, data.encoded[s]) for s in scored_splits(data)}
    threshold = 0.5
    if data.multi_label:
        threshold = tune_threshold(data.gold["dev"], event_probabilities(data, "dev", logits["dev"]), data.labels)
    results = {"labels": data.labels, "multi_label": data.multi_label, "threshold": threshold}
    for split, split_logits in logits.items():
        results[split] = event_metrics(data, split, split_logits, threshold)
    _save(
        trainer,
        output / "events",
        cfg,
        {"task": "events", "event_threshold": threshold, "multi_label": data.multi_label},
    )
    results["log_history"] = trainer.state.log_history
    return results


# ---------------------------------------------------------------- shared


def _save(trainer, directory: Path, cfg: Config, extra: dict) -> None:
    """save_pretrained model + tokenizer, with what inference needs stored in config.json."""
    trainer.model.config.arabic_news_ie = {
        "max_length": cfg.model.max_length,
        "stride": cfg.model.stride,
        "arabert_preprocess": cfg.model.arabert_preprocess,
        "split_clitics": cfg.model.split_clitics,
        "base_model": cfg.model.name_or_path or "embedded-small-bert",
        **extra,
    }
    trainer.save_model(str(directory))  # writes on the main process only
    if is_main_process():
        (directory / "training_args.bin").unlink(missing_ok=True)  # a pickle; the run's config.yaml says it all
        shutil.rmtree(Path(trainer.args.output_dir), ignore_errors=True)  # checkpoints are only for --resume


def _unpad(logits: np.ndarray, encoded: Encoded) -> list[np.ndarray]:
    """Trainer pads token logits across batches; cut each feature back to its own length."""
    return [row[: f["length"]] for row, f in zip(logits, encoded.features)]


def scored_splits(data: TaskData) -> list[str]:
    """dev, test and any other held-out split present (e.g. test-original), in that order."""
    held_out = [s for s in data.encoded if s not in ("train", "dev", "test")]
    return [s for s in ("dev", "test", *held_out) if data.encoded.get(s) and data.encoded[s].features]


def _flat(scores: dict) -> dict:
    return {k: v for k, v in scores.items() if isinstance(v, float)}


def _read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
