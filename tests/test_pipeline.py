"""The public API: offsets into the caller's string, long inputs, hostile strings, round trips."""

import json

import pytest
from conftest import ROOT, TINY_OVERRIDES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arabic_news_ie import Pipeline, Result

ARABIC = "ابتثجحخدذرزسشصضطظعغفقكلمنهويءآأؤإئةى" + "کیۀ" + "ـًٌٍَُِّْ" + "٠١٢٣٤٥٦٧٨٩"
MARKS = "\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u2066\u2069\ufeff"
PUNCT = ".،؛؟!«»()\"'-:/…\n\t "
ALPHABET = st.sampled_from(list(ARABIC + MARKS + PUNCT) + ["a", "Z", "7", "😀", "\x00", "\x1b", "\ud800", "é"])


@pytest.fixture(scope="module")
def overfit_run(tmp_path_factory, tiny_corpus):
    """A tiny NER model trained until it knows the tiny corpus by heart (a real model, real path)."""
    from arabic_news_ie.config import load_config
    from arabic_news_ie.training.run import train

    output = tmp_path_factory.mktemp("overfit")
    overrides = TINY_OVERRIDES + [
        f"data.train={tiny_corpus}",
        f"data.dev={tiny_corpus}",
        "training.epochs=80",
        "training.early_stopping_patience=100",
        "model.hidden_size=64",
        "model.intermediate_size=128",
        "training.learning_rate=3e-3",
        "model.freeze_word_embeddings=false",  # the tiny encoder's random table must learn to memorise
    ]
    cfg = load_config(ROOT / "configs" / "default.yaml", overrides)
    train(cfg, output, task="ner")
    return Pipeline.from_pretrained(output, device="cpu")


KNOWN = "موسكو (رويترز) - وصل وزير الخارجية الإيراني محمد جواد ظريف إلى موسكو أمس في زيارة رسمية."


def _check_invariants(text: str, result: Result) -> None:
    assert result.text == text
    previous_end = 0
    for entity in result.entities:
        assert 0 <= entity.start < entity.end <= len(text)
        assert text[entity.start : entity.end] == entity.text
        assert entity.start >= previous_end  # sorted, no overlap
        previous_end = entity.end
        assert 0.0 <= entity.score <= 1.0
    previous_end = 0
    for sentence in result.sentences:
        assert previous_end <= sentence.start < sentence.end <= len(text)
        previous_end = sentence.end
    covered = {i for s in result.sentences for i in range(s.start, s.end)}
    assert all(i in covered for i, ch in enumerate(text) if not ch.isspace())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.text(ALPHABET, max_size=300), min_size=1, max_size=4))
def test_offsets_property_over_random_arabic_and_mixed_text(tiny_pipeline, texts):
    results = tiny_pipeline(texts, batch_size=3)
    assert len(results) == len(texts)
    for text, result in zip(texts, results):
        _check_invariants(text, result)
        json.dumps(result.to_dict())


def test_known_sentence_is_tagged_with_exact_offsets(overfit_run):
    result = overfit_run([KNOWN])[0]
    assert [(e.text, e.label) for e in result.entities] == [
        ("موسكو", "GPE"),
        ("رويترز", "ORG"),
        ("محمد جواد ظريف", "PER"),
        ("موسكو", "GPE"),
    ]


def test_normalisation_never_moves_offsets(overfit_run):
    noisy = "\u200f" + KNOWN.replace("موسكو", "موسکو").replace("ظريف", "ظـريف").replace("وصل", "وَصَلَ")
    result = overfit_run([noisy])[0]
    _check_invariants(noisy, result)
    assert [e.text for e in result.entities] == ["موسکو", "رويترز", "محمد جواد ظـريف", "موسکو"]


def test_entity_on_the_last_line_of_a_10000_word_article_is_found(overfit_run):
    filler = "وقال المتحدث إن الاجتماع تناول عددا من القضايا المشتركة بين البلدين. " * 1000
    text = filler + "\n" + KNOWN
    assert len(text.split()) > 10_000
    result = overfit_run([text])[0]
    assert ("محمد جواد ظريف", "PER") in [(e.text, e.label) for e in result.entities if e.start > len(filler)]


def test_an_entity_after_10000_words_in_one_sentence_is_found(overfit_run):
    text = "و " * 10_000 + KNOWN  # no sentence end: one huge sentence, cut into windows
    result = overfit_run([text])[0]
    _check_invariants(text, result)
    tail = {(e.text, e.label) for e in result.entities if e.start > 20_000}
    assert ("موسكو", "GPE") in tail  # found at the far end of the sentence, through the windows


def test_boilerplate_and_repeated_headline_are_skipped_with_offsets_kept(tiny_pipeline):
    text = "عنوان الخبر المهم\nوصل الوزير إلى موسكو.\nعنوان الخبر المهم\nلم تشترك بعد"
    result = tiny_pipeline([text])[0]
    assert [s.skipped for s in result.sentences] == [False, False, True, True]
    assert text[result.sentences[2].start : result.sentences[2].end] == "عنوان الخبر المهم"
    assert not result.sentences[3].events
    kept = Pipeline(tiny_pipeline.ner, tiny_pipeline.events, skip_noise=False)([text])[0]
    assert not any(s.skipped for s in kept.sentences)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\t ",
        "ب" * 1_000_000,
        "hello world, no Arabic here.",
        "\x00\x01\x1b[31m",
        "\ud800\udfff ok",
        "\u202bمرحبا\u202c \u200fبالعالم",
        "😀" * 50,
    ],
)
def test_hostile_strings_do_not_break_the_api(tiny_pipeline, text):
    _check_invariants(text, tiny_pipeline([text])[0])


def test_ten_thousand_sentences(tiny_pipeline):
    text = "قال. " * 10_000
    result = tiny_pipeline([text], batch_size=64)[0]
    assert len(result.sentences) == 10_000


def test_list_in_list_out_and_types(tiny_pipeline):
    with pytest.raises(TypeError):
        tiny_pipeline("نص واحد")
    with pytest.raises(TypeError):
        tiny_pipeline([5])
    assert tiny_pipeline([]) == []
    result = tiny_pipeline([KNOWN])[0]
    assert set(result.to_dict()) == {"entities", "sentences", "events"}
    assert repr(result).startswith('Result: "موسكو (رويترز)')


def test_save_pretrained_round_trip(tiny_pipeline, tmp_path):
    tiny_pipeline.save_pretrained(tmp_path / "copy")
    again = Pipeline.from_pretrained(tmp_path / "copy", device="cpu")
    texts = [KNOWN, "وقال لافروف في موسكو إن المحادثات جيدة. وأضاف أن الوفد غادر."]
    assert [r.to_dict() for r in again(texts)] == [r.to_dict() for r in tiny_pipeline(texts)]


def test_int8_quantisation_keeps_offsets_and_mostly_agrees(overfit_run, tmp_path):
    overfit_run.save_pretrained(tmp_path / "m")
    quantized = Pipeline.from_pretrained(tmp_path / "m", device="cpu", quantize=True)
    text = KNOWN + " " + KNOWN
    result = quantized([text])[0]
    _check_invariants(text, result)
    assert [e.label for e in result.entities] == [e.label for e in overfit_run([text])[0].entities]
