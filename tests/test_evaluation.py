"""Constrained decoding, the `evaluate` command, and the ANERcorp/ASND configs on small sample files."""

import csv
import json

import numpy as np
import pytest
from conftest import DATA, ROOT, TINY_OVERRIDES
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from arabic_news_ie.cli import main
from arabic_news_ie.inference.decoding import decode, estimate_prior, viterbi_tags

LABELS = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG"]


def _valid(tags: list[str]) -> bool:
    previous = "O"
    for tag in tags:
        if tag.startswith("I-") and previous[2:] != tag[2:]:
            return False
        previous = tag
    return True


probabilities = st.integers(1, 12).flatmap(
    lambda n: arrays(np.float64, (n, len(LABELS)), elements=st.floats(0.001, 1.0))
)


@settings(max_examples=200, deadline=None)
@given(probabilities, st.sampled_from([0.0, 0.5, 2.0]))
def test_viterbi_is_always_valid_iob2_and_keeps_a_valid_argmax(probs, weight):
    probs = probs / probs.sum(-1, keepdims=True)
    prior = estimate_prior([["B-PER", "I-PER", "O", "B-ORG"], ["O", "O"]], LABELS).with_weight(weight)
    assert _valid([LABELS[i] for i in viterbi_tags(probs, LABELS, prior)])
    best = [LABELS[i] for i in viterbi_tags(probs, LABELS)]
    assert _valid(best)
    greedy = [LABELS[i] for i in decode(probs, LABELS, "argmax")]
    top = np.sort(probs, axis=-1)
    clear = bool((top[:, -1] - top[:, -2] > 1e-6).all())  # no ties to break either way
    if _valid(greedy) and clear:  # the unconstrained optimum is allowed, so it is the constrained one too
        assert best == greedy


def test_viterbi_repairs_a_stray_inside_tag_with_the_models_probabilities():
    # argmax says O I-PER I-PER: strict IOB2 scoring would drop the name
    probs = np.array([[0.9, 0.05, 0.02, 0.02, 0.01], [0.1, 0.4, 0.45, 0.03, 0.02], [0.1, 0.1, 0.7, 0.05, 0.05]])
    assert [LABELS[i] for i in decode(probs, LABELS, "argmax")] == ["O", "I-PER", "I-PER"]
    assert [LABELS[i] for i in decode(probs, LABELS)] == ["O", "B-PER", "I-PER"]
    assert [LABELS[i] for i in decode(probs, LABELS, "constrained")] == ["O", "B-PER", "I-PER"]
    with pytest.raises(ValueError, match="unknown decoding"):
        decode(probs, LABELS, "beam")


def test_the_tag_prior_joins_a_name_split_into_two_entities():
    # an unseen two-word name: both words look like the start of a name to the tagger
    probs = np.array([[0.1, 0.5, 0.38, 0.01, 0.01], [0.1, 0.5, 0.38, 0.01, 0.01], [0.9, 0.02, 0.04, 0.02, 0.02]])
    train = [["B-PER", "I-PER", "O"]] * 30 + [["B-PER", "O", "B-PER"]] * 2
    prior = estimate_prior(train, LABELS)
    assert [LABELS[i] for i in decode(probs, LABELS, "viterbi", prior)] == ["B-PER", "B-PER", "O"]  # weight 0
    joined = decode(probs, LABELS, "viterbi", prior.with_weight(1.0))
    assert [LABELS[i] for i in joined] == ["B-PER", "I-PER", "O"]


def _evaluate(capsys, *args) -> dict:
    capsys.readouterr()  # drop what came before (a training summary)
    assert main(["evaluate", *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_evaluate_reproduces_the_scores_training_reported(tiny_run, capsys):
    reported = json.loads((tiny_run / "metrics.json").read_text())
    for split in ("dev", "test"):
        scores = _evaluate(capsys, str(tiny_run), "--split", split)
        assert scores["ner"] == reported["ner"][split]
        assert scores["events"]["micro_f1"] == pytest.approx(reported["events"][split]["micro_f1"], abs=1e-9)


def test_evaluate_without_a_config_is_one_line(tmp_path, capsys):
    assert main(["evaluate", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "config.yaml" in err and len(err.strip().splitlines()) == 1


def _train_config(config, task, output, *overrides):
    from arabic_news_ie.config import load_config
    from arabic_news_ie.training.run import train

    cfg = load_config(ROOT / "configs" / config, TINY_OVERRIDES + list(overrides))
    train(cfg, output, task=task)


def test_anercorp_config_trains_a_ner_only_model_that_the_pipeline_loads(tmp_path, capsys):
    from arabic_news_ie import Pipeline

    output = tmp_path / "aner"
    _train_config("anercorp.yaml", "ner", output, f"data.train={DATA / 'anercorp_sample.conll'}")
    assert (output / "ner" / "config.json").exists() and not (output / "events").exists()
    nlp = Pipeline.from_pretrained(output, device="cpu")
    text = "وقال وزير الخارجية عمرو موسى في القاهرة إن الجامعة العربية ستجتمع"
    for entity in nlp([text])[0].entities:
        assert text[entity.start : entity.end] == entity.text
        assert entity.label in {"PERS", "LOC", "ORG", "MISC"}
    scores = _evaluate(capsys, str(output))
    assert scores["records"] == 1 and set(scores) == {"split", "records", "ner"}


def test_asnd_config_trains_a_single_label_classifier_on_a_csv(tmp_path, capsys):
    rows = [
        ("فاز الفريق بالمباراة النهائية وتأهل إلى الدور التالي", "sports"),
        ("سجل المهاجم هدفين في الشوط الثاني من اللقاء", "sports"),
        ("أعلن المدرب تشكيلة المنتخب قبل البطولة", "sports"),
        ("تعادل الناديان في مباراة الدوري أمس", "sports"),
        ("قال الوزير إن الحكومة ستعرض الموازنة على البرلمان", "politics"),
        ("صوت النواب على مشروع القانون في جلسة طارئة", "politics"),
        ("التقى الرئيس وفدا من المعارضة لبحث الانتخابات", "politics"),
        ("دعا الحزب أنصاره إلى المشاركة في الاقتراع", "politics"),
    ]
    path = tmp_path / "topics.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["ID", "Content", "Class"])
        for i in range(3):  # a few copies so that the held-out tail has both classes' neighbours
            writer.writerows((f"{i}-{n}", text, label) for n, (text, label) in enumerate(rows))
    output = tmp_path / "asnd"
    _train_config("asnd.yaml", "events", output, f"data.train={path}", f"data.test={path}", "data.dev_fraction=0.25")
    reported = json.loads((output / "metrics.json").read_text())["events"]
    scores = _evaluate(capsys, str(output), "--split", "test")
    assert set(scores) == {"split", "records", "events"} and scores["records"] == len(rows) * 3
    assert scores["events"]["accuracy"] == pytest.approx(reported["test"]["accuracy"])


def test_the_pipeline_decodes_with_the_prior_saved_in_the_model(tiny_run, tmp_path):
    import shutil

    from arabic_news_ie import Pipeline
    from arabic_news_ie.inference.model_files import ModelLoadError

    text = "وقال وزير الخارجية الإيراني محمد جواد ظريف في طهران إن المحادثات مع موسكو جيدة"
    nlp = Pipeline.from_pretrained(tiny_run, device="cpu", decoding="constrained")
    assert nlp.ner.prior is not None and len(nlp.ner.prior.start) == len(nlp.ner.labels)
    # a prior that makes "O" overwhelmingly likely leaves no entity; "constrained" ignores it
    labels = nlp.ner.labels
    only_o = estimate_prior([["O"] * 5] * 100, labels).with_weight(50.0)
    found = nlp([text])[0].entities
    every_word = estimate_prior([[labels[1]] * 5] * 100, labels).with_weight(50.0)  # B-X after B-X
    nlp.decoding = "viterbi"
    nlp.ner = nlp.ner.with_settings(iob_prior=every_word)
    assert [e.text for e in nlp([text])[0].entities] == text.split()
    nlp.ner = nlp.ner.with_settings(iob_prior=only_o)
    assert nlp([text])[0].entities == ()
    nlp.decoding = "constrained"
    assert nlp([text])[0].entities == found
    for entity in found:
        assert text[entity.start : entity.end] == entity.text

    broken = tmp_path / "ner"
    shutil.copytree(tiny_run / "ner", broken)
    config = json.loads((broken / "config.json").read_text())
    config["arabic_news_ie"]["iob_prior"]["transitions"] = [[0.0]]
    (broken / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelLoadError, match="bad arabic_news_ie settings .*iob_prior"):
        Pipeline.from_pretrained(broken, device="cpu")
