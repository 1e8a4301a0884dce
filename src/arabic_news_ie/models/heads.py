"""The mean-pooled sequence classifier (the event model on e5) and its pooled head, shared with the joint model."""

from __future__ import annotations

import functools

MEAN_POOLED_TYPE = "mean_pooled_bert"  # config.json's model_type: stock transformers refuses it unless registered


@functools.cache
def mean_pooled_class():
    """``BertForSequenceClassification`` over the attention-masked mean of the last hidden states.

    e5 was trained with mean pooling and ships no pooler weights, so the stock head would start its pooler
    from random. The saved directory holds BERT's weight names (the unused pooler absent; ``pooled_norm.*``
    added when ``pooled_norm: layernorm``) under its own ``model_type``, ``mean_pooled_bert``: stock
    ``AutoModelForSequenceClassification`` refuses it with an error rather than load it as BERT with a
    random pooler. Building this class registers that type with transformers' Auto classes (no remote
    code), so after ``from arabic_news_ie import MeanPooledBertForSequenceClassification`` the Auto classes
    and ``transformers.pipeline("text-classification")`` load it correctly.
    """
    import torch
    from transformers import AutoConfig, AutoModelForSequenceClassification, BertForSequenceClassification
    from transformers.modeling_outputs import SequenceClassifierOutput

    MeanPooledBertConfig = _config_class()

    class MeanPooledBertForSequenceClassification(BertForSequenceClassification):
        config_class = MeanPooledBertConfig

        def __init__(self, config, pooled_norm: str | None = None):
            if pooled_norm is not None:  # a new model; a saved one has it in its config.json
                config.pooled_norm = pooled_norm
            super().__init__(config)
            self.bert.pooler = None
            # e5's pooled vectors lie in a narrow cone; a LayerNorm centres and scales them for the head
            norm = getattr(config, "pooled_norm", "none")
            self.pooled_norm = torch.nn.LayerNorm(config.hidden_size) if norm == "layernorm" else None

        def forward(self, input_ids=None, attention_mask=None, labels=None, **kwargs):
            hidden = self.bert(input_ids, attention_mask=attention_mask, return_dict=True).last_hidden_state
            logits = self.head_logits(hidden, attention_mask)
            loss = None
            if labels is not None:
                if self.config.problem_type == "multi_label_classification":
                    loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, labels.to(logits.dtype))
                else:
                    loss = torch.nn.functional.cross_entropy(logits.view(-1, self.num_labels), labels.view(-1))
            return SequenceClassifierOutput(loss=loss, logits=logits)

        def head_logits(self, hidden, attention_mask):
            """(batch, labels) logits from the encoder's (batch, seq, hidden) output (shared-encoder inference)."""
            return pooled_head(hidden, attention_mask, self.pooled_norm, self.classifier, self.dropout)

    AutoConfig.register(MEAN_POOLED_TYPE, MeanPooledBertConfig, exist_ok=True)
    AutoModelForSequenceClassification.register(
        MeanPooledBertConfig, MeanPooledBertForSequenceClassification, exist_ok=True
    )
    return MeanPooledBertForSequenceClassification


def pooled_head(hidden, attention_mask, norm, classifier, dropout):
    """Attention-masked mean of ``hidden`` (batch, seq, width), then ``norm`` (or None) and ``classifier``."""
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)  # (batch, seq, 1)
    pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)  # (batch, width)
    if norm is not None:
        pooled = norm(pooled)
    return classifier(dropout(pooled))


def _config_class():
    """BERT's config under the model type ``mean_pooled_bert``."""
    from transformers import BertConfig

    class MeanPooledBertConfig(BertConfig):
        model_type = MEAN_POOLED_TYPE

        @classmethod
        def get_config_dict(cls, *args, **kwargs):
            # a BERT encoder to start from (e5) or a run saved before this model type: the same config
            config, rest = super().get_config_dict(*args, **kwargs)
            if config.get("model_type") == "bert":
                config = {**config, "model_type": MEAN_POOLED_TYPE}
            return config, rest

    return MeanPooledBertConfig
