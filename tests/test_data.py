"""The project's own corpus: it validates, its splits are disjoint, and it matches its sources."""

import json
from itertools import combinations

from conftest import ROOT

from arabic_news_ie.cli import main
from arabic_news_ie.config import DataConfig
from arabic_news_ie.data.authoring import read_ann
from arabic_news_ie.data.corpus import read_jsonl
from arabic_news_ie.data.schema import SPLITS
from arabic_news_ie.data.splits import load_splits
from arabic_news_ie.data.stats import corpus_stats

CORPUS = ROOT / "data" / "corpus.jsonl"


def test_data_directory_validates(capsys):
    assert main(["validate", str(ROOT / "data")]) == 0
    assert capsys.readouterr().out == ""


def test_splits_do_not_share_articles_or_texts():
    articles = read_jsonl(CORPUS).articles
    splits = {name: [a for a in articles if a.split == name] for name in SPLITS}
    assert sum(len(v) for v in splits.values()) == len(articles)
    ids = {name: {a.id for a in v} for name, v in splits.items()}
    texts = {name: {a.text for a in v} for name, v in splits.items()}
    for a, b in combinations(SPLITS, 2):
        assert not ids[a] & ids[b] and not texts[a] & texts[b]
    assert 0.6 <= len(splits["train"]) / len(articles) <= 0.8


def test_original_test_articles_are_the_test_original_split():
    articles = read_jsonl(CORPUS).articles
    assert len([a for a in articles if a.split == "test-original"]) == 24
    assert all(a.ant_id is None for a in articles if a.split == "test-original")
    assert all(a.ant_id is not None for a in articles if a.split == "test")


def test_corpus_jsonl_is_the_compiled_authoring_files(tmp_path, capsys):
    compiled = [a for path in sorted((ROOT / "data" / "src").rglob("*.ann")) for a in read_ann(path).articles]
    assert [a.to_dict() for a in compiled] == [a.to_dict() for a in read_jsonl(CORPUS).articles]
    assert main(["compile", str(ROOT / "data" / "src"), "-o", str(tmp_path / "c.jsonl")]) == 0
    assert (tmp_path / "c.jsonl").read_bytes() == CORPUS.read_bytes()


def test_load_splits_returns_every_split_of_the_corpus():
    splits = load_splits(DataConfig(train=str(CORPUS)))
    assert list(splits) == ["train", "dev", "test", "test-original"]
    assert {name: len(v) for name, v in splits.items()} == {
        name: sum(a.split == name for a in read_jsonl(CORPUS).articles) for name in SPLITS
    }


def test_corpus_meets_its_size_targets():
    stats = corpus_stats(read_jsonl(CORPUS).articles)
    assert stats["words"] >= 70_000 and stats["entities"]["total"] >= 9_000
    assert all(stats["entities"][t] >= 250 for t in ("PER", "ORG", "GPE", "LOC", "MISC"))
    train = stats["splits"]["train"]
    assert all(
        train["events"][t] >= 120
        for t in ("LIFE", "MOVEMENT", "TRANSACTION", "BUSINESS", "CONFLICT", "CONTACT", "PERSONNEL", "JUSTICE")
    )
    assert stats["real_articles"] >= 200 and stats["splits"]["test"]["real_articles"] >= 50
    assert stats["no_event_sentences"] >= stats["sentences"] / 4
    json.dumps(stats)
