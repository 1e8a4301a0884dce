"""import-annotations: a real Label Studio export (fixture), malformed exports, doccano's export forms."""

import copy
import json

import pytest
from conftest import DATA

from arabic_news_ie.cli import main
from arabic_news_ie.data.corpus import read_jsonl

FIXTURE = DATA / "label_studio" / "export-1.23.2.json"
# the annotations benchmarks/label_studio_round_trip.py made in Label Studio (what the annotator saw)
MADE = {
    "emoji": (
        [("حسن روحاني", "PER"), ("موسكو", "GPE"), ("فلاديمير بوتين", "PER"), ("الكرملين", "LOC")],
        [["MOVEMENT"], ["CONTACT"]],
    ),
    "crlf-persian": (
        [("محمد جواد ظریف", "PER"), ("طهران", "GPE"), ("الشرطة", "ORG"), ("کرمان", "GPE")],
        [[], ["JUSTICE"], []],
    ),
}


def _import(tmp_path, export, tool="label-studio"):
    out = tmp_path / "out.jsonl"
    code = main(["import-annotations", "--from", tool, str(export), "-o", str(out)])
    return code, ({a.id: a for a in read_jsonl(out).articles} if out.exists() else {})


def test_the_real_label_studio_export_imports_to_the_annotations_made(tmp_path, capsys):
    code, articles = _import(tmp_path, FIXTURE)
    assert code == 0
    tasks = {t["data"]["id"]: t for t in json.loads(FIXTURE.read_text(encoding="utf-8"))}
    for name, (entities, events) in MADE.items():
        article = articles[name]
        assert article.text == tasks[name]["data"]["text"]  # \r\n, emoji and Persian letters as stored
        assert [(article.text[e.start : e.end], e.label) for e in article.entities] == entities
        assert [list(s.events) for s in article.sentences] == events
    assert "\r\n" in articles["crlf-persian"].text and "🔴" in articles["emoji"].text
    accepted = tasks["CN-economy-92-20180429"]["annotations"][0]["result"]
    spans = sorted((r["value"]["start"], r["value"]["end"]) for r in accepted if r["from_name"] == "entities")
    assert sorted((e.start, e.end) for e in articles["CN-economy-92-20180429"].entities) == spans
    summary = capsys.readouterr().err.strip().splitlines()[-1]
    assert "imported 3 article(s)" in summary and "utf-16" in summary and "0 task(s) not imported" in summary


def _broken_export(tmp_path):
    """The fixture's emoji task once per problem (ids 101...), plus the untouched tasks."""
    tasks = json.loads(FIXTURE.read_text(encoding="utf-8"))
    good = tasks[0]

    def variant(task_id, edit):
        task = copy.deepcopy(good)
        task["id"], task["data"]["id"] = task_id, f"emoji-{task_id}"
        edit(task["annotations"][0]["result"], task)
        return task

    def off_text(result, _):
        result[0]["value"].update(start=900, end=905, text="غير موجود")

    def unknown_label(result, _):
        result[1]["value"]["labels"] = ["PERSON"]

    def overlap(result, _):
        result.append(copy.deepcopy(result[0]) | {"id": "x"})
        result[-1]["value"] = dict(result[0]["value"], labels=["ORG"])

    def no_text(result, _):
        del result[2]["value"]["text"]

    def several(result, task):  # an older annotation by someone else, then the fixture's: the latest is kept
        older = copy.deepcopy(task["annotations"][0]) | {"id": 999, "updated_at": "2001-01-01T00:00:00Z", "result": []}
        task["annotations"].append(older)

    def cancelled(_, task):
        task["annotations"][0]["was_cancelled"] = True

    edits = [off_text, unknown_label, overlap, no_text, several, cancelled]
    export = tmp_path / "broken.json"
    export.write_text(json.dumps([variant(101 + i, e) for i, e in enumerate(edits)] + tasks, ensure_ascii=False))
    return export


def test_each_problem_is_one_line_naming_its_task_and_the_rest_is_imported(tmp_path, capsys):
    code, articles = _import(tmp_path, _broken_export(tmp_path))
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1
    errors = {line.split(": task ")[1].split(":")[0]: line for line in err if ": task " in line}
    assert set(errors) == {"101", "102", "103", "104"}
    assert "'غير موجود' does not occur in the task's text" in errors["101"]
    assert "label 'PERSON' is not in the schema" in errors["102"]
    assert "overlap" in errors["103"]
    assert "has no text" in errors["104"]
    assert set(articles) == {"emoji-105", "emoji", "crlf-persian", "CN-economy-92-20180429"}  # nothing else lost
    assert len(articles["emoji-105"].entities) == 4  # the most recent of the two annotations
    summary = err[-1]
    assert "1 task(s) with several annotations: the most recent kept" in summary
    assert "1 task(s) without a submitted annotation skipped" in summary and "4 task(s) not imported" in summary


def test_an_export_that_is_not_json_is_one_line(tmp_path, capsys):
    export = tmp_path / "x.json"
    export.write_text("[{", encoding="utf-8")
    assert _import(tmp_path, export)[0] == 1
    assert capsys.readouterr().err.startswith(f"{export}:1: not valid JSON")


DOCCANO = DATA / "doccano"


def test_the_real_doccano_exports_import_to_the_annotations_made(tmp_path):
    code, articles = _import(tmp_path, DOCCANO / "export-1.8.4.jsonl", "doccano")
    assert code == 0
    records = {json.loads(line)["article_id"]: json.loads(line) for line in (DOCCANO / "export-1.8.4.jsonl").open()}
    for name, (entities, _) in MADE.items():
        article = articles[name]
        assert article.text == records[name]["text"]
        assert [(article.text[e.start : e.end], e.label) for e in article.entities] == entities
    accepted = articles["CN-economy-92-20180429"]
    assert [[e.start, e.end, e.label] for e in accepted.entities] == records["CN-economy-92-20180429"]["label"]
    code, sentences = _import(tmp_path, DOCCANO / "intent-slot-export-1.8.4.jsonl", "doccano")
    assert code == 0 and len(sentences) == 5
    for name, (entities, events) in MADE.items():
        got_entities = [
            (a.text[e.start : e.end], e.label)
            for key, a in sorted(sentences.items())
            if key.startswith(name)
            for e in a.entities
        ]
        assert got_entities == entities
        assert [list(sentences[f"{name}-{i}"].sentences[0].events) for i in range(len(events))] == events


def _doccano(tmp_path, *records):
    export = tmp_path / "doccano.jsonl"
    export.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return export


def test_doccano_sequence_labelling_and_intent_slot_forms(tmp_path):
    text = "زار بوتين طهران أمس."
    export = _doccano(
        tmp_path,
        {"id": 1, "text": text, "label": [[4, 9, "PER"], [10, 15, "GPE"]]},
        {
            "id": 2,
            "text": text,
            "entities": [{"id": 7, "start_offset": 4, "end_offset": 9, "label": "PER"}],
            "cats": ["MOVEMENT"],
        },
        {"id": 3, "text": "🙂 " + text, "label": [[7, 12, "PER"]]},  # UTF-16 offsets: the emoji counts 2
    )
    code, articles = _import(tmp_path, export, "doccano")
    assert code == 0
    assert [(e.start, e.end, e.label) for e in articles["1"].entities] == [(4, 9, "PER"), (10, 15, "GPE")]
    assert [s.events for s in articles["2"].sentences] == [("MOVEMENT",)]
    third = articles["3"]
    assert [third.text[e.start : e.end] for e in third.entities] == ["بوتين"]


@pytest.mark.parametrize(
    "record, message",
    [
        ({"id": 5, "text": "زار بوتين طهران.", "label": [[4, 9, "PERSON"]]}, "label 'PERSON' is not in the schema"),
        ({"id": 5, "text": "زار بوتين طهران.", "label": [[4, 90, "PER"]]}, "is off the text"),
        ({"id": 5, "text": "زار بوتين. ثم عاد.", "label": [], "cats": ["MOVEMENT"]}, "one example per sentence"),
        ({"id": 5, "text": "زار بوتين طهران.", "label": ["MOVEMENT"]}, "a document class, not a span"),
    ],
)
def test_doccano_problems_are_one_line_naming_the_line(tmp_path, capsys, record, message):
    good = {"id": 4, "text": "وصل ظريف.", "label": [[4, 8, "PER"]]}
    code, articles = _import(tmp_path, _doccano(tmp_path, good, record), "doccano")
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and set(articles) == {"4"}
    assert err[0].startswith(f"{tmp_path / 'doccano.jsonl'}:2: ") and message in err[0]
