"""Training on several labelled sources: ANERcorp-style CoNLL mapped onto our labels, partial labels."""

import json

import numpy as np
import pytest
import torch
from conftest import DATA, ROOT, TINY_OVERRIDES

from arabic_news_ie.config import ConfigError, load_config
from arabic_news_ie.training.trainer import partial_label_loss

LABELS = ["O", "B-GPE", "I-GPE", "B-LOC", "I-LOC"]
ANERCORP_MAP = "{PERS: PER, ORG: ORG, MISC: MISC, LOC: [GPE, LOC]}"


class _Out:
    def __init__(self, logits):
        self.logits = logits


def test_partial_label_loss_counts_either_allowed_tag_as_correct():
    # target 5 = "B-GPE|LOC": allows B-GPE (1) and B-LOC (3)
    sets = np.concatenate([np.eye(5, dtype=bool), np.array([[False, True, False, True, False]])])
    loss = partial_label_loss(sets)

    def for_logits(row: list[float], target: int) -> float:
        return float(loss(_Out(torch.tensor([[row]])), torch.tensor([[target]])))

    confident_gpe, confident_loc, confident_o = [0, 9, 0, 0, 0], [0, 0, 0, 9, 0], [9, 0, 0, 0, 0]
    assert for_logits(confident_gpe, 5) == pytest.approx(for_logits(confident_loc, 5))
    assert for_logits(confident_gpe, 5) < 0.001
    assert for_logits(confident_o, 5) > 8
    # an ordinary target is plain cross-entropy; -100 positions are ignored
    logits = torch.tensor([[[0.3, -1.0, 2.0, 0.5, 0.0], [1.0, 1.0, 1.0, 1.0, 1.0]]])
    labels = torch.tensor([[2, -100]])
    expected = torch.nn.functional.cross_entropy(logits[0, :1], labels[0, :1])
    assert float(loss(_Out(logits), labels)) == pytest.approx(float(expected), abs=1e-6)
    # the same sum shared over the accumulated batch when the Trainer counts the items for us
    assert float(loss(_Out(logits), labels, num_items_in_batch=2)) == pytest.approx(float(expected) / 2, abs=1e-6)


def test_extra_source_config_is_validated():
    with pytest.raises(ConfigError, match=r"data.extra\[0\].label_map.LOC"):
        load_config(None, ["data.extra=[{path: x.conll, label_map: {LOC: []}}]"])
    with pytest.raises(ConfigError, match=r"unknown config key 'data.extra\[0\].weight'"):
        load_config(None, ["data.extra=[{path: x.conll, weight: 2}]"])


def test_training_with_a_set_valued_label_map_keeps_our_label_set(tmp_path, tiny_corpus):
    from arabic_news_ie.data.splits import load_extra
    from arabic_news_ie.training.run import prepare_tokenizer, train
    from arabic_news_ie.training.task_data import ner_data

    extra = f"data.extra=[{{path: {DATA / 'anercorp_sample.conll'}, label_map: {ANERCORP_MAP}}}]"
    overrides = TINY_OVERRIDES + [f"data.train={tiny_corpus}", extra, "training.max_steps=4", "events.enabled=false"]
    cfg = load_config(ROOT / "configs" / "default.yaml", overrides)
    loaded = load_extra(cfg.data, seed=42)
    assert {e.label for a in loaded for e in a.entities} >= {"PER", "GPE|LOC"}

    from arabic_news_ie.data.splits import load_splits

    splits = load_splits(cfg.data)
    data = ner_data(cfg, splits, prepare_tokenizer(cfg, splits["train"], tmp_path, None), None)
    assert "GPE|LOC" not in " ".join(data.labels)
    b_gpe_loc = len(data.labels) + sorted(["B-GPE|LOC", "I-GPE|LOC"]).index("B-GPE|LOC")
    assert data.label_sets[b_gpe_loc].nonzero()[0].tolist() == [data.labels.index("B-GPE"), data.labels.index("B-LOC")]
    train_targets = {t for f in data.encoded["train"].features for t in f["labels"]}
    assert b_gpe_loc in train_targets  # ANERcorp's B-LOC words are trained with the partial target
    assert all(t < len(data.labels) for f in data.encoded["dev"].features for t in f["labels"])

    train(cfg, tmp_path / "run", task="ner")
    config = json.loads((tmp_path / "run" / "ner" / "config.json").read_text())
    assert sorted(config["id2label"].values()) == sorted(data.labels)  # our labels only, no set-valued ones


def test_head_learning_rate_gives_the_classifier_its_own_rate(tmp_path):
    from conftest import TINY_ENCODER

    from arabic_news_ie.training.building import build_model
    from arabic_news_ie.training.trainer import _ordered_trainer_class, head_rates, training_arguments

    cfg = load_config(ROOT / "configs" / "default.yaml", TINY_OVERRIDES + ["events.head_learning_rate=0.01"])
    model = build_model(
        "events", cfg.model, None, ["A", "B"], "multi_label_classification", pooling="mean", pooled_norm="layernorm"
    )
    from datasets import Dataset

    dev = Dataset.from_list([{"input_ids": [0, 5, 2], "labels": [1.0, 0.0]}])
    args = training_arguments(cfg, cfg.events, tmp_path, "micro_f1")
    trainer = _ordered_trainer_class()(model=model, args=args, eval_dataset=dev)
    trainer.head_rates = head_rates(cfg.events.head_learning_rate)
    optimizer = trainer.create_optimizer()
    rate = {id(p): group["lr"] for group in optimizer.param_groups for p in group["params"]}
    named = dict(model.named_parameters())
    assert rate[id(named["classifier.weight"])] == 0.01
    assert rate[id(named["pooled_norm.weight"])] == 0.01
    assert rate[id(named["bert.encoder.layer.0.output.dense.weight"])] == cfg.training.learning_rate
    assert "bert.embeddings.word_embeddings.weight" not in {n for n, p in named.items() if id(p) in rate}  # frozen
    assert str(TINY_ENCODER) == cfg.model.name_or_path


def test_model_card_lists_every_source_its_licence_and_label_map():
    from arabic_news_ie.training.reporting import model_card

    card = model_card(load_config(ROOT / "configs" / "default+anercorp.yaml"), {})
    assert "base_model: intfloat/multilingual-e5-small" in card
    assert "`data/corpus.jsonl`: the project's corpus" in card and "Apache-2.0" in card
    assert "`data/external/anercorp/train.conll`: ANERcorp" in card and "CC BY-SA 4.0" in card
    assert "LOC → {GPE, LOC}" in card and "PERS → PER" in card
