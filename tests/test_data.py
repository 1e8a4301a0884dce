"""The project's own corpus: it validates, its splits are disjoint, and it matches its sources."""

import json

from conftest import ROOT

from arabic_news_ie.authoring import read_ann
from arabic_news_ie.cli import main
from arabic_news_ie.corpus import read_jsonl
from arabic_news_ie.stats import corpus_stats

CORPUS = ROOT / "data" / "corpus.jsonl"


def test_data_directory_validates(capsys):
    assert main(["validate", str(ROOT / "data")]) == 0
    assert capsys.readouterr().out == ""


def test_splits_do_not_share_articles_or_texts():
    articles = read_jsonl(CORPUS).articles
    splits = {name: [a for a in articles if a.split == name] for name in ("train", "dev", "test")}
    assert sum(len(v) for v in splits.values()) == len(articles)
    ids = {name: {a.id for a in v} for name, v in splits.items()}
    texts = {name: {a.text for a in v} for name, v in splits.items()}
    for a, b in (("train", "dev"), ("train", "test"), ("dev", "test")):
        assert not ids[a] & ids[b] and not texts[a] & texts[b]
    assert 0.6 <= len(splits["train"]) / len(articles) <= 0.8


def test_corpus_jsonl_is_the_compiled_authoring_files():
    compiled = [a for path in sorted((ROOT / "data" / "src").glob("*.ann")) for a in read_ann(path).articles]
    assert [a.to_dict() for a in compiled] == [a.to_dict() for a in read_jsonl(CORPUS).articles]


def test_corpus_meets_its_size_targets():
    stats = corpus_stats(read_jsonl(CORPUS).articles)
    assert stats["articles"] >= 150 and stats["entities"]["total"] >= 4000
    assert all(stats["entities"][t] >= 250 for t in ("PER", "ORG", "GPE", "LOC", "MISC"))
    assert all(
        stats["events"][t] >= 60
        for t in ("LIFE", "MOVEMENT", "TRANSACTION", "BUSINESS", "CONFLICT", "CONTACT", "PERSONNEL", "JUSTICE")
    )
    assert stats["no_event_sentences"] >= stats["sentences"] / 4
    json.dumps(stats)
