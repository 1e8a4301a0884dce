"""Each validator check, on a small bad file; the CLI prints PATH:LINE: message and exits 1."""

import json

import pytest

from arabic_news_ie.cli import main

TEXT = "زار بوتين طهران. وقال إن المحادثات جيدة."
GOOD = {
    "id": "a1",
    "text": TEXT,
    "entities": [{"start": 4, "end": 9, "label": "PER"}, {"start": 10, "end": 15, "label": "GPE"}],
    "sentences": [{"start": 0, "end": 16, "events": ["MOVEMENT"]}, {"start": 17, "end": len(TEXT), "events": []}],
}


def _write(tmp_path, records, name="c.jsonl"):
    path = tmp_path / name
    path.write_text(
        "\n".join(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in records) + "\n",
        encoding="utf-8",
    )
    return path


def _validate(capsys, *paths, extra=()):
    code = main(["validate", *map(str, paths), *extra])
    return code, capsys.readouterr().out.strip().splitlines()


def _variant(**changes):
    record = json.loads(json.dumps(GOOD))
    record.update(changes)
    return record


def test_clean_file_passes(tmp_path, capsys):
    assert _validate(capsys, _write(tmp_path, [GOOD])) == (0, [])


def test_tiny_corpus_and_seed_fixture_validate(capsys, tiny_corpus):
    from conftest import DATA

    assert _validate(capsys, tiny_corpus, DATA / "seed.ann") == (0, [])


@pytest.mark.parametrize(
    "record, message",
    [
        ("{broken", "invalid JSON"),
        ({"id": "x", "text": TEXT, "entities": []}, "missing field 'sentences'"),
        (_variant(text=5), "field 'text' must be str"),
        (_variant(entities=[{"start": "4", "end": 9, "label": "PER"}]), "start/end must be integers"),
        (_variant(entities=[{"start": 4, "end": 999, "label": "PER"}]), "out of range"),
        (_variant(entities=[{"start": 9, "end": 9, "label": "PER"}]), "out of range or empty"),
        (_variant(entities=[{"start": 5, "end": 9, "label": "PER"}]), "does not start and end on word boundaries"),
        (
            _variant(entities=[{"start": 4, "end": 15, "label": "PER"}, {"start": 10, "end": 15, "label": "GPE"}]),
            "overlap",
        ),
        (_variant(entities=[{"start": 4, "end": 9, "label": "PERSON"}]), "unknown entity label 'PERSON'"),
        (
            _variant(
                sentences=[{"start": 0, "end": 16, "events": ["WAR"]}, {"start": 17, "end": len(TEXT), "events": []}]
            ),
            "unknown event type(s) WAR",
        ),
        (
            _variant(sentences=[{"start": 0, "end": 20, "events": []}, {"start": 17, "end": len(TEXT), "events": []}]),
            "overlaps the previous one",
        ),
        (_variant(sentences=[{"start": 0, "end": 16, "events": []}]), "sentences do not cover the text"),
        (_variant(entities=[{"start": 10, "end": 21, "label": "GPE"}]), "crosses a sentence boundary"),
        (_variant(split="training"), "split 'training' is not train/dev/test/test-original"),
        (_variant(noise=[[0, 99]]), "noise span [0, 99) out of range"),
        (_variant(noise=[[10, 16]]), "overlaps a sentence"),
        (_variant(noise=[[4, 9]], sentences=[{"start": 17, "end": len(TEXT), "events": []}]), "holds an entity"),
        (_variant(noise=[[0, 5], [3, 9]], sentences=GOOD["sentences"][1:], entities=[]), "overlaps another noise"),
        (_variant(noise=[[0, 4]]), "overlaps a sentence"),
        (_variant(noise="0-16"), "field 'noise' must be list"),
        (_variant(noise=[[0]]), "must be a list [start, end] of two integers"),
    ],
)
def test_each_jsonl_problem_is_reported_with_path_and_line(tmp_path, capsys, record, message):
    path = _write(tmp_path, [GOOD | {"id": "first"}, record])
    code, lines = _validate(capsys, path)
    assert code == 1
    assert any(line.startswith(f"{path}:2: ") and message in line for line in lines), lines


def test_noise_spans_count_as_covered_text(tmp_path, capsys):
    record = _variant(sentences=GOOD["sentences"][1:], entities=[], noise=[[0, 16]], split="test-original")
    assert _validate(capsys, _write(tmp_path, [record])) == (0, [])


def test_a_bad_record_does_not_stop_the_check_of_the_rest(tmp_path, capsys):
    path = _write(tmp_path, ["{broken", _variant(id="b", entities=[{"start": 5, "end": 9, "label": "PER"}])])
    code, lines = _validate(capsys, path)
    assert code == 1 and [line.split(": ")[0] for line in lines] == [f"{path}:1", f"{path}:2"]


def test_duplicate_ids_across_files(tmp_path, capsys):
    first = _write(tmp_path, [GOOD], "a.jsonl")
    second = _write(tmp_path, [GOOD], "b.jsonl")
    code, lines = _validate(capsys, first, second)
    assert code == 1 and lines == [f"{second}:1: duplicate article id 'a1' (first at {first}:1)"]


@pytest.mark.parametrize(
    "content, message",
    [
        ("بوتين B-PER\nزار\n", "expected 'token label', got 1 fields"),
        ("بوتين B-PER extra\n", "got 3 fields"),
        ("بوتين PER\n", "malformed tag 'PER'"),
        ("بوتين B-PERS\n", "unknown entity label 'PERS'"),
    ],
)
def test_conll_problems(tmp_path, capsys, content, message):
    path = tmp_path / "x.conll"
    path.write_text(content, encoding="utf-8")
    code, lines = _validate(capsys, path)
    assert code == 1 and any(line.startswith(f"{path}:") and message in line for line in lines), lines


def test_conll_with_its_own_label_set_is_clean(tmp_path, capsys):
    path = tmp_path / "x.conll"
    path.write_text("كلاوس B-PERS\nكينكل I-PERS\n", encoding="utf-8")
    assert _validate(capsys, path, extra=["--entity-labels", "PERS,LOC,ORG,MISC"]) == (0, [])


def test_empty_and_non_utf8_files(tmp_path, capsys):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    latin = tmp_path / "latin.jsonl"
    latin.write_bytes('{"id": "x", "text": "caf\xe9"}\n'.encode("latin-1"))
    code, lines = _validate(capsys, empty, latin)
    assert code == 1
    assert lines == [f"{empty}:1: file is empty", f"{latin}:1: not UTF-8 (invalid byte at offset 24)"]


def test_missing_path(tmp_path, capsys):
    code, lines = _validate(capsys, tmp_path / "nope.jsonl")
    assert code == 1 and lines == [f"{tmp_path / 'nope.jsonl'}:0: no such file or directory"]


def test_stats_json_has_the_documented_keys(capsys, tiny_corpus):
    assert main(["stats", str(tiny_corpus)]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["articles"] == 7 and stats["entities"]["PER"] == 9
    assert set(stats) >= {"articles", "sentences", "words", "entities", "events", "no_event_sentences", "splits"}
    assert stats["splits"]["dev"]["articles"] == 2
    assert stats["events"]["TRANSACTION"] == 3 and stats["no_event_sentences"] == 5
