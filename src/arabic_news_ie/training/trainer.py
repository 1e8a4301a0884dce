"""The Hugging Face Trainer, configured once for every task: arguments, ordered sampling, head learning
rate, partial-label loss, checkpoints, early stopping and resume (``training.py`` drives it)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..config import Config, MlmConfig, TaskConfig


def mixed_precision(cfg: Config) -> dict:
    """bf16 on a GPU that supports it, fp16 on other GPUs, full precision on CPU (or as configured)."""
    import torch

    choice = cfg.training.mixed_precision
    on_gpu = torch.cuda.is_available() and not cfg.training.use_cpu
    if choice == "auto":
        choice = ("bf16" if torch.cuda.is_bf16_supported() else "fp16") if on_gpu else "no"
    return {"bf16": choice == "bf16", "fp16": choice == "fp16"}


def training_arguments(cfg: Config, task: TaskConfig | MlmConfig, checkpoints: Path, metric: str):
    from transformers import TrainingArguments

    t = cfg.training
    return TrainingArguments(
        output_dir=str(checkpoints),
        num_train_epochs=task.epochs or t.epochs,
        max_steps=t.max_steps,
        learning_rate=task.learning_rate or t.learning_rate,
        per_device_train_batch_size=t.batch_size,
        per_device_eval_batch_size=t.eval_batch_size,
        gradient_accumulation_steps=t.gradient_accumulation_steps,
        weight_decay=t.weight_decay,
        warmup_steps=t.warmup_ratio,  # a float in [0, 1) is a ratio of the total steps
        eval_strategy="epoch" if t.max_steps <= 0 else "steps",
        save_strategy="epoch" if t.max_steps <= 0 else "steps",
        eval_steps=None if t.max_steps <= 0 else max(1, t.max_steps // 2),
        save_steps=None if t.max_steps <= 0 else max(1, t.max_steps // 2),
        save_total_limit=2,
        load_best_model_at_end=True,
        metric_for_best_model=metric,
        greater_is_better=True,
        train_sampling_strategy="group_by_length",
        logging_strategy="steps",
        logging_steps=t.logging_steps,
        seed=t.seed,
        data_seed=t.seed,
        use_cpu=t.use_cpu,
        report_to="none",
        dataloader_num_workers=0,
        dataloader_pin_memory=False,
        **mixed_precision(cfg),
    )


def _ordered_trainer_class():
    import torch
    from torch.utils.data import SequentialSampler
    from transformers import Trainer
    from transformers.trainer_pt_utils import LengthGroupedSampler

    class EpochLengthGroupedSampler(LengthGroupedSampler):
        """Length-grouped batches whose shuffle depends only on (seed, epoch), so a resumed run sees the
        same batches as an uninterrupted one (the stock sampler draws from the global RNG)."""

        def __init__(self, *args, seed: int, **kwargs):
            super().__init__(*args, generator=torch.Generator(), **kwargs)
            self.seed = seed
            self.set_epoch(0)

        def set_epoch(self, epoch: int) -> None:
            self.generator.manual_seed(self.seed + int(epoch))

    class OrderedEvalTrainer(Trainer):
        """Trainer whose evaluation keeps dataset order (``fit`` and ``predict_logits`` hand it features
        sorted by length and put the predictions back) and whose training order is resumable.

        note: with train_sampling_strategy="group_by_length", transformers 5 also length-groups (and so
        reorders) evaluation batches; our metrics merge windows back by position, so order must hold.
        """

        head_rates: dict[str, float] = {}  # set per instance: the new head modules' learning rates

        def create_optimizer(self, *args, **kwargs):
            """AdamW as configured, but the randomly initialised head modules at their own rates."""
            if self.optimizer is None and self.head_rates:
                optimizer_cls, optimizer_kwargs = Trainer.get_optimizer_cls_and_kwargs(self.args, self.model)
                self.optimizer = optimizer_cls(_parameter_groups(self, self.head_rates), **optimizer_kwargs)
            return super().create_optimizer(*args, **kwargs)

        def _get_eval_sampler(self, eval_dataset):
            return SequentialSampler(eval_dataset) if eval_dataset is not None else None

        def _get_train_sampler(self, train_dataset=None):
            dataset = train_dataset if train_dataset is not None else self.train_dataset
            return EpochLengthGroupedSampler(
                self.args.train_batch_size * self.args.gradient_accumulation_steps,
                dataset=dataset,
                lengths=[len(ids) for ids in dataset["input_ids"]],
                seed=self.args.data_seed if self.args.data_seed is not None else self.args.seed,
            )

    return OrderedEvalTrainer


HEAD_MODULES = ("classifier", "pooled_norm")  # modules the pre-trained encoder lacks: the head's learning rate


def head_rates(head_learning_rate: float | None, modules: tuple[str, ...] = HEAD_MODULES) -> dict[str, float]:
    """``{module: rate}`` for the head modules, or nothing when the head trains at the encoder's rate."""
    return {module: head_learning_rate for module in modules} if head_learning_rate else {}


def _parameter_groups(trainer, rates: dict[str, float]) -> list[dict]:
    """AdamW groups by (rate, decayed or not): a module named in ``rates`` at its rate, the rest at the encoder's."""
    decay = set(trainer.get_decay_parameter_names(trainer.model))
    groups: dict[tuple[float, bool], list] = {}
    for name, param in trainer.model.named_parameters():
        if param.requires_grad:
            rate = next((r for module, r in rates.items() if name.split(".")[0] == module), trainer.args.learning_rate)
            groups.setdefault((rate, name in decay), []).append(param)
    return [
        {"params": params, "weight_decay": trainer.args.weight_decay if decayed else 0.0, "lr": rate}
        for (rate, decayed), params in groups.items()
    ]


def fit(
    cfg: Config,
    task: TaskConfig,
    name: str,
    model,
    tokenizer,
    data,
    output: Path,
    compute: Callable,
    resume: bool,
    metric: str,
    collator=None,
    rates: dict[str, float] | None = None,
):
    """Train with early stopping on dev; the best checkpoint is loaded at the end.

    ``collator``: the batches' collator (default: by task); ``rates``: head modules' learning rates
    (default: ``task.head_learning_rate`` for ``HEAD_MODULES``)."""
    from datasets import Dataset
    from transformers import (
        DataCollatorForTokenClassification,
        DataCollatorWithPadding,
        EarlyStoppingCallback,
    )

    checkpoints = output / "checkpoints" / name
    if not resume and checkpoints.exists():
        shutil.rmtree(checkpoints)
    if collator is None:
        collator = (
            DataCollatorForTokenClassification(tokenizer) if name == "ner" else DataCollatorWithPadding(tokenizer)
        )
    dev_features, restore = length_sorted(data.encoded["dev"].features)
    trainer = _ordered_trainer_class()(
        model=model,
        args=training_arguments(cfg, task, checkpoints, metric),
        data_collator=collator,
        train_dataset=Dataset.from_list(data.encoded["train"].features),
        eval_dataset=Dataset.from_list(dev_features),
        processing_class=tokenizer,
        compute_metrics=lambda prediction: compute("dev", _reordered(prediction.predictions, restore)),
        compute_loss_func=partial_label_loss(data.label_sets) if data.label_sets is not None else None,
        callbacks=[EarlyStoppingCallback(early_stopping_patience=cfg.training.early_stopping_patience)],
    )
    trainer.head_rates = head_rates(task.head_learning_rate) if rates is None else rates
    trainer.train(resume_from_checkpoint=last_checkpoint(checkpoints) if resume else None)
    return trainer


def partial_label_loss(label_sets: np.ndarray) -> Callable:
    """Token loss where target k allows the tags ``label_sets[k]``: -log(sum of their probabilities).

    Targets below the number of labels allow exactly one tag, so for them this is the usual cross-entropy;
    a partial target (ANERcorp's LOC read as "our GPE or our LOC") forces no choice between its tags.
    """
    import torch

    allowed_table = torch.from_numpy(label_sets)

    def loss(outputs, labels, num_items_in_batch=None):
        logits = outputs.logits.float()  # (batch, seq, labels)
        keep = labels != -100
        logits, targets = logits[keep], labels[keep]  # (tokens, labels), (tokens,)
        allowed = allowed_table.to(logits.device)[targets]  # (tokens, labels)
        nll = torch.logsumexp(logits, -1) - torch.logsumexp(logits.masked_fill(~allowed, float("-inf")), -1)
        return nll.sum() / (num_items_in_batch if num_items_in_batch else max(len(nll), 1))

    return loss


def last_checkpoint(checkpoints: Path) -> str | None:
    """The newest complete ``checkpoint-N`` directory, or None when the run has none yet.

    The Trainer writes ``trainer_state.json`` last, so a checkpoint without it was cut off by a kill
    while being written and is skipped.
    """
    complete = [p for p in checkpoints.glob("checkpoint-*") if (p / "trainer_state.json").exists()]
    found = sorted(complete, key=lambda p: int(p.name.split("-")[-1]))
    return str(found[-1]) if found else None


def predict_logits(trainer, encoded) -> np.ndarray:
    """Raw logits of encoded features, in order, from the Trainer's own prediction loop (devices, mixed
    precision and processes as in training); the caller merges and decodes them through ``predictor.py``."""
    from datasets import Dataset

    features, restore = length_sorted(encoded.features)
    compute, trainer.compute_metrics = trainer.compute_metrics, None
    try:
        return _reordered(trainer.predict(Dataset.from_list(features)).predictions, restore)
    finally:
        trainer.compute_metrics = compute


def _reordered(predictions, restore: np.ndarray):
    """Predictions (an array, or a tuple of arrays from a model with several outputs) put back in order."""
    return tuple(p[restore] for p in predictions) if isinstance(predictions, tuple) else predictions[restore]


def length_sorted(features: list[dict]) -> tuple[list[dict], np.ndarray]:
    """Features longest first, so that evaluation batches are padded to similar lengths, and the index
    that puts rows predicted in that order back into the features' own order.

    >>> sorted_features, restore = length_sorted([{"input_ids": [1]}, {"input_ids": [1, 2, 3]}, {"input_ids": [1, 2]}])
    >>> [len(f["input_ids"]) for f in sorted_features], np.array(["c", "b", "a"])[restore].tolist()
    ([3, 2, 1], ['a', 'c', 'b'])
    """
    order = sorted(range(len(features)), key=lambda i: -len(features[i]["input_ids"]))
    return [features[i] for i in order], np.argsort(np.array(order, dtype=np.int64))
