"""The one predict path on stub models with fixed logits: windows merge back per word, entities are found
with exact offsets, events are thresholded, and the Pipeline assembles them, whatever the window size."""

import dataclasses
import re
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from conftest import TINY_ENCODER
from transformers import AutoTokenizer, PretrainedConfig

from arabic_news_ie import Pipeline, Sentence
from arabic_news_ie.data.windows import Encoded, Unit, encode_windows, word_spans
from arabic_news_ie.inference.model_files import InferenceSettings
from arabic_news_ie.inference.predictor import EventClassifier, Tagger, merge_token_probs

NER_LABELS = ["O", "B-PER", "I-PER", "B-GPE", "I-GPE"]
EVENT_TYPES = ["MOVEMENT", "CONTACT", "CONFLICT"]
# the words the stubs react to: an entity tag for every sub-word of the word, or an event type
# (whole pieces of the tiny encoder's vocabulary, so that no sub-word is shared with other words)
TAGS = {"سيرغي": "B-PER", "لافروف": "B-PER", "ظريف": "B-PER", "باريس": "B-GPE", "القاهرة": "B-GPE", "حلب": "B-GPE"}
TRIGGERS = {"زيارة": "MOVEMENT", "لبحث": "CONTACT"}


class LookupModel(torch.nn.Module):
    """A stub with fixed logits: a (vocabulary, labels) table read at each input id; classifiers take the
    max over the tokens of a window (a sentence holding a trigger word gets its type)."""

    def __init__(self, table: np.ndarray, labels: list[str], pooled: bool = False):
        super().__init__()
        self.table = torch.nn.Parameter(torch.as_tensor(table, dtype=torch.float32), requires_grad=False)
        self.config = PretrainedConfig(id2label=dict(enumerate(labels)), label2id={l: i for i, l in enumerate(labels)})
        self.pooled = pooled

    def forward(self, input_ids, attention_mask):
        logits = self.table[input_ids]  # (batch, seq, labels)
        if self.pooled:
            logits = logits.masked_fill(~attention_mask.bool()[..., None], -1e4).max(1).values  # (batch, labels)
        return SimpleNamespace(logits=logits)


@pytest.fixture(scope="module")
def tokenizer():
    return AutoTokenizer.from_pretrained(TINY_ENCODER)


def _table(tokenizer, labels: list[str], marks: dict[str, str], default: float) -> np.ndarray:
    table = np.full((len(tokenizer), len(labels)), -4.0)
    table[:, 0] = default  # "O" for NER; for events every type starts low
    for word, label in marks.items():
        for token_id in tokenizer(word, add_special_tokens=False)["input_ids"]:
            table[token_id] = -4.0
            table[token_id, labels.index(label)] = 4.0
    return table


def _tagger(tokenizer, max_length: int = 128, stride: int = 32) -> Tagger:
    model = LookupModel(_table(tokenizer, NER_LABELS, TAGS, 4.0), NER_LABELS)
    return Tagger(model, tokenizer, InferenceSettings("ner", max_length=max_length, stride=stride), "cpu")


def _classifier(tokenizer, threshold: float = 0.5) -> EventClassifier:
    table = _table(tokenizer, EVENT_TYPES, TRIGGERS, -4.0)
    model = LookupModel(table, EVENT_TYPES, pooled=True)
    return EventClassifier(model, tokenizer, InferenceSettings("events", event_threshold=threshold), "cpu")


def test_window_merge_takes_each_word_from_its_most_central_window():
    ids_per_word = [[10 + i] for i in range(10)]  # ten one-token words
    windows = encode_windows(SimpleNamespace(cls_token_id=1, sep_token_id=2), ids_per_word, max_length=6, stride=2)
    assert [(w.word_start, w.word_end) for w in windows] == [(0, 4), (2, 6), (4, 8), (6, 10)]
    encoded = Encoded([{"input_ids": w.input_ids} for w in windows], [windows], [(0, k) for k in range(4)])
    logits = [np.tile(np.eye(4)[k] * 5.0, (len(w.input_ids), 1)) for k, w in enumerate(windows)]  # window k says k
    (probs,) = merge_token_probs(encoded, logits)
    assert probs.argmax(1).tolist() == [0, 0, 0, 1, 1, 2, 2, 3, 3, 3]
    assert np.allclose(probs.sum(1), 1.0)


@pytest.mark.parametrize("max_length, stride", [(128, 32), (8, 2), (5, 1)])
def test_tagger_finds_every_entity_with_exact_offsets_at_any_window_size(tokenizer, max_length, stride):
    text = "«وصل سيرغي لافروف إلى باريس» ثم عاد إلى القاهرة، وقال ظريف إن حلب آمنة. " * 3
    units = [Unit(0, 0, len(text), word_spans(text))]
    tagger = _tagger(tokenizer, max_length, stride)
    assert len(tagger.encode([text], units).windows[0]) > (1 if max_length < 128 else 0)
    (entities,) = tagger.entities([text], units, batch_size=4, decoding="constrained")
    assert [(e.text, e.label) for e in entities] == [
        ("سيرغي", "PER"),
        ("لافروف", "PER"),
        ("باريس", "GPE"),
        ("القاهرة", "GPE"),
        ("ظريف", "PER"),
        ("حلب", "GPE"),
    ] * 3  # fmt: skip (the stub tags every name B-: two names in a row are two entities)
    names = re.finditer("|".join(TAGS), text)  # every occurrence, in order: offsets must point at each one
    assert [(e.start, e.end) for e in entities] == [m.span() for m in names]
    assert all(0.9 < e.score <= 1.0 for e in entities)


def test_offsets_hold_on_persian_letters_tatweel_and_diacritics(tokenizer):
    text = "وقال\u200f الرئيس: «القاهـــرة» و«بَارِيس» ثم سيرغی."
    (entities,) = _tagger(tokenizer).entities([text], [Unit(0, 0, len(text), word_spans(text))])
    expected = [("القاهـــرة", "GPE"), ("بَارِيس", "GPE"), ("سيرغی", "PER")]
    assert [(e.text, e.label) for e in entities] == expected
    assert [(e.start, e.end) for e in entities] == [(text.index(w), text.index(w) + len(w)) for w, _ in expected]


def test_arabert_preprocessing_per_word_keeps_offsets(tokenizer):
    text = "وقال سيرغی في «باريس» إن القاهرة، أمس"  # AraBERT's preprocessor deletes ی and spaces out «» and ،
    settings = InferenceSettings("ner", arabert_preprocess=True, base_model="aubmindlab/bert-base-arabertv02")
    tagger = Tagger(_tagger(tokenizer).model, tokenizer, settings, "cpu")
    (entities,) = tagger.entities([text], [Unit(0, 0, len(text), word_spans(text))])
    expected = [("سيرغی", "PER"), ("باريس", "GPE"), ("القاهرة", "GPE")]
    assert [(e.text, e.label) for e in entities] == expected
    assert [(e.start, e.end) for e in entities] == [(text.index(w), text.index(w) + len(w)) for w, _ in expected]


def test_events_are_thresholded_ranked_and_rolled_up_per_article(tokenizer):
    text = "زيارة ظريف إلى باريس. لبحث القاهرة. انتهى الخبر\nاقرأ أيضا: زيارة"
    nlp = Pipeline(_tagger(tokenizer), _classifier(tokenizer))
    (result,) = nlp([text])
    assert [s.text for s in result.sentences] == [
        "زيارة ظريف إلى باريس.",
        "لبحث القاهرة.",
        "انتهى الخبر",
        "اقرأ أيضا: زيارة",
    ]
    assert [s.start for s in result.sentences] == [0, 22, 36, 48]
    assert [tuple(label for label, _ in s.events) for s in result.sentences] == [("MOVEMENT",), ("CONTACT",), (), ()]
    assert result.sentences[3].skipped  # boilerplate: not analysed, so no event although it holds "زيارة"
    assert [label for label, _ in result.events] == ["MOVEMENT", "CONTACT"]
    assert [e.text for e in result.entities] == ["ظريف", "باريس", "القاهرة"]
    strict = Pipeline(None, _classifier(tokenizer, threshold=0.9999))([text])[0]
    assert strict.events == () and strict.entities == ()


def test_results_are_immutable_hashable_and_round_trip(tokenizer):
    text = "زيارة ظريف إلى باريس."
    (result,) = Pipeline(_tagger(tokenizer), _classifier(tokenizer))([text])
    again = type(result).from_dict(result.to_dict(), text)
    assert again == result and hash(again) == hash(result) and len({result, again}) == 1
    with pytest.raises(AttributeError):
        result.entities.append(result.entities[0])  # tuples, not lists
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.sentences[0].events = ()
    assert repr(result.sentences[0]) == 'Sentence: "زيارة ظريف إلى باريس." → [MOVEMENT 0.98]'
    assert result.sentences[0] == Sentence(text, 0, len(text), (("MOVEMENT", 0.982),))


def test_load_takes_a_path_as_a_string_and_returns_the_task_class(tiny_run):
    from arabic_news_ie.inference.predictor import load

    assert type(load(str(tiny_run / "ner"), "cpu")) is Tagger
    assert type(load(str(tiny_run / "events"), "cpu")) is EventClassifier
