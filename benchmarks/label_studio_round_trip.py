"""The annotation loop against a real Label Studio: predict -> Label Studio -> annotations saved through its
API -> export -> import-annotations -> train.py, checking that the imported articles equal the annotations.

    pip install -e ".[label-studio]"    # or in a venv of its own: --label-studio names its executable
    python benchmarks/label_studio_round_trip.py --model runs/default [--label-studio PATH] [--keep-export F]

The annotations are sent as Label Studio's web interface sends them: offsets counted in UTF-16 code units
(an emoji counts 2) and ``\\r\\n`` counted as one character, each span with the text the annotator saw. The
last article is the model's prediction accepted unchanged. ``--keep-export`` saves the export that Label
Studio produced (tests/data/label_studio/ holds one as the importer's fixture).
"""

from __future__ import annotations

import argparse
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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from arabic_news_ie.data.corpus import read_jsonl  # noqa: E402
from arabic_news_ie.text import sentences  # noqa: E402

# hand-made annotations (code points): (text, [(surface, label), ...], {sentence index: event types})
ARTICLES = {
    "emoji": (
        "🔴 عاجل: وصل الرئيس الإيراني حسن روحاني إلى موسكو أمس 🇷🇺.\nوالتقى فلاديمير بوتين في الكرملين 🤝.",
        [("حسن روحاني", "PER"), ("موسكو", "GPE"), ("فلاديمير بوتين", "PER"), ("الكرملين", "LOC")],
        {0: ["MOVEMENT"], 1: ["CONTACT"]},
    ),
    "crlf-persian": (
        "قال وزير الخارجية الإيراني محمد جواد ظریف إن «طهران لن تتراجع».\r\n"
        "واعتقلت الشرطة ثلاثة أشخاص في کرمان.\r\nولم یصدر تعليق عن السفارة.",
        [("محمد جواد ظریف", "PER"), ("طهران", "GPE"), ("الشرطة", "ORG"), ("کرمان", "GPE")],
        {1: ["JUSTICE"]},
    ),
}


def ui_offset(text: str, index: int) -> int:
    """The offset Label Studio's interface reports for code point ``index``: UTF-16 units, CRLF as one."""
    before = text[:index]
    return len(before.encode("utf-16-le")) // 2 - before.count("\r\n")


def region(text: str, start: int, end: int, control: str, labels: list[str], n: int) -> dict:
    value = {"start": ui_offset(text, start), "end": ui_offset(text, end), "text": text[start:end], "labels": labels}
    return {"id": f"r{n}", "from_name": control, "to_name": "text", "type": "labels", "value": value}


def annotation(text: str, entities: list, events: dict) -> list[dict]:
    result = []
    for surface, label in entities:
        start = text.index(surface)
        result.append(region(text, start, start + len(surface), "entities", [label], len(result)))
    spans = sentences(text)
    for index, types in events.items():
        result.append(region(text, *spans[index], "events", types, len(result)))
    return result


class Server:
    """A Label Studio server in a temporary data directory, its API used with the user's token."""

    def __init__(self, executable: str, port: int):
        self.data = Path(tempfile.mkdtemp(prefix="label-studio-"))
        self.token = secrets.token_hex(20)
        self.url = f"http://localhost:{port}"
        self.env = {**os.environ, "LABEL_STUDIO_BASE_DATA_DIR": str(self.data)}
        user = ["--username", "annotator@example.com", "--password", secrets.token_hex(8), "--user-token", self.token]
        self.process = subprocess.Popen(  # the legacy "Token" authentication is off in 1.23 unless asked for
            [executable, "start", "--no-browser", "--port", str(port), *user, "--enable-legacy-api-token"],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self._wait()

    def _wait(self, timeout: float = 240) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=5) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(2)
        raise RuntimeError("Label Studio did not start")

    def api(self, method: str, path: str, body: object = None) -> object:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8") if body is not None else None
        request = urllib.request.Request(f"{self.url}{path}", data=data, method=method)
        request.add_header("Content-Type", "application/json")
        request.add_header("Authorization", f"Token {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as err:
            raise RuntimeError(f"{method} {path}: {err.code} {err.read()[:600].decode('utf-8', 'replace')}") from None

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=60)
        shutil.rmtree(self.data, ignore_errors=True)


def predicted(model: str, work: Path, pool: Path, output_format: str) -> Path:
    """Our articles plus one real article from the pool, through ``predict.py --format output_format``."""
    rows = [{"id": name, "text": text} for name, (text, _, _) in ARTICLES.items()]
    first = json.loads(pool.read_text(encoding="utf-8").splitlines()[0])
    rows.append({"id": first["id"], "text": first["text"]})
    source, out = work / "articles.jsonl", work / f"{output_format}.jsonl"
    source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    options = ["--model", model, "--input", str(source), "--output", str(out), "--format", output_format]
    subprocess.run([sys.executable, "predict.py", *options], cwd=ROOT, check=True, capture_output=True)
    return out


def predicted_tasks(model: str, work: Path, pool: Path) -> list[dict]:
    out = predicted(model, work, pool, "label-studio")
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def round_trip(args: argparse.Namespace) -> int:
    work = Path(tempfile.mkdtemp(prefix="ls-round-trip-"))
    tasks = predicted_tasks(args.model, work, Path(args.pool))
    started = time.time()
    server = Server(args.label_studio, args.port)
    print(f"Label Studio up in {time.time() - started:.0f} s")
    try:
        config = (ROOT / "configs" / "label-studio.xml").read_text(encoding="utf-8")
        project = server.api("POST", "/api/projects", {"title": "arabic_news_ie round trip", "label_config": config})
        server.api("POST", f"/api/projects/{project['id']}/import", tasks)
        listed = server.api("GET", f"/api/tasks?project={project['id']}&page_size=100")
        stored = listed["tasks"] if isinstance(listed, dict) else listed
        for task in stored:
            name, text = task["data"]["id"], task["data"]["text"]
            if name in ARTICLES:
                result = annotation(text, *ARTICLES[name][1:])
            else:  # the model's prediction accepted as it is
                result = next(t for t in tasks if t["data"]["id"] == name)["predictions"][0]["result"]
            server.api("POST", f"/api/tasks/{task['id']}/annotations/", {"result": result, "was_cancelled": False})
        export = server.api("GET", f"/api/projects/{project['id']}/export?exportType=JSON&download_all_tasks=true")
    finally:
        server.stop()
    exported = work / "export.json"
    exported.write_text(json.dumps(export, ensure_ascii=False, indent=1), encoding="utf-8")
    if args.keep_export:
        shutil.copy(exported, args.keep_export)
    return check(exported, tasks, work)


def import_export(exported: Path, tool: str, imported: Path) -> tuple[subprocess.CompletedProcess, dict]:
    """``import-annotations`` run as users run it; its summary printed, the articles it wrote by id."""
    options = ["import-annotations", "--from", tool, str(exported), "-o", str(imported)]
    done = subprocess.run([sys.executable, "-m", "arabic_news_ie", *options], cwd=ROOT, capture_output=True, text=True)
    print(done.stderr.strip())
    return done, ({a.id: a for a in read_jsonl(imported).articles} if imported.exists() else {})


def check(exported: Path, tasks: list[dict], work: Path) -> int:
    imported = work / "imported.jsonl"
    done, articles = import_export(exported, "label-studio", imported)
    failures = 0
    for name, (text, entities, events) in ARTICLES.items():
        article = articles[name]
        got = [(article.text[e.start : e.end], e.label) for e in article.entities]
        spans = sentences(text)
        want_events = {spans[i]: sorted(t) for i, t in events.items()}
        got_events = {(s.start, s.end): sorted(s.events) for s in article.sentences if s.events}
        same = article.text == text and got == entities and got_events == want_events
        failures += not same
        print(
            f"{name}: {'equal' if same else 'DIFFERENT'} (text, {len(got)} entities, {len(got_events)} sentence events)"
        )
    accepted = next(t for t in tasks if t["data"]["id"] not in ARTICLES)
    predicted = sorted(
        (r["value"]["start"], r["value"]["end"])
        for r in accepted["predictions"][0]["result"]
        if r["from_name"] == "entities"
    )
    kept = sorted((e.start, e.end) for e in articles[accepted["data"]["id"]].entities)
    print(f"accepted prediction: {'equal' if predicted == kept else 'DIFFERENT'} ({len(kept)} entities)")
    failures += predicted != kept
    config = ["--set", f"data.train={imported}", "--set", "data.dev_fraction=0.34", "--set", "training.epochs=1"]
    trained = subprocess.run(
        [sys.executable, "train.py", "--output-dir", str(work / "run"), *config],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    print(f"train.py on the import: exit {trained.returncode}")
    return 1 if failures or done.returncode or trained.returncode else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="runs/default")
    parser.add_argument(
        "--pool", default="data/external/ant-news/articles.jsonl", help="a real article to accept as predicted"
    )
    parser.add_argument("--label-studio", default=shutil.which("label-studio") or "label-studio")
    parser.add_argument("--port", type=int, default=8093)
    parser.add_argument("--keep-export", default=None)
    return round_trip(parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
