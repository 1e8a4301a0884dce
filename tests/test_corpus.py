import json

from conftest import DATA

from arabic_news_ie.data.corpus import (
    bio_to_spans,
    read_conll,
    read_csv,
    read_jsonl,
    spans_to_bio,
    write_conll,
    write_jsonl,
)
from arabic_news_ie.data.schema import Article, SentenceSpan, Span
from arabic_news_ie.text import words


def test_jsonl_round_trip(tmp_path, tiny_corpus):
    articles = read_jsonl(tiny_corpus).articles
    out = tmp_path / "copy.jsonl"
    write_jsonl(articles, out)
    assert read_jsonl(out).articles == articles
    assert out.read_text(encoding="utf-8") == tiny_corpus.read_text(encoding="utf-8")


def test_jsonl_reader_reports_bad_records_and_goes_on(tmp_path):
    path = tmp_path / "bad.jsonl"
    good = {"id": "g", "text": "نص", "entities": [], "sentences": [{"start": 0, "end": 2, "events": []}]}
    path.write_text(
        "\n".join(
            [
                "{not json",
                json.dumps({"id": 1, "text": "x", "entities": [], "sentences": []}),
                json.dumps(good),
            ]
        ),
        encoding="utf-8",
    )
    loaded = read_jsonl(path)
    assert [a.id for a in loaded.articles] == ["g"]
    assert [(p.line, p.message.split(":")[0]) for p in loaded.problems] == [
        (1, "invalid JSON"),
        (2, "field 'id' must be str, got int"),
    ]


def test_span_bio_round_trip_with_clitics_and_persian_letters():
    text = "والتقى ولایتي بوتين بموسکو، ووزارة الخارجية الإیرانية"
    spans = words(text)
    entities = [
        Span(text.index("ولایتي"), text.index("ولایتي") + len("ولایتي"), "PER"),
        Span(text.index("بوتين"), text.index("بوتين") + 5, "PER"),
        Span(text.index("بموسکو"), text.index("بموسکو") + 6, "GPE"),
        Span(text.index("ووزارة"), len(text), "ORG"),
    ]
    tags = spans_to_bio(spans, entities)
    assert tags == ["O", "B-PER", "B-PER", "B-GPE", "O", "B-ORG", "I-ORG", "I-ORG"]
    assert bio_to_spans(spans, tags) == entities
    assert [text[e.start : e.end] for e in bio_to_spans(spans, tags)] == [
        "ولایتي",
        "بوتين",
        "بموسکو",
        "ووزارة الخارجية الإیرانية",
    ]


def test_stray_inside_tag_starts_an_entity_like_seqeval():
    spans = [(0, 1), (2, 3), (4, 5), (6, 7)]
    assert bio_to_spans(spans, ["I-LOC", "I-LOC", "I-PER", "O"]) == [Span(0, 3, "LOC"), Span(4, 5, "PER")]


def test_conll_reader_anercorp_style(tmp_path):
    path = tmp_path / "a.conll"
    path.write_text(
        "فرانكفورت B-LOC\n(\tO\nد\tB-ORG\nب\tI-ORG\nأ\tI-ORG\n)\tO\n\nأعلن O\nكلاوس B-PERS\nكينكل I-PERS\n",
        encoding="utf-8",
    )
    loaded = read_conll(path)
    assert not loaded.problems
    first, second = loaded.articles
    assert first.text == "فرانكفورت ( د ب أ )"
    assert [(first.text[e.start : e.end], e.label) for e in first.entities] == [("فرانكفورت", "LOC"), ("د ب أ", "ORG")]
    assert [(second.text[e.start : e.end], e.label) for e in second.entities] == [("كلاوس كينكل", "PERS")]
    assert loaded.lines == [(str(path), 1), (str(path), 8)]


def test_conll_reader_applies_label_map(tmp_path):
    path = tmp_path / "a.conll"
    path.write_text("كلاوس B-PERS\n", encoding="utf-8")
    assert read_conll(path, {"PERS": "PER"}).articles[0].entities[0].label == "PER"


def test_conll_writer_round_trip(tmp_path, tiny_corpus):
    articles = read_jsonl(tiny_corpus).articles
    out = tmp_path / "tiny.conll"
    write_conll(articles, out)
    back = read_conll(out).articles
    surfaces = lambda arts: [a.text[e.start : e.end] for a in arts for e in a.entities]  # noqa: E731
    assert surfaces(back) == surfaces(articles)


def test_csv_reader_handles_embedded_newlines_and_column_order():
    loaded = read_csv(DATA / "asnd_sample.csv", text_column="Content", label_column="Class", id_column="ID")
    assert not loaded.problems
    assert [a.label for a in loaded.articles] == ["sports", "politics", "health"]
    assert "\n" in loaded.articles[1].text
    assert loaded.articles[0].id == "101"


def test_csv_reader_names_a_missing_column(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    problem = read_csv(path, "Content", "Class").problems[0]
    assert "missing CSV column(s): Content, Class" in str(problem)


def test_article_to_dict_keeps_optional_fields():
    article = Article("x", "نص", (), (SentenceSpan(0, 2, ("LIFE",)),), split="dev")
    assert article.to_dict()["split"] == "dev"
    assert article.to_dict()["sentences"] == [{"start": 0, "end": 2, "events": ["LIFE"]}]


def test_noise_spans_are_written_and_read_back_and_omitted_when_empty(tmp_path):
    noisy = Article("n", "اقرأ أيضا\nزار بوتين طهران", (), (SentenceSpan(10, 25),), noise=((0, 9),))
    plain = Article("p", "نص", (), (SentenceSpan(0, 2),))
    write_jsonl([noisy, plain], tmp_path / "c.jsonl")
    lines = (tmp_path / "c.jsonl").read_text(encoding="utf-8").splitlines()
    assert '"noise": [[0, 9]]' in lines[0] and "noise" not in lines[1]
    assert read_jsonl(tmp_path / "c.jsonl").articles == [noisy, plain]


def test_conll_reader_on_the_anercorp_sample_file():
    loaded = read_conll(DATA / "anercorp_sample.conll")
    assert not loaded.problems and len(loaded.articles) == 2
    first = loaded.articles[0]
    assert [(first.text[e.start : e.end], e.label) for e in first.entities] == [
        ("كلاوس كينكل", "PERS"),
        ("بون", "LOC"),
        ("الاتحاد الأوروبي", "ORG"),
        ("مؤتمر ماستريخت", "MISC"),
    ]
    second = loaded.articles[1]
    assert [second.text[e.start : e.end] for e in second.entities] == ["وكالة الأنباء الألمانية", "د ب أ"]
