"""Both tasks on one encoder (``model.shared_encoder: true``): two heads trained on the sum of their losses.

The joint model is the encoder, the NER tagger's token head (``classifier``) and the event classifier's
pooled head (``pooled_norm``, ``event_classifier``). It is trained on sentences labelled for both tasks
(NER-only sentences, e.g. ``data.extra`` or augmented copies, add no event loss) and saved as the two usual
components: a stock ``BertForTokenClassification`` and the mean-pooled event classifier, whose encoder
weights are equal, so the Pipeline runs the encoder once for both (``predictor.SharedEncoder``). Each
component still loads and runs on its own.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from ..config import Config, TaskConfig
from ..data.windows import Encoded


def joint_class():
    """The joint model class (built on demand so that importing this module does not import torch)."""
    import torch
    from transformers import BertModel, BertPreTrainedModel
    from transformers.utils import ModelOutput

    from ..models.heads import pooled_head

    @dataclass
    class JointOutput(ModelOutput):
        loss: torch.Tensor | None = None
        logits: torch.Tensor | None = None  # (batch, seq, entity tags)
        event_logits: torch.Tensor | None = None  # (batch, event types)

    class JointBertForTokenAndSequenceClassification(BertPreTrainedModel):
        """The encoder with the NER token head and the pooled event head; ``config.event_types`` names
        the event head's outputs, ``config.event_loss_weight`` weighs its loss against NER's."""

        def __init__(self, config):
            super().__init__(config)
            self.bert = BertModel(config, add_pooling_layer=False)
            self.dropout = torch.nn.Dropout(config.hidden_dropout_prob)
            self.classifier = torch.nn.Linear(config.hidden_size, config.num_labels)
            norm = getattr(config, "pooled_norm", "none")
            self.pooled_norm = torch.nn.LayerNorm(config.hidden_size) if norm == "layernorm" else None
            self.event_classifier = torch.nn.Linear(config.hidden_size, len(config.event_types))
            self.ner_loss = None  # set by training: a partial-label loss when data.extra has set-valued tags
            self.post_init()

        def forward(self, input_ids=None, attention_mask=None, labels=None, event_labels=None, event_mask=None):
            hidden = self.bert(input_ids, attention_mask=attention_mask, return_dict=True).last_hidden_state
            logits = self.classifier(self.dropout(hidden))
            event_logits = pooled_head(hidden, attention_mask, self.pooled_norm, self.event_classifier, self.dropout)
            loss = None
            if labels is not None:
                if self.ner_loss is not None:
                    loss = self.ner_loss(JointOutput(logits=logits), labels)
                else:
                    loss = torch.nn.functional.cross_entropy(logits.flatten(0, 1).float(), labels.flatten())
            if event_labels is not None:
                weights = event_mask.to(event_logits.dtype).unsqueeze(-1).expand_as(event_logits)
                bce = torch.nn.functional.binary_cross_entropy_with_logits(
                    event_logits.float(), event_labels.float(), weight=weights.float(), reduction="sum"
                )
                event_loss = bce / weights.sum().clamp(min=1.0)  # mean over the labelled sentences' outputs
                weighted = self.config.event_loss_weight * event_loss
                loss = weighted if loss is None else loss + weighted
            return JointOutput(loss=loss, logits=logits, event_logits=event_logits)

    return JointBertForTokenAndSequenceClassification


def build_joint_model(cfg: Config, ner_labels: list[str], event_types: list[str]):
    """The joint model from the configured pre-trained encoder, both heads new."""
    from transformers import BertConfig

    from ..models.pretrained import resolve
    from .building import _has_safetensors, freeze_lower_layers, label_kwargs

    source = resolve(cfg.model.name_or_path)
    config = BertConfig.from_pretrained(source, **label_kwargs(ner_labels))
    config.hidden_dropout_prob = config.attention_probs_dropout_prob = cfg.model.dropout
    config.event_types, config.pooled_norm, config.event_loss_weight = (
        list(event_types),
        cfg.events.pooled_norm,
        cfg.events.loss_weight,
    )
    model = joint_class().from_pretrained(
        source, config=config, use_safetensors=_has_safetensors(source), ignore_mismatched_sizes=True
    )
    if cfg.model.freeze_word_embeddings:
        model.get_input_embeddings().weight.requires_grad_(False)
    if cfg.ner.freeze_layers:
        freeze_lower_layers(model, cfg.ner.freeze_layers)
    return model


def component_views(joint) -> tuple:
    """(NER model, event model): stock-loadable models whose modules *are* the joint model's.

    The NER view is a ``BertForTokenClassification`` (encoder + ``classifier``); the event view is the
    mean-pooled sequence classifier (encoder + ``pooled_norm`` + ``event_classifier`` as its
    ``classifier``). They share the joint model's tensors, so training updates them and loading the best
    checkpoint into the joint model updates them too; ``save_pretrained`` on either writes that component.
    """
    import torch
    from transformers import BertConfig, BertForTokenClassification

    from ..models.heads import mean_pooled_class
    from .building import label_kwargs

    base = {k: v for k, v in joint.config.to_dict().items() if k not in _JOINT_KEYS}
    ner_config = BertConfig.from_dict(
        {**base, **label_kwargs([joint.config.id2label[i] for i in range(joint.config.num_labels)])}
    )
    event_config = mean_pooled_class().config_class.from_dict(
        {**base, **label_kwargs(joint.config.event_types, "multi_label_classification"), "pooled_norm": _norm(joint)}
    )
    with torch.device("meta"):  # the views' own modules are replaced below: allocate nothing for them
        ner, events = BertForTokenClassification(ner_config), mean_pooled_class()(event_config)
    ner.bert, ner.classifier, ner.dropout = joint.bert, joint.classifier, joint.dropout
    events.bert, events.classifier, events.dropout = joint.bert, joint.event_classifier, joint.dropout
    events.pooled_norm = joint.pooled_norm
    return ner, events


_JOINT_KEYS = (
    "architectures",
    "id2label",
    "label2id",
    "num_labels",
    "event_types",
    "event_loss_weight",
    "pooled_norm",
    "problem_type",
)


def _norm(joint) -> str:
    return "layernorm" if joint.pooled_norm is not None else "none"


def joint_features(ner: Encoded, events: Encoded, num_types: int) -> list[dict]:
    """NER features with each sentence's event labels added; sentences past the event data's (augmented
    copies, ``data.extra``) get zero labels and ``event_mask`` 0, so they add no event loss.

    Both encodings come from the same sentences in the same order with the same settings, so the first
    features of the NER encoding are the event encoding's, window for window; a mismatch is a bug.
    """
    if len(events.features) > len(ner.features):
        raise ValueError("the event data has more windows than the NER data: not the same sentences")
    joined = []
    for index, feature in enumerate(ner.features):
        if index < len(events.features):
            event = events.features[index]
            if event["input_ids"] != feature["input_ids"]:
                raise ValueError(f"window {index}: NER and event inputs differ (not encoded with the same settings)")
            joined.append({**feature, "event_labels": event["labels"], "event_mask": 1})
        else:
            joined.append({**feature, "event_labels": [0.0] * num_types, "event_mask": 0})
    return joined


class JointCollator:
    """Pads token labels like ``DataCollatorForTokenClassification`` and stacks the event labels."""

    def __init__(self, tokenizer):
        from transformers import DataCollatorForTokenClassification

        self.tokens = DataCollatorForTokenClassification(tokenizer)

    def __call__(self, features: list[dict]) -> dict:
        import torch

        batch = self.tokens([{"input_ids": f["input_ids"], "labels": f["labels"]} for f in features])
        batch["event_labels"] = torch.tensor([f["event_labels"] for f in features], dtype=torch.float32)
        batch["event_mask"] = torch.tensor([f["event_mask"] for f in features], dtype=torch.long)
        return batch


def train_joint(
    cfg: Config, splits: dict, tokenizer, output: Path, preprocess, resume: bool
) -> tuple[dict, dict, list]:
    """Fit the joint model on both tasks; keep the best dev checkpoint (mean of NER F1 and event micro-F1);
    tune the tag prior and the event threshold on dev; score the held-out splits; save ``ner/`` and
    ``events/``. Returns (NER results, event results, the Trainer's history)."""
    from ..inference.predictor import EventClassifier, Tagger
    from ..models.quantization import write_calibration
    from .run import _settings, is_main_process
    from .task_data import TaskData
    from .task_scores import event_epoch_scores, event_final_scores, ner_epoch_scores, ner_final_scores, scored_splits
    from .trainer import fit, predict_logits

    prefix, decoding = cfg.events.input_prefix, cfg.ner.decoding
    _note_ignored_keys(cfg)
    ner, events, model = _prepared(cfg, splits, tokenizer, preprocess)
    ner_view, event_view = component_views(model)
    tagger = Tagger(ner_view, tokenizer, _settings(cfg, "ner", iob_prior=ner.prior, input_prefix=prefix))
    classifier = EventClassifier(event_view, tokenizer, _settings(cfg, "events", input_prefix=prefix))
    joined = {s: Encoded(joint_features(ner.encoded[s], events.encoded[s], len(events.labels))) for s in ner.encoded}

    def compute(split: str, predictions) -> dict:
        token_logits, event_logits = predictions
        scores = {f"ner_{k}": v for k, v in ner_epoch_scores(tagger, ner, split, token_logits, decoding).items()}
        scores |= {
            f"events_{k}": v
            for k, v in event_epoch_scores(classifier, events, splits[split], split, event_logits).items()
        }
        return scores | {"mean_f1": (scores["ner_f1"] + scores["events_micro_f1"]) / 2}

    rates = {"classifier": cfg.ner.head_learning_rate, "event_classifier": cfg.events.head_learning_rate}
    rates["pooled_norm"] = rates["event_classifier"]
    data = TaskData(ner.labels, joined, {})
    trainer = fit(
        cfg, TaskConfig(), "joint", model, tokenizer, data, output, compute, resume, "mean_f1",
        collator=JointCollator(tokenizer), rates={k: v for k, v in rates.items() if v},
    )  # fmt: skip
    logits = {s: predict_logits(trainer, joined[s]) for s in scored_splits(ner)}
    ner_results, tagger = ner_final_scores(tagger, ner, splits, {s: l[0] for s, l in logits.items()}, decoding)
    event_results, classifier = event_final_scores(classifier, events, splits, {s: l[1] for s, l in logits.items()})
    if is_main_process():
        tagger.save(output / "ner")
        classifier.save(output / "events")
        for component, directory in ((tagger, output / "ner"), (classifier, output / "events")):
            write_calibration(component, joined["train"].features, directory)
        shutil.rmtree(Path(trainer.args.output_dir), ignore_errors=True)  # checkpoints are only for --resume
    return ner_results, event_results, trainer.state.log_history


def _note_ignored_keys(cfg: Config) -> None:
    """Say which per-task schedule keys a shared encoder does not use (one schedule trains both heads)."""
    ignored = [
        f"{t}.{k}" for t in ("ner", "events") for k in ("epochs", "learning_rate") if getattr(getattr(cfg, t), k)
    ]
    ignored += ["events.freeze_layers"] * bool(cfg.events.freeze_layers)
    if ignored:
        print(f"note: model.shared_encoder trains both tasks on training.epochs and training.learning_rate "
              f"(ner.freeze_layers for the shared encoder); ignored: {', '.join(ignored)}")  # fmt: skip


def _prepared(cfg: Config, splits: dict, tokenizer, preprocess) -> tuple:
    """(NER data, event data, the joint model with its event biases at the train priors) for a shared encoder."""
    from ..data.splits import DataError
    from .building import init_head_from_prior
    from .task_data import event_data, ner_data
    from .trainer import partial_label_loss

    ner = ner_data(cfg, splits, tokenizer, preprocess, prefix=cfg.events.input_prefix)
    events = event_data(cfg, splits, tokenizer, preprocess)
    if not events.multi_label:
        raise DataError(f"{cfg.data.train}: model.shared_encoder needs sentence event labels, not document classes")
    model = build_joint_model(cfg, ner.labels, events.labels)
    if ner.label_sets is not None:
        model.ner_loss = partial_label_loss(ner.label_sets)
    if cfg.events.bias_init == "prior":
        init_head_from_prior(model.event_classifier, events.train_frequencies(), multi_label=True)
    return ner, events, model


def task_history(log: list[dict], prefix: str) -> list[dict]:
    """One task's view of the joint Trainer's history: its ``eval_<prefix>`` scores under the single-task names.

    >>> task_history([{"epoch": 1.0, "eval_loss": 0.5, "eval_ner_f1": 0.7, "eval_events_micro_f1": 0.6}], "ner_")
    [{'epoch': 1.0, 'eval_loss': 0.5, 'eval_f1': 0.7}]
    """
    other = {"ner_": "eval_events_", "events_": "eval_ner_"}[prefix]
    return [
        {k.replace(f"eval_{prefix}", "eval_"): v for k, v in entry.items() if not k.startswith((other, "eval_mean_f1"))}
        for entry in log
    ]
