"""The event classifier's recipe (issue #20): an input prefix that opens every window without moving any
word, output biases that start at the train frequencies, a LayerNorm over the pooled vector that saves and
loads, frozen lower layers that stay put, and bootstrap intervals over articles."""

import json
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from conftest import ROOT, TINY_ENCODER, TINY_OVERRIDES

from arabic_news_ie.config import load_config
from arabic_news_ie.data.splits import load_splits
from arabic_news_ie.data.windows import encode_windows, sentence_units
from arabic_news_ie.inference.model_files import InferenceSettings, load_model
from arabic_news_ie.inference.predictor import EventClassifier
from arabic_news_ie.metrics import bootstrap_micro_f1
from arabic_news_ie.models.tokenizers import load_tokenizer
from arabic_news_ie.training.building import build_model, init_head_from_prior
from arabic_news_ie.training.task_data import event_data

TYPES = ["LIFE", "MOVEMENT", "CONFLICT"]


def test_a_prefix_opens_every_window_and_takes_its_share_of_the_budget():
    ids_per_word = [[10 + i] for i in range(10)]  # ten one-token words
    tokenizer = SimpleNamespace(cls_token_id=1, sep_token_id=2)
    windows = encode_windows(tokenizer, ids_per_word, max_length=8, stride=2, prefix_ids=(7, 8))
    assert len(windows) > 1
    for w in windows:
        assert w.input_ids[:3] == [1, 7, 8] and w.input_ids[-1] == 2 and len(w.input_ids) <= 8
        assert w.word_ids[:3] == [None, None, None]  # the prefix belongs to no word
        words = w.word_ids[3:-1]
        assert words == list(range(w.word_start, w.word_end))  # word indices as without a prefix
    assert windows[0].word_start == 0 and windows[-1].word_end == 10


def _tiny_cfg(corpus, *overrides):
    separate = "model.shared_encoder=false"  # the event classifier on its own encoder, as --task events trains it
    return load_config(
        ROOT / "configs" / "default.yaml", TINY_OVERRIDES + [f"data.train={corpus}", separate, *overrides]
    )


def test_training_and_the_pipeline_encode_sentences_with_the_same_prefix(tiny_corpus):
    cfg = _tiny_cfg(tiny_corpus, "events.input_prefix=query: ")
    assert cfg.events.input_prefix == "query: "  # a --set value that YAML would read as a mapping stays a string
    splits = load_splits(cfg.data)
    tokenizer = load_tokenizer(cfg.model.name_or_path)
    trained_on = event_data(cfg, splits, tokenizer, None).encoded["dev"]
    settings = InferenceSettings("events", cfg.model.max_length, cfg.model.stride, input_prefix="query: ")
    model = SimpleNamespace(config=SimpleNamespace(num_labels=1, id2label={0: "LIFE"}), parameters=lambda: iter([]))
    classifier = EventClassifier(model, tokenizer, settings, "cpu")
    articles = splits["dev"]
    run_on = classifier.encode([a.text for a in articles], sentence_units(articles))
    assert [f["input_ids"] for f in run_on.features] == [f["input_ids"] for f in trained_on.features]
    prefix = tokenizer("query:", add_special_tokens=False)["input_ids"]
    assert all(f["input_ids"][1 : 1 + len(prefix)] == prefix for f in run_on.features)
    without = EventClassifier(model, tokenizer, InferenceSettings("events", 32, 8), "cpu")
    plain = without.encode([a.text for a in articles], sentence_units(articles))
    assert [f["input_ids"][1 + len(prefix) :] for f in run_on.features] == [f["input_ids"][1:] for f in plain.features]


def _events_model(**kwargs):
    cfg = load_config(None, ["model.name_or_path=" + str(TINY_ENCODER), "model.max_length=32", "model.stride=8"])
    tokenizer = load_tokenizer(str(TINY_ENCODER))
    model = build_model("events", cfg.model, tokenizer, TYPES, "multi_label_classification", pooling="mean", **kwargs)
    return model.eval(), tokenizer


def test_prior_initialised_biases_start_every_type_near_its_train_frequency():
    torch.manual_seed(0)
    model, tokenizer = _events_model()
    ids = torch.tensor([tokenizer("قال الوزير في طهران")["input_ids"]])
    with torch.no_grad():
        before = torch.sigmoid(model(input_ids=ids, attention_mask=torch.ones_like(ids)).logits)[0]
        init_head_from_prior(model.classifier, [0.02, 0.1, 0.3], multi_label=True)
        after = torch.sigmoid(model(input_ids=ids, attention_mask=torch.ones_like(ids)).logits)[0]
    assert before.tolist() != pytest.approx([0.02, 0.1, 0.3], abs=0.05)  # a fresh head says ~0.5
    assert after.tolist() == pytest.approx([0.02, 0.1, 0.3], abs=0.03)


def test_the_pooled_layernorm_is_saved_and_loaded_with_the_model(tmp_path):
    model, tokenizer = _events_model(pooled_norm="layernorm")
    assert model.pooled_norm is not None
    with torch.no_grad():
        model.pooled_norm.bias.fill_(0.3)  # a trained value, so that a fresh LayerNorm would differ
    model.save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    assert json.loads((tmp_path / "config.json").read_text())["pooled_norm"] == "layernorm"
    loaded, _, _ = load_model(tmp_path, "cpu", False)
    ids = torch.tensor([tokenizer("قال الوزير في طهران")["input_ids"]])
    with torch.no_grad():
        expected = model(input_ids=ids, attention_mask=torch.ones_like(ids)).logits
        got = loaded(input_ids=ids, attention_mask=torch.ones_like(ids)).logits
    assert loaded.pooled_norm is not None and torch.allclose(expected, got, atol=1e-6)
    plain, _ = _events_model()
    assert plain.pooled_norm is None


def test_frozen_lower_layers_keep_their_pretrained_weights_in_training(tmp_path, tiny_corpus):
    from arabic_news_ie.training.run import train

    cfg = _tiny_cfg(tiny_corpus, "events.freeze_layers=1", "events.pooled_norm=layernorm", "training.epochs=1")
    train(cfg, tmp_path / "run", task="events")
    start, _ = _events_model()
    trained, _, _ = load_model(tmp_path / "run" / "events", "cpu", False)
    kept = dict(start.bert.named_parameters())
    for name, param in trained.bert.named_parameters():
        assert torch.equal(param, kept[name]), name  # embeddings and the tiny encoder's only layer
    norm = trained.pooled_norm  # starts at weight 1, bias 0: the head did learn
    assert not (torch.equal(norm.weight, torch.ones_like(norm.weight)) and torch.equal(norm.bias, 0 * norm.bias))


def test_freezing_more_layers_than_the_encoder_has_is_an_error():
    with pytest.raises(ValueError, match="freeze_layers"):
        _events_model(freeze_layers=5)


def test_freezing_n_layers_freezes_the_embeddings_and_exactly_the_n_lowest():
    from transformers import BertConfig, BertForTokenClassification

    from arabic_news_ie.training.building import freeze_lower_layers

    model = BertForTokenClassification(BertConfig(vocab_size=50, hidden_size=8, num_hidden_layers=3,
                                                  num_attention_heads=2, intermediate_size=16))  # fmt: skip
    freeze_lower_layers(model, 2)
    trainable = [any(p.requires_grad for p in layer.parameters()) for layer in model.bert.encoder.layer]
    assert trainable == [False, False, True]
    assert not any(p.requires_grad for p in model.bert.embeddings.parameters())
    assert model.classifier.weight.requires_grad


def test_the_labels_outside_the_label_set_do_not_count_in_the_interval():
    gold, predicted = [{"LIFE", "OTHER"}, {"LIFE"}], [{"LIFE"}, {"LIFE"}]
    assert bootstrap_micro_f1(gold, predicted, ["LIFE"], [0, 1]) == (1.0, 1.0)
    assert bootstrap_micro_f1(gold, predicted, ["LIFE"], [7, 3]) == (1.0, 1.0)  # any group ids


def test_the_trained_prefix_is_saved_with_the_model_and_used_by_the_pipeline(tiny_run):
    from arabic_news_ie import Pipeline

    config = json.loads((tiny_run / "events" / "config.json").read_text())
    assert config["arabic_news_ie"]["input_prefix"] == "query: "  # configs/default.yaml's prefix
    nlp = Pipeline.from_pretrained(tiny_run, device="cpu")
    assert nlp.events.settings.input_prefix == "query: "
    assert json.loads((tiny_run / "ner" / "config.json").read_text())["arabic_news_ie"]["input_prefix"] == ""


def test_bootstrap_interval_holds_the_point_estimate_and_narrows_with_more_articles():
    rng = np.random.default_rng(1)

    def sample(articles: int):
        gold, predicted, groups = [], [], []
        for article in range(articles):
            for _ in range(10):
                g = {t for t in TYPES if rng.random() < 0.2}
                p = {t for t in TYPES if (t in g) != (rng.random() < 0.15)}  # 15% of decisions flipped
                gold.append(g), predicted.append(p), groups.append(article)
        return gold, predicted, TYPES, groups

    small, large = sample(15), sample(300)
    low_s, high_s = bootstrap_micro_f1(*small)
    low_l, high_l = bootstrap_micro_f1(*large)
    tp = sum(len(g & p) for g, p in zip(large[0], large[1]))
    point = 2 * tp / sum(len(g) + len(p) for g, p in zip(large[0], large[1]))
    assert low_l < point < high_l
    assert high_l - low_l < (high_s - low_s) / 2
    assert bootstrap_micro_f1(*small) == (low_s, high_s)  # seeded


def test_training_reports_event_intervals_and_support(tiny_run):
    events = json.loads((tiny_run / "metrics.json").read_text())["events"]
    for split in ("dev", "test"):
        low, high = events[split]["micro_f1_ci95"]  # reported to 4 decimals
        assert low <= round(events[split]["micro_f1"], 4) <= high
        assert sum(t["support"] for t in events[split]["per_type"].values()) > 0
