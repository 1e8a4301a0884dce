"""One encoder pass for both tasks: when the NER tagger and the event classifier hold the same encoder (a
``model.shared_encoder: true`` run saves them so), the Pipeline runs it once per window and applies both
heads to its output. Equality is checked, not assumed: same input settings and vocabulary, and equal
sha256 digests of the encoder weights taken at load time (before any quantisation). Components trained
separately fail the check and run their own passes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .predictor import EventClassifier, Tagger


def encoder_digest(model) -> str:
    """sha256 over the encoder's weight names and bytes (embeddings and layers; not the pooler or a head)."""
    import hashlib

    import torch

    digest = hashlib.sha256()
    for name, tensor in sorted(model.base_model.state_dict().items()):
        if isinstance(tensor, torch.Tensor) and not name.startswith("pooler."):
            digest.update(name.encode())
            digest.update(tensor.detach().cpu().contiguous().flatten().view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def shares_encoder(ner: Tagger | None, events: EventClassifier | None) -> bool:
    """Whether one encoder pass can serve both components: sentence events, the same input (windows,
    preprocessing, prefix, vocabulary) and encoder weights with equal digests (a ``model.shared_encoder``
    run); models trained separately fail this and run their own passes."""
    if ner is None or events is None or not events.multi_label or not hasattr(events.model, "head_logits"):
        return False
    keys = ("max_length", "stride", "arabert_preprocess", "split_clitics", "base_model", "input_prefix")
    same_input = all(getattr(ner.settings, k) == getattr(events.settings, k) for k in keys)
    return (
        same_input
        and ner.device == events.device
        and ner.tokenizer.get_vocab() == events.tokenizer.get_vocab()
        and ner.encoder_digest is not None
        and ner.encoder_digest == events.encoder_digest
    )


def shared_logits(
    ner: Tagger, events: EventClassifier, features: list[dict], batch_size: int
) -> list[list[np.ndarray]]:
    """[token logits per feature, event logits per feature] from one encoder pass (``shares_encoder``)."""

    def forward(ids, mask):
        hidden = ner.model.base_model(input_ids=ids, attention_mask=mask).last_hidden_state
        return ner.model.classifier(hidden), events.model.head_logits(hidden, mask)  # dropout: off in eval

    return ner.run(features, batch_size, forward, outputs=2)
