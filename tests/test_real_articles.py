"""Real (ANT) articles: their text is the published one byte for byte, and the compiler aligns lines to it."""

import hashlib
import json

import pytest
from conftest import ROOT

from arabic_news_ie.data.authoring import ANT_ARTICLES as VENDORED
from arabic_news_ie.data.authoring import read_ann, to_ann
from arabic_news_ie.data.corpus import read_jsonl
from arabic_news_ie.data.stats import corpus_stats

CORPUS = ROOT / "data" / "corpus.jsonl"
ANT_ARTICLES = ROOT / VENDORED  # the package names it from the project root
SELECTION = ROOT / "data" / "real" / "selection.tsv"


def _lines(path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def _real_articles():
    return [a for a in read_jsonl(CORPUS).articles if a.ant_id]


# ---------------------------------------------------------------- the corpus


def test_every_real_article_has_its_vendored_text_byte_for_byte():
    records = {r["id"]: r for r in map(json.loads, _lines(ANT_ARTICLES))}
    real = _real_articles()
    assert len(real) == len(records) == len({a.ant_id for a in real})
    for article in real:
        record = records[article.ant_id]
        assert article.text.encode("utf-8") == record["text"].encode("utf-8"), article.id
        assert (article.title, article.source) == (record["title"], f"ANT {record['source']} {record['id']}")


def test_vendored_records_are_the_ant_samples_lines_by_their_checksums():
    """Each vendored line is byte for byte its line in the ANT sample: SHA256SUMS.tsv holds the sha256 of that
    line, taken from ../shared/corpora/ant-news/articles.jsonl when the file was vendored."""
    sums = dict(line.split("\t") for line in _lines(ANT_ARTICLES.parent / "SHA256SUMS.tsv")[1:])
    vendored = {
        json.loads(line)["id"]: hashlib.sha256(line.encode("utf-8")).hexdigest() for line in _lines(ANT_ARTICLES)
    }
    assert vendored == sums


def test_vendored_file_is_the_selection_and_splits_follow_it():
    rows = [line.split("\t") for line in _lines(SELECTION)[1:]]
    assert [json.loads(line)["id"] for line in _lines(ANT_ARTICLES)] == [row[0] for row in rows]
    split = {row[0]: row[3] for row in rows}
    assert all(a.split == split[a.ant_id] for a in _real_articles())


def test_stats_count_real_and_original_articles_per_split():
    stats = corpus_stats(read_jsonl(CORPUS).articles)
    per_split = {name: (s["real_articles"], s["original_articles"]) for name, s in stats["splits"].items()}
    assert per_split == {"train": (169, 124), "dev": (35, 24), "test": (66, 0), "test-original": (0, 24)}
    assert (stats["real_articles"], stats["original_articles"]) == (270, 172)


# ---------------------------------------------------------------- the compiler

TEXT = "عنوان الخبر\nعنوان الخبر\nزار بوتين طهران.  وقال إن المحادثات جيدة.\nشارك هذا الخبر"
RECORD = {"id": "CN-world-1-20180101", "source": "CNN", "category": "world", "title": "عنوان الخبر", "text": TEXT}
HEADER = "=== ant-1\ntitle: عنوان الخبر\nant_id: CN-world-1-20180101\nsplit: test\n\n"
BODY = [
    "عنوان الخبر || NOISE",
    "عنوان الخبر || NOISE",
    "",
    "زار [[بوتين|PER]] [[طهران|GPE]]. || MOVEMENT",
    "وقال إن المحادثات جيدة. || -",
    "شارك هذا الخبر || NOISE",
]
FIRST_BODY_LINE = 6  # after the four header lines and the blank line


@pytest.fixture
def originals(tmp_path):
    path = tmp_path / "ant.jsonl"
    path.write_text(json.dumps(RECORD, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def _compile(tmp_path, originals, body=BODY, header=HEADER):
    path = tmp_path / "real.ann"
    path.write_text(header + "\n".join(body) + "\n", encoding="utf-8")
    return path, read_ann(path, originals)


def test_real_article_takes_the_original_text_with_offsets_and_noise(tmp_path, originals):
    _, loaded = _compile(tmp_path, originals)
    assert not loaded.problems
    article = loaded.articles[0]
    assert article.text == TEXT and article.source == "ANT CNN CN-world-1-20180101" and article.split == "test"
    assert [TEXT[s:e] for s, e in article.noise] == ["عنوان الخبر", "عنوان الخبر", "شارك هذا الخبر"]
    assert article.noise == ((0, 11), (12, 23), (66, 80))
    assert [(s.start, s.end, s.events) for s in article.sentences] == [(24, 40, ("MOVEMENT",)), (42, 65, ())]
    assert [(TEXT[e.start : e.end], e.label) for e in article.entities] == [("بوتين", "PER"), ("طهران", "GPE")]
    assert loaded.sentence_lines == [[FIRST_BODY_LINE + 3, FIRST_BODY_LINE + 4]]


def test_real_article_round_trips_through_to_ann(tmp_path, originals):
    article = _compile(tmp_path, originals)[1].articles[0]
    path = tmp_path / "again.ann"
    path.write_text(to_ann(article), encoding="utf-8")
    assert read_ann(path, originals).articles == [article]


@pytest.mark.parametrize(
    "index, line, number, problem",
    [
        (
            4,
            "وقال ان المحادثات جيدة. || -",
            10,
            "line differs from the original at its character 5: line has 'ان المحادثات جيدة.', "
            "original has 'إن المحادثات جيدة.\\nشارك ه'",
        ),
        (1, "", 9, "original text skipped before this line: 'عنوان الخبر\\n'"),  # the next line names it
        (5, "", 10, "original text left after the last line: 'شارك هذا الخبر'"),
        (0, "[[عنوان|MISC]] الخبر || NOISE", 6, "a '|| NOISE' line carries no entity markup"),
    ],
)
def test_a_misaligned_line_is_one_problem_naming_its_line(tmp_path, originals, index, line, number, problem):
    body = list(BODY)
    body[index] = line
    path, loaded = _compile(tmp_path, originals, body)
    assert [str(p) for p in loaded.problems] == [f"{path}:{number}: {problem}"]
    assert "\n" not in str(loaded.problems[0])


def test_unknown_ant_id_or_missing_originals_name_the_ant_id_line(tmp_path, originals):
    header = HEADER.replace("CN-world-1-20180101", "CN-world-2-20180101")
    path, loaded = _compile(tmp_path, originals, header=header)
    assert [str(p) for p in loaded.problems] == [f"{path}:3: ant_id 'CN-world-2-20180101' is not in {originals}"]
    _, loaded = _compile(tmp_path, tmp_path / "missing.jsonl")
    assert not loaded.articles and "cannot read the original texts" in loaded.problems[0].message


def test_a_header_that_disagrees_with_the_record_is_a_problem(tmp_path, originals):
    path, loaded = _compile(tmp_path, originals, header=HEADER.replace("title: عنوان الخبر", "title: عنوان آخر"))
    assert [str(p) for p in loaded.problems] == [f"{path}:2: title differs from the ANT record's: 'عنوان الخبر'"]
