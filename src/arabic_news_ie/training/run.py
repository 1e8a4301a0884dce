"""A training run: one function, :func:`train`, owns the run directory from start to end.

data -> tokenizer -> per task: encoded data -> Trainer -> best model -> scores -> saved model; then
metrics, history, model card and plots. Scores take the Trainer's logits (its devices, precision and
processes) through the predict path the Pipeline runs (``predictor.py``: window merge, decoding, threshold;
``evaluation.py``: scoring), so ``evaluate`` on the saved model reproduces them. The embedded default and
AraBERT share every line; only ``model.name_or_path`` differs.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from pathlib import Path

from ..config import Config, load_config
from ..data.schema import Article
from ..data.splits import DataError, load_splits, located, resolve
from ..data.windows import model_forms, word_spans
from ..inference.model_files import InferenceSettings, write_settings
from ..inference.predictor import EventClassifier, Tagger
from ..models.tokenizers import arabert_preprocessor, load_tokenizer, train_tokenizer, word_preprocessor
from .building import build_model, init_head_from_prior
from .task_data import event_data, ner_data
from .task_scores import event_epoch_scores, event_final_scores, ner_epoch_scores, ner_final_scores, scored_splits


def is_main_process() -> bool:
    """False on the non-zero ranks of a torchrun/accelerate launch: only rank 0 writes run files."""
    return int(os.environ.get("RANK", "0")) == 0


class RunError(RuntimeError):
    """A problem with the run itself (output directory, resume state), reported in one line."""


def train(
    cfg: Config, output_dir: str | Path, task: str = "both", resume: bool = False, push_to_hub: str | None = None
) -> dict:
    """Train ``task`` ("ner", "events", "both" or "mlm") into ``output_dir``; return its metrics.

    The run directory gets config.yaml (first, so an interrupted run says how it was started), the
    models, metrics.json, history.json, and for fine-tuning the model card and plots.
    """
    from .reporting import push, report_run, write_config

    output = Path(output_dir)
    prepare_output(output, resume)
    cfg = dataclasses.replace(cfg, data=located(cfg.data))
    if resume:
        same_config(cfg, output)
    if is_main_process():
        write_config(cfg, output)
    _seed_and_threads(cfg)
    metrics = _read_json(output / "metrics.json") if resume else {}
    history = _read_json(output / "history.json") if resume else {}
    if task == "mlm":
        metrics["mlm"], history["mlm"] = _pretrain(cfg, output, resume)
    else:
        _fine_tune(cfg, output, task, resume, metrics, history)
    save_progress(output, metrics, history)
    if is_main_process():
        if task != "mlm":
            report_run(cfg, output, metrics, history)
        if push_to_hub:
            push(output, push_to_hub)
    return metrics


def _fine_tune(cfg: Config, output: Path, task: str, resume: bool, metrics: dict, history: dict) -> None:
    """Train each requested task not already finished (``resume``), adding its metrics and history."""
    splits = load_splits(cfg.data)
    arabert = (cfg.model.name_or_path or "") if cfg.model.arabert_preprocess else None
    tokenizer = prepare_tokenizer(
        cfg, splits["train"], output, arabert_preprocessor(arabert) if arabert is not None else None
    )
    preprocess = word_preprocessor(tokenizer, arabert, cfg.model.split_clitics)
    tasks, done = _tasks(cfg, splits, task), set(metrics) if resume else set()
    if cfg.model.shared_encoder and len(tasks) == 2 and not {"ner", "events"} <= done:
        from .joint import task_history, train_joint  # both tasks on one encoder

        metrics["ner"], metrics["events"], log = train_joint(cfg, splits, tokenizer, output, preprocess, resume)
        history["ner"], history["events"] = task_history(log, "ner_"), task_history(log, "events_")
        done |= {"ner", "events"}
        save_progress(output, metrics, history)
    for name, trainer in tasks.items():
        if name not in done:
            metrics[name], history[name] = trainer(cfg, splits, tokenizer, output, preprocess, resume)
            save_progress(output, metrics, history)  # a run killed later resumes without retraining this task
    metrics["data"] = {name: _split_stats(articles) for name, articles in splits.items()}


def _split_stats(articles: list[Article]) -> dict:
    from ..data.stats import corpus_stats

    stats = corpus_stats(articles)
    return {key: stats[key] for key in ("articles", "sentences", "words", "entities", "events", "no_event_sentences")}


def _pretrain(cfg: Config, output: Path, resume: bool) -> tuple[dict, list]:
    from .pretraining import pretrain, read_unlabelled

    texts = read_unlabelled(resolve(cfg.data.train, cfg.data.config_dir))
    articles = [Article(str(i), t) for i, t in enumerate(texts)]
    tokenizer = prepare_tokenizer(cfg, articles, output, None)
    return pretrain(cfg, output, tokenizer, texts, resume)


def _tasks(cfg: Config, splits: dict[str, list[Article]], task: str) -> dict:
    """The task trainers to run: those asked for, enabled in the config and labelled in the data."""
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


def save_progress(output: Path, metrics: dict, history: dict) -> None:
    """metrics.json and history.json as they stand: written after each task, so ``--resume`` skips it."""
    if is_main_process():
        (output / "history.json").write_text(json.dumps(history, indent=1), encoding="utf-8")
        (output / "metrics.json").write_text(json.dumps(metrics, indent=2, ensure_ascii=False), encoding="utf-8")


def same_config(cfg: Config, output: Path) -> None:
    """``--resume`` continues the run as it was started: a config differing from its config.yaml is an error."""
    saved_path = output / "config.yaml"
    if not saved_path.exists():
        return
    saved = load_config(saved_path, written_by_run=True)
    saved = dataclasses.replace(saved, data=located(saved.data))
    differing = _first_difference(saved.to_dict(), cfg.to_dict())
    if differing:
        key, was, now = differing
        raise RunError(
            f"{saved_path}: --resume with a different config: {key} was {was!r}, now {now!r} "
            "(resume with the run's own settings, or start a new run in another --output-dir)"
        )


def _first_difference(saved: object, new: object, key: str = "") -> tuple | None:
    if isinstance(saved, dict) and isinstance(new, dict):
        for name in list(saved) + [k for k in new if k not in saved]:
            found = _first_difference(saved.get(name), new.get(name), f"{key}.{name}" if key else name)
            if found:
                return found
        return None
    return None if saved == new else (key, saved, new)


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


def train_ner(cfg: Config, splits, tokenizer, output: Path, preprocess, resume: bool) -> tuple[dict, list]:
    """Fit the token classifier, keep the best dev checkpoint, tune the tag prior, score the held-out splits."""
    from .trainer import fit, predict_logits

    data = ner_data(cfg, splits, tokenizer, preprocess)
    model = build_model("ner", cfg.model, tokenizer, data.labels, freeze_layers=cfg.ner.freeze_layers)
    tagger = Tagger(model, tokenizer, _settings(cfg, "ner", iob_prior=data.prior))
    decoding = cfg.ner.decoding

    def compute(split: str, logits) -> dict:
        return ner_epoch_scores(tagger, data, split, logits, decoding)

    trainer = fit(cfg, cfg.ner, "ner", model, tokenizer, data, output, compute, resume, metric="f1")
    logits = {s: predict_logits(trainer, data.encoded[s]) for s in scored_splits(data)}
    results, tagger = ner_final_scores(tagger, data, splits, logits, decoding)
    _save(trainer, output / "ner", tagger, data.encoded["train"].features)
    return results, trainer.state.log_history


# ---------------------------------------------------------------- events


def train_events(cfg: Config, splits, tokenizer, output: Path, preprocess, resume: bool) -> tuple[dict, list]:
    """Fit the sequence classifier; tune the multi-label threshold on dev; score the held-out splits."""
    from .trainer import fit, predict_logits

    data = event_data(cfg, splits, tokenizer, preprocess)
    problem = "multi_label_classification" if data.multi_label else "single_label_classification"
    model = build_model(
        "events",
        cfg.model,
        tokenizer,
        data.labels,
        problem,
        init_from=_init_from(cfg, output),
        pooling=cfg.events.pooling,
        pooled_norm=cfg.events.pooled_norm,
        freeze_layers=cfg.events.freeze_layers,
    )
    if cfg.events.bias_init == "prior":
        init_head_from_prior(model.classifier, data.train_frequencies(), data.multi_label)
    settings = _settings(cfg, "events", multi_label=data.multi_label, input_prefix=cfg.events.input_prefix)
    classifier = EventClassifier(model, tokenizer, settings)

    def compute(split: str, logits) -> dict:
        return event_epoch_scores(classifier, data, splits[split], split, logits)

    metric = "micro_f1" if data.multi_label else "macro_f1"
    trainer = fit(cfg, cfg.events, "events", model, tokenizer, data, output, compute, resume, metric=metric)
    logits = {s: predict_logits(trainer, data.encoded[s]) for s in scored_splits(data)}
    results, classifier = event_final_scores(classifier, data, splits, logits)
    _save(trainer, output / "events", classifier, data.encoded["train"].features)
    return results, trainer.state.log_history


def _init_from(cfg: Config, output: Path) -> str | None:
    """The encoder the event classifier starts from, when not ``model.name_or_path``."""
    if cfg.events.init_from != "ner":
        return cfg.events.init_from
    if not (output / "ner" / "config.json").exists():
        raise RunError(f"events.init_from=ner: {output / 'ner'} holds no trained NER model (train --task ner first)")
    return str(output / "ner")


# ---------------------------------------------------------------- shared


def _settings(cfg: Config, task: str, **tuned) -> InferenceSettings:
    """The inference settings a model trained under ``cfg`` is saved with (tuned values added later)."""
    m = cfg.model
    base = m.name_or_path or "embedded-small-bert"
    return InferenceSettings(task, m.max_length, m.stride, m.arabert_preprocess, m.split_clitics, base, **tuned)


def _save(trainer, directory: Path, component, train_features: list[dict]) -> None:
    """save_pretrained model + tokenizer, with the inference settings stored in config.json, and the int8
    calibration (``quantization.py``) measured on train windows; then the checkpoints go."""
    from ..models.quantization import write_calibration

    write_settings(trainer.model, component.settings)
    trainer.save_model(str(directory))  # writes on the main process only
    if is_main_process():
        (directory / "training_args.bin").unlink(missing_ok=True)  # a pickle; the run's config.yaml says it all
        write_calibration(component, train_features, directory)
        shutil.rmtree(Path(trainer.args.output_dir), ignore_errors=True)  # checkpoints are only for --resume


def _read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
