"""Build the models training starts from: the embedded small BERT, or any hub/local BERT, with new heads.

Both tasks use ``AutoModelForTokenClassification`` / ``AutoModelForSequenceClassification`` whatever
the encoder, so the embedded default and AraBERT run exactly the same code.
"""

from __future__ import annotations

from pathlib import Path

from ..config import ModelConfig
from ..models.heads import mean_pooled_class
from ..models.pretrained import resolve


def small_bert_config(cfg: ModelConfig, vocab_size: int, **labels):
    """The embedded default's encoder configuration."""
    from transformers import BertConfig

    return BertConfig(
        vocab_size=vocab_size,
        hidden_size=cfg.hidden_size,
        num_hidden_layers=cfg.num_hidden_layers,
        num_attention_heads=cfg.num_attention_heads,
        intermediate_size=cfg.intermediate_size,
        hidden_dropout_prob=cfg.dropout,
        attention_probs_dropout_prob=cfg.dropout,
        max_position_embeddings=max(cfg.max_length, 128),
        **labels,
    )


def label_kwargs(labels: list[str], problem_type: str | None = None) -> dict:
    """``id2label``/``label2id`` (and problem type) for a model config."""
    kwargs = {
        "num_labels": len(labels),
        "id2label": dict(enumerate(labels)),
        "label2id": {l: i for i, l in enumerate(labels)},
    }
    if problem_type:
        kwargs["problem_type"] = problem_type
    return kwargs


def build_model(
    task: str,
    cfg: ModelConfig,
    tokenizer,
    labels: list[str],
    problem_type: str | None = None,
    init_from: str | None = None,
    pooling: str = "cls",
    pooled_norm: str = "none",
    freeze_layers: int = 0,
):
    """A fresh model for ``task`` ("ner" or "events"): small BERT from scratch, or a pre-trained encoder.

    ``pooling="mean"`` (events, pre-trained encoders): classify the mean of the last hidden states instead
    of BERT's pooler over [CLS] (see :func:`mean_pooled_class`), after a LayerNorm when
    ``pooled_norm="layernorm"``. ``freeze_layers``: the embeddings and that many lower layers keep their
    pre-trained weights (no gradients, no optimizer state, no backward pass through them).

    ``init_from`` (a local directory, e.g. an MLM-pretrained small encoder) overrides ``cfg.name_or_path``.
    """
    from transformers import AutoModelForSequenceClassification, AutoModelForTokenClassification

    auto = AutoModelForTokenClassification if task == "ner" else AutoModelForSequenceClassification
    kwargs = label_kwargs(labels, problem_type)
    source = init_from or cfg.name_or_path
    if source is None:
        return auto.from_config(small_bert_config(cfg, len(tokenizer), **kwargs))
    source = resolve(source)
    if task == "events" and pooling == "mean":
        auto = mean_pooled_class()
        kwargs["pooled_norm"] = pooled_norm
    # a different head (an NER tagger's encoder reused for events, a new label set) is re-initialised
    model = auto.from_pretrained(
        source,
        use_safetensors=_has_safetensors(source),
        ignore_mismatched_sizes=True,
        hidden_dropout_prob=cfg.dropout,
        attention_probs_dropout_prob=cfg.dropout,
        **kwargs,
    )
    if cfg.freeze_word_embeddings:
        # note: the Trainer's optimizer only takes parameters that require grad, so frozen rows cost no
        # Adam state either (most of a multilingual encoder's parameters are its word embeddings)
        model.get_input_embeddings().weight.requires_grad_(False)
    if freeze_layers:
        freeze_lower_layers(model, freeze_layers)
    return model


def freeze_lower_layers(model, count: int) -> None:
    """Keep the embeddings and the ``count`` lowest encoder layers at their pre-trained weights.

    >>> from transformers import BertConfig, BertModel
    >>> encoder = BertModel(BertConfig(vocab_size=9, hidden_size=4, num_hidden_layers=2, num_attention_heads=1))
    >>> freeze_lower_layers(encoder, 1)
    >>> [layer.output.dense.weight.requires_grad for layer in encoder.encoder.layer]
    [False, True]
    """
    encoder = model.base_model
    layers = encoder.encoder.layer
    if not 0 < count <= len(layers):
        raise ValueError(f"freeze_layers must be between 0 and the encoder's {len(layers)} layers, got {count}")
    encoder.embeddings.requires_grad_(False)
    for layer in layers[:count]:
        layer.requires_grad_(False)


def init_head_from_prior(head, frequencies, multi_label: bool, weight_scale: float = 0.1) -> None:
    """Start a classifier (a ``Linear`` layer) at the train label frequencies instead of p = 0.5 for every type.

    Multi-label (sigmoid): bias_k = log(p_k / (1 - p_k)); single-label (softmax): bias_k = log(p_k).
    The weights are scaled down so that the prior dominates the first steps and the encoder's first
    gradients are not those of pushing every output down.

    >>> import torch
    >>> head = torch.nn.Linear(4, 2)
    >>> init_head_from_prior(head, [0.1, 0.5], multi_label=True)
    >>> [round(b, 3) for b in head.bias.tolist()]
    [-2.197, 0.0]
    """
    import torch

    p = torch.tensor(frequencies, dtype=torch.float64).clamp(1e-4, 1 - 1e-4)
    bias = torch.log(p / (1 - p)) if multi_label else torch.log(p)
    with torch.no_grad():
        head.bias.copy_(bias.to(head.bias.dtype))
        head.weight.mul_(weight_scale)


def _has_safetensors(source: str) -> bool | None:
    """Local directories must hold safetensors (no pickle); hub ids let transformers pick, safetensors first."""
    path = Path(source)
    return True if path.is_dir() else None
