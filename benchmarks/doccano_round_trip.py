"""The annotation loop against a real doccano: predict.py --format doccano -> doccano (dataset upload, its own
import) -> spans corrected through its API -> export -> import-annotations, checking the imported entities
equal the annotations made.

    pip install doccano "marshmallow<4" "numpy<2"   # in a venv of its own: doccano 1.8.4 needs these pins
    python benchmarks/doccano_round_trip.py --model runs/default --doccano PATH/bin/doccano [--keep-export F]

Texts: label_studio_round_trip.py's plus a real article accepted as predicted; spans in characters (code points).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from label_studio_round_trip import ARTICLES, import_export, predicted  # noqa: E402

LABELS = ("PER", "ORG", "GPE", "LOC", "MISC")


class Doccano:
    """doccano's web server and task worker on a temporary SQLite database, used with an API token."""

    def __init__(self, executable: str, port: int):
        self.home = Path(tempfile.mkdtemp(prefix="doccano-"))
        self.url = f"http://127.0.0.1:{port}"
        self.env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{self.home}/db.sqlite3",
            "MEDIA_ROOT": str(self.home / "media"),
        }
        password = secrets.token_hex(8)
        subprocess.run([executable, "init"], env=self.env, check=True, capture_output=True)
        subprocess.run(
            [executable, "createuser", "--username", "admin", "--password", password],
            env=self.env,
            check=True,
            capture_output=True,
        )
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "env": self.env}
        self.processes = [
            subprocess.Popen([executable, "webserver", "--port", str(port)], **quiet),
            subprocess.Popen([executable, "task"], **quiet),
        ]
        self._wait()
        self.token = self.call("POST", "/v1/auth/login/", {"username": "admin", "password": password})["key"]

    def _wait(self, timeout: float = 240) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                urllib.request.urlopen(f"{self.url}/v1/health", timeout=5)
                return
            except urllib.error.HTTPError:
                return  # it answers
            except OSError:
                time.sleep(2)
        raise RuntimeError("doccano did not start")

    def call(
        self,
        method: str,
        path: str,
        body: object = None,
        raw: bytes | None = None,
        content_type: str = "application/json",
    ):
        data = raw if raw is not None else (json.dumps(body, ensure_ascii=False).encode() if body is not None else None)
        request = urllib.request.Request(f"{self.url}{path}", data=data, method=method)
        request.add_header("Content-Type", content_type)
        if getattr(self, "token", None):
            request.add_header("Authorization", f"Token {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                payload = response.read()
        except urllib.error.HTTPError as err:
            raise RuntimeError(f"{method} {path}: {err.code} {err.read()[:500].decode('utf-8', 'replace')}") from None
        try:
            return json.loads(payload or b"null")
        except ValueError:
            return payload

    def wait_task(self, task_id: str) -> dict:
        for _ in range(120):
            status = self.call("GET", f"/v1/tasks/status/{task_id}")
            if status.get("ready"):
                if status.get("error"):
                    raise RuntimeError(f"doccano task failed: {status['error']}")
                return status
            time.sleep(1)
        raise RuntimeError("doccano task did not finish")

    def upload(self, project: int, path: Path) -> None:
        boundary = uuid.uuid4().hex
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="filepond"; filename="{path.name}"\r\n'
                "Content-Type: application/octet-stream\r\n\r\n"
            ).encode()
            + path.read_bytes()
            + f"\r\n--{boundary}--\r\n".encode()
        )
        upload_id = self.call(
            "POST", "/v1/fp/process/", raw=body, content_type=f"multipart/form-data; boundary={boundary}"
        )
        upload_id = upload_id.decode() if isinstance(upload_id, bytes) else str(upload_id)
        options = {
            "format": "JSONL",
            "uploadIds": [upload_id],
            "task": "SequenceLabeling",
            "column_data": "text",
            "column_label": "label",
            "delimiter": "",
            "encoding": "utf_8",
        }
        self.wait_task(self.call("POST", f"/v1/projects/{project}/upload", options)["task_id"])

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
            process.wait(timeout=60)
        shutil.rmtree(self.home, ignore_errors=True)


def annotate(server: Doccano, project: int, types: dict[str, int]) -> dict[str, list]:
    """Replace the pre-filled spans of our hand-annotated texts with the annotations made; accept the rest."""
    listed = server.call("GET", f"/v1/projects/{project}/examples?limit=100")
    accepted = {}
    for example in listed["results"]:
        name = example["meta"].get("article_id")
        spans = server.call("GET", f"/v1/projects/{project}/examples/{example['id']}/spans")
        if name not in ARTICLES:
            accepted[name] = sorted((s["start_offset"], s["end_offset"]) for s in spans)
            continue
        for span in spans:
            server.call("DELETE", f"/v1/projects/{project}/examples/{example['id']}/spans/{span['id']}")
        text = example["text"]
        for surface, label in ARTICLES[name][1]:
            start = text.index(surface)
            body = {"label": types[label], "start_offset": start, "end_offset": start + len(surface)}
            server.call("POST", f"/v1/projects/{project}/examples/{example['id']}/spans", body)
    return accepted


EVENT_TYPES = ("LIFE", "MOVEMENT", "TRANSACTION", "BUSINESS", "CONFLICT", "CONTACT", "PERSONNEL", "JUSTICE")


def new_project(server: Doccano, kind: str, name: str) -> tuple[int, dict[str, int], dict[str, int]]:
    """A project of ``kind`` with our entity types (and, for intent-and-slot, our event types as categories)."""
    settings = {"random_order": False, "collaborative_annotation": True, "allow_overlapping": False}
    settings |= {"grapheme_mode": False, "use_relation": False, "tags": [], "guideline": ""}
    body = {"name": name, "description": name, "project_type": kind, "resourcetype": f"{kind}Project", **settings}
    project = server.call("POST", "/v1/projects", body)["id"]
    colour = {"background_color": "#209cee", "text_color": "#ffffff"}
    spans = {t: server.call("POST", f"/v1/projects/{project}/span-types", {"text": t, **colour})["id"] for t in LABELS}
    categories = {}
    if kind == "IntentDetectionAndSlotFilling":
        for t in EVENT_TYPES:
            categories[t] = server.call("POST", f"/v1/projects/{project}/category-types", {"text": t, **colour})["id"]
    return project, spans, categories


def sentence_examples(server: Doccano, project: int, spans: dict, categories: dict) -> dict[str, tuple]:
    """One example per sentence of our texts, annotated with its entities (slots) and event types (intents)."""
    from arabic_news_ie.text import sentences

    made = {}
    for name, (text, entities, events) in ARTICLES.items():
        for index, (start, end) in enumerate(sentences(text)):
            sentence, key = text[start:end], f"{name}-{index}"
            body = {"text": sentence, "meta": {"article_id": key}}
            example = server.call("POST", f"/v1/projects/{project}/examples", body)["id"]
            inside = [(surface, label) for surface, label in entities if surface in sentence]
            for surface, label in inside:
                at = sentence.index(surface)
                span = {"label": spans[label], "start_offset": at, "end_offset": at + len(surface)}
                server.call("POST", f"/v1/projects/{project}/examples/{example}/spans", span)
            for event in events.get(index, []):
                server.call(
                    "POST", f"/v1/projects/{project}/examples/{example}/categories", {"label": categories[event]}
                )
            made[key] = (sentence, inside, sorted(events.get(index, [])))
    return made


def export(server: Doccano, project: int) -> bytes:
    task = server.call("POST", f"/v1/projects/{project}/download", {"format": "JSONL", "exportApproved": False})
    server.wait_task(task["task_id"])
    archive = server.call("GET", f"/v1/projects/{project}/download?taskId={task['task_id']}")
    with zipfile.ZipFile(io.BytesIO(archive)) as zipped:
        return b"".join(zipped.read(n) for n in zipped.namelist() if n.endswith(".jsonl"))


def round_trip(args: argparse.Namespace) -> int:
    work = Path(tempfile.mkdtemp(prefix="doccano-round-trip-"))
    examples = predicted(args.model, work, Path(args.pool), "doccano")
    started = time.time()
    server = Doccano(args.doccano, args.port)
    print(f"doccano up in {time.time() - started:.0f} s")
    try:
        project, types, _ = new_project(server, "SequenceLabeling", "arabic_news_ie entities")
        server.upload(project, examples)
        accepted = annotate(server, project, types)
        labelled = export(server, project)
        intent, spans, categories = new_project(server, "IntentDetectionAndSlotFilling", "arabic_news_ie sentences")
        made = sentence_examples(server, intent, spans, categories)
        slots = export(server, intent)
    finally:
        server.stop()
    exported, sentence_export = work / "export.jsonl", work / "intent-slot.jsonl"
    exported.write_bytes(labelled)
    sentence_export.write_bytes(slots)
    if args.keep_export:
        shutil.copy(exported, args.keep_export)
        shutil.copy(sentence_export, Path(args.keep_export).with_name("intent-slot-" + Path(args.keep_export).name))
    return check(exported, accepted, work) | check_sentences(sentence_export, made, work)


def check_sentences(exported: Path, made: dict, work: Path) -> int:
    done, articles = import_export(exported, "doccano", work / "sentences.jsonl")
    same = 0
    for key, (sentence, entities, events) in made.items():
        article = articles.get(key)
        if article is None:
            continue
        got = (
            [(article.text[e.start : e.end], e.label) for e in article.entities],
            sorted(article.sentences[0].events),
        )
        same += got == (entities, events) and article.text == sentence
    print(f"intent-and-slot sentences: {same} of {len(made)} equal (entities and event types)")
    return 1 if same != len(made) or done.returncode else 0


def check(exported: Path, accepted: dict, work: Path) -> int:
    done, articles = import_export(exported, "doccano", work / "imported.jsonl")
    failures = 0
    for name, (text, entities, _) in ARTICLES.items():
        article = articles.get(name)
        got = [(article.text[e.start : e.end], e.label) for e in article.entities] if article else None
        same = article is not None and article.text == text and got == entities
        failures += not same
        print(f"{name}: {'equal' if same else 'DIFFERENT'} ({got})")
    for name, spans in accepted.items():
        kept = sorted((e.start, e.end) for e in articles[name].entities) if name in articles else None
        print(f"accepted prediction {name}: {'equal' if kept == spans else 'DIFFERENT'} ({len(spans)} entities)")
        failures += kept != spans
    return 1 if failures or done.returncode else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="runs/default")
    parser.add_argument("--pool", default="data/external/ant-news/articles.jsonl")
    parser.add_argument("--doccano", default=shutil.which("doccano") or "doccano")
    parser.add_argument("--port", type=int, default=8094)
    parser.add_argument("--keep-export", default=None)
    return round_trip(parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
