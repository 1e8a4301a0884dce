"""Both tasks on one encoder (model.shared_encoder): joint training, stock-loadable components, one pass."""

import json

import numpy as np
import pytest
import torch
from conftest import ROOT, TINY_OVERRIDES

from arabic_news_ie.cli import main

TEXTS = [
    "زار الرئيس الإيراني حسن روحاني موسكو أمس والتقى بوتين في الكرملين.",
    "وقالت وزارة الخارجية في طهران إن المحادثات ستستمر. وأعلنت الشركة عن صفقة جديدة.",
]


@pytest.fixture(scope="module")
def joint_run(tmp_path_factory, tiny_corpus):
    from arabic_news_ie.config import load_config
    from arabic_news_ie.training.run import train

    output = tmp_path_factory.mktemp("joint") / "run"
    overrides = TINY_OVERRIDES + [
        f"data.train={tiny_corpus}",
        "model.shared_encoder=true",
        "events.epochs=null",
        "training.epochs=3",
    ]
    train(load_config(ROOT / "configs" / "default.yaml", overrides), output, task="both")
    return output


def test_the_two_saved_components_hold_one_encoder_and_their_own_heads(joint_run):
    from safetensors.numpy import load_file

    ner, events = (
        load_file(joint_run / "ner" / "model.safetensors"),
        load_file(joint_run / "events" / "model.safetensors"),
    )
    encoder = [k for k in ner if k.startswith("bert.")]
    assert encoder and all((ner[k] == events[k]).all() for k in encoder)
    assert set(ner) - set(encoder) == {"classifier.weight", "classifier.bias"}
    assert set(events) - set(encoder) == {
        "classifier.weight",
        "classifier.bias",
        "pooled_norm.weight",
        "pooled_norm.bias",
    }
    ner_config = json.loads((joint_run / "ner" / "config.json").read_text())
    event_config = json.loads((joint_run / "events" / "config.json").read_text())
    assert ner["classifier.weight"].shape[0] == len(ner_config["id2label"]) == 11  # O + B/I of 5 types
    assert events["classifier.weight"].shape[0] == len(event_config["id2label"]) == 6  # the tiny corpus' types
    assert event_config["architectures"] == ["MeanPooledBertForSequenceClassification"]
    assert ner_config["architectures"] == ["BertForTokenClassification"]
    assert ner_config["arabic_news_ie"]["input_prefix"] == "query: "  # NER sees the input the events head saw


def test_the_ner_component_loads_as_a_stock_token_classifier_with_the_same_logits(joint_run):
    from transformers import AutoModelForTokenClassification

    from arabic_news_ie.inference.predictor import load

    tagger = load(joint_run / "ner", "cpu")
    stock = AutoModelForTokenClassification.from_pretrained(joint_run / "ner").eval()
    ids = torch.tensor([tagger.encode(TEXTS, _units(TEXTS)).features[0]["input_ids"]])
    with torch.no_grad():
        assert torch.equal(stock(input_ids=ids).logits, tagger.model(input_ids=ids).logits)


def test_the_pipeline_runs_the_encoder_once_and_gives_what_each_component_gives_alone(joint_run):
    from arabic_news_ie import Pipeline

    shared = Pipeline.from_pretrained(joint_run, device="cpu")
    assert shared.shared_encoder
    calls = []
    hook = shared.ner.model.base_model.register_forward_hook(lambda *args: calls.append(1))
    results = shared(TEXTS)
    hook.remove()
    separate = Pipeline.from_pretrained(joint_run, device="cpu")
    separate.shared_encoder = False  # each component its own pass, as for models trained apart
    expected = separate(TEXTS)
    windows = len(separate.ner.encode(TEXTS, _units(TEXTS)).features)
    assert len(calls) == 1 and windows > 1  # one batch: one encoder call for both tasks, not two
    for got, want in zip(results, expected):
        assert [(e.start, e.end, e.label) for e in got.entities] == [(e.start, e.end, e.label) for e in want.entities]
        assert [e.score for e in got.entities] == pytest.approx([e.score for e in want.entities], abs=1e-5)
        for a, b in zip(got.sentences, want.sentences):
            assert [t for t, _ in a.events] == [t for t, _ in b.events]
            assert [p for _, p in a.events] == pytest.approx([p for _, p in b.events], abs=1e-4)
        for entity in got.entities:
            assert got.text[entity.start : entity.end] == entity.text


def test_models_trained_separately_are_not_shared_and_a_changed_encoder_is_detected(tiny_run, joint_run):
    from arabic_news_ie import Pipeline
    from arabic_news_ie.inference.predictor import load

    assert not Pipeline.from_pretrained(tiny_run, device="cpu").shared_encoder
    assert load(tiny_run / "ner", "cpu").encoder_digest != load(tiny_run / "events", "cpu").encoder_digest
    assert load(joint_run / "ner", "cpu").encoder_digest == load(joint_run / "events", "cpu").encoder_digest
    ner, events = load(joint_run / "ner", "cpu"), load(joint_run / "events", "cpu")
    with torch.no_grad():
        events.model.bert.encoder.layer[0].output.dense.bias.add_(1e-3)
    events._digest = None  # as if loaded from a directory holding this changed encoder
    assert not Pipeline(ner, events).shared_encoder
    quantized = Pipeline.from_pretrained(joint_run, device="cpu", quantize=True)
    assert quantized.shared_encoder  # digests are taken before quantisation


def test_evaluate_reproduces_the_joint_runs_training_scores(joint_run, capsys):
    reported = json.loads((joint_run / "metrics.json").read_text())
    assert reported["ner"]["dev"]["f1"] > 0 and reported["events"]["dev"]["micro_f1"] > 0
    for split in ("dev", "test"):
        capsys.readouterr()
        assert main(["evaluate", str(joint_run), "--split", split]) == 0
        scores = json.loads(capsys.readouterr().out)
        assert scores["ner"] == reported["ner"][split]
        assert scores["events"]["micro_f1"] == pytest.approx(reported["events"][split]["micro_f1"], abs=1e-9)


def test_joint_history_gives_each_task_its_dev_curve(joint_run):
    history = json.loads((joint_run / "history.json").read_text())
    ner = [h["eval_f1"] for h in history["ner"] if "eval_f1" in h]
    events = [h["eval_micro_f1"] for h in history["events"] if "eval_micro_f1" in h]
    assert len(ner) == len(events) == 3
    assert not any("eval_events_micro_f1" in h for h in history["ner"])


def test_event_labels_join_the_ner_windows_they_were_encoded_from():
    from arabic_news_ie.data.windows import Encoded
    from arabic_news_ie.training.joint import joint_features

    ner = Encoded(
        [{"input_ids": [0, 5, 2], "labels": [-100, 1, -100]}, {"input_ids": [0, 7, 2], "labels": [-100, 0, -100]}]
    )
    events = Encoded([{"input_ids": [0, 5, 2], "labels": [1.0, 0.0]}])
    joined = joint_features(ner, events, 2)
    assert [f["event_mask"] for f in joined] == [1, 0] and joined[0]["event_labels"] == [1.0, 0.0]
    assert joined[1]["event_labels"] == [0.0, 0.0]  # an NER-only window (augmented copy, data.extra)
    with pytest.raises(ValueError, match="differ"):
        joint_features(ner, Encoded([{"input_ids": [0, 6, 2], "labels": [1.0, 0.0]}]), 2)


def test_shared_encoder_needs_mean_pooling_and_a_pretrained_encoder():
    from arabic_news_ie.config import ConfigError, load_config

    with pytest.raises(ConfigError, match="model.shared_encoder"):
        load_config(
            ROOT / "configs" / "default.yaml",
            ["model.shared_encoder=true", "events.pooling=cls", "events.pooled_norm=none"],
        )
    with pytest.raises(ConfigError, match="model.shared_encoder"):
        load_config(ROOT / "configs" / "scratch.yaml", ["model.shared_encoder=true"])


def _units(texts):
    from arabic_news_ie.data.windows import Unit, word_spans
    from arabic_news_ie.text import sentences

    return [Unit(i, s, e, word_spans(t, s, e)) for i, t in enumerate(texts) for s, e in sentences(t)]


def test_joint_loss_ignores_event_labels_of_ner_only_windows():
    from transformers import BertConfig

    from arabic_news_ie.training.joint import joint_class

    config = BertConfig(
        vocab_size=20, hidden_size=8, num_hidden_layers=1, num_attention_heads=1, intermediate_size=16, num_labels=3
    )
    config.event_types, config.pooled_norm, config.event_loss_weight = ["A", "B"], "layernorm", 1.0
    torch.manual_seed(0)
    model = joint_class()(config).eval()
    ids, mask = torch.tensor([[1, 5, 2], [1, 6, 2]]), torch.ones(2, 3, dtype=torch.long)
    labels = torch.tensor([[-100, 1, -100], [-100, 2, -100]])

    def loss(event_labels, event_mask):
        return model(ids, mask, labels, torch.tensor(event_labels), torch.tensor(event_mask)).loss.item()

    assert loss([[1.0, 0.0], [0.0, 0.0]], [1, 0]) == pytest.approx(loss([[1.0, 0.0], [1.0, 1.0]], [1, 0]))
    assert loss([[1.0, 0.0], [0.0, 0.0]], [1, 1]) != pytest.approx(loss([[1.0, 0.0], [1.0, 1.0]], [1, 1]))
    assert np.isfinite(loss([[0.0, 0.0], [0.0, 0.0]], [0, 0]))


def test_int8_reruns_the_close_calls_through_the_shared_encoder_in_fp32(joint_run):
    from test_quantization import assert_only_the_close_calls_are_rerun

    assert_only_the_close_calls_are_rerun(joint_run)
