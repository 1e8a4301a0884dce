import pytest

from arabic_news_ie.data.windows import (
    encode_windows,
    model_forms,
    plan_windows,
    token_labels,
    word_spans,
    word_token_ids,
)
from arabic_news_ie.models.tokenizers import train_tokenizer


@pytest.fixture(scope="module")
def tokenizer():
    return train_tokenizer(["قال الوزير في طهران إن المحادثات مع موسكو جيدة"] * 5, vocab_size=120, min_frequency=1)


@pytest.mark.parametrize(
    "counts, budget, stride", [([1] * 50, 10, 3), ([3, 1, 7, 2, 2, 5, 1] * 9, 12, 4), ([12, 1, 1], 12, 4)]
)
def test_windows_cover_every_word_and_fit_the_budget(counts, budget, stride):
    windows = plan_windows(counts, budget, stride)
    covered = {i for a, b in windows for i in range(a, b)}
    assert covered == set(range(len(counts)))
    assert all(sum(counts[a:b]) <= budget for a, b in windows)
    assert all(a1 < a2 for (a1, _), (a2, _) in zip(windows, windows[1:]))  # always progress
    if len(set(counts)) == 1:
        assert all(b1 > a2 for (_, b1), (a2, _) in zip(windows, windows[1:]))  # consecutive windows overlap


def test_long_sentence_loses_no_word(tokenizer):
    text = " ".join(["قال الوزير في طهران إن المحادثات مع موسكو جيدة"] * 60) + " والأخيرة"
    spans = word_spans(text)
    ids = word_token_ids(tokenizer, model_forms(text, spans), budget=30)
    windows = encode_windows(tokenizer, ids, max_length=32, stride=8)
    assert len(windows) > 10 and all(len(w.input_ids) <= 32 for w in windows)
    first_subwords = {i for w in windows for i in w.word_ids if i is not None}
    lost = set(range(len(spans))) - first_subwords
    assert len(lost) == 0
    labels = token_labels(windows[-1], list(range(len(spans))))
    assert labels[-2] == len(spans) - 1  # the last word is labelled in the last window


def test_first_subword_gets_the_label_rest_are_ignored(tokenizer):
    text = "الوزيرموسكو جيدة"
    spans = word_spans(text)
    window = encode_windows(tokenizer, word_token_ids(tokenizer, model_forms(text, spans), 30), 32, 8)[0]
    labels = token_labels(window, [7, 9])
    first_word_tokens = [l for l, w in zip(labels, window.word_ids) if w == 0]
    assert first_word_tokens[0] == 7 and set(first_word_tokens[1:]) == {-100} and len(first_word_tokens) > 1
    assert labels[0] == labels[-1] == -100


def test_model_forms_normalise_without_moving_offsets():
    text = "ولایتي في موسکو\u200f"
    spans = word_spans(text)
    assert model_forms(text, spans) == ["ولايتي", "في", "موسكو"]  # a trailing mark is no word
    assert [text[s:e] for s, e in spans][0] == "ولایتي"


def test_a_one_megabyte_word_is_shortened_for_the_model_only(tokenizer):
    text = "ب" * 1_000_000
    spans = word_spans(text)
    assert spans == [(0, 1_000_000)]
    ids = word_token_ids(tokenizer, model_forms(text, spans), budget=30)
    assert 1 <= len(ids[0]) <= 30
