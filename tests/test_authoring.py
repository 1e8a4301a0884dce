from conftest import DATA

from arabic_news_ie.cli import main
from arabic_news_ie.data.authoring import parse_sentence, read_ann, to_ann
from arabic_news_ie.data.corpus import read_jsonl


def test_parse_sentence_strips_markup_and_keeps_offsets():
    text, spans, events = parse_sentence("وصل [[ظريف|PER]] إلى [[بلندن|GPE]]. || MOVEMENT CONTACT")
    assert text == "وصل ظريف إلى بلندن."
    assert [(text[s:e], label) for s, e, label in spans] == [("ظريف", "PER"), ("بلندن", "GPE")]
    assert events == ["MOVEMENT", "CONTACT"]
    assert parse_sentence("جملة. || -")[2] == []


def test_compiled_text_joins_sentences_and_paragraphs():
    article = read_ann(DATA / "tiny.ann").articles[0]
    assert article.text.count("\n") == 0 and article.sentences[1].start == article.sentences[0].end + 1
    assert article.title == "زيارة وزير الخارجية الإيراني إلى موسكو" and article.split == "train"


def test_missing_event_marker_names_the_line(tmp_path):
    path = tmp_path / "x.ann"
    path.write_text("=== x-1\ntitle: t\n\nجملة أولى. || -\nجملة بلا علامة.\n", encoding="utf-8")
    problems = read_ann(path).problems
    assert [(p.line, p.message) for p in problems] == [(5, "sentence line does not end with '|| TYPES' or '|| -'")]


def test_to_ann_round_trip():
    loaded = read_ann(DATA / "tiny.ann")
    for article in loaded.articles:
        assert to_ann(article) in (DATA / "tiny.ann").read_text(encoding="utf-8")


def test_seed_article_fixture_reproduces_the_scraped_text():
    article = read_ann(DATA / "seed.ann").articles[0]
    assert article.text.startswith("أكدت مواقع تابعة للحرس الثوري الإيراني")
    assert "فی سوریا" in article.text  # Persian letters kept as scraped
    assert article.text.endswith("وتتلقى نشراتنا البريدية المتنوعة")
    assert all(article.text[e.start : e.end].strip() == article.text[e.start : e.end] for e in article.entities)


def test_noise_line_of_a_written_article_stays_in_the_text_as_a_noise_span(tmp_path):
    path = tmp_path / "x.ann"
    path.write_text(
        "=== x-1\ntitle: t\n\nزار [[بوتين|PER]] طهران. || MOVEMENT\n\nشارك هذا الخبر || NOISE\n", encoding="utf-8"
    )
    loaded = read_ann(path)
    article = loaded.articles[0]
    assert not loaded.problems and article.text == "زار بوتين طهران.\nشارك هذا الخبر"
    assert article.noise == ((17, 31),) and len(article.sentences) == 1 and loaded.sentence_lines == [[4]]
    assert to_ann(article) == path.read_text(encoding="utf-8")


def test_compile_finds_ann_files_in_subdirectories(tmp_path):
    (tmp_path / "real").mkdir()
    for name, article_id in (("a.ann", "a-1"), ("real/b.ann", "b-1")):
        (tmp_path / name).write_text(f"=== {article_id}\ntitle: t\n\nجملة. || -\n", encoding="utf-8")
    assert main(["compile", str(tmp_path), "-o", str(tmp_path / "c.jsonl")]) == 0
    assert [a.id for a in read_jsonl(tmp_path / "c.jsonl").articles] == ["a-1", "b-1"]
