"""Right-to-left HTML of results: entities highlighted by type, event types per sentence.

The same renderer serves ``predict.py --html`` and the notebook (``Result._repr_html_``-style use).
"""

from __future__ import annotations

import html

COLORS = {
    "PER": "#aa9cfc",
    "ORG": "#7aecec",
    "GPE": "#feca74",
    "LOC": "#ff9561",
    "MISC": "#bfe1d9",
}
_FALLBACK = ["#e4e7d2", "#c887fb", "#9cc9cc", "#ffeb80", "#ff8197", "#f0d0ff"]

STYLE = """
body{font-family:'Noto Naskh Arabic','Amiri','Segoe UI',Tahoma,sans-serif;line-height:2.2;margin:2em;max-width:60em}
.legend span.ent{margin-inline-end:.6em}
mark.ent{padding:.15em .35em;border-radius:.35em;box-decoration-break:clone}
mark.ent .lbl{font-size:.6em;font-weight:bold;margin-inline-start:.3em;font-family:sans-serif;vertical-align:middle}
.sent{display:inline}
.sent.skipped{color:#999;text-decoration:line-through}
.ev{font-size:.65em;font-family:sans-serif;background:#333;color:#fff;border-radius:.3em;padding:.05em .4em;margin:0 .2em;vertical-align:middle}
article{border-bottom:1px solid #ddd;padding-bottom:1em;margin-bottom:1em}
h2{font-size:1em;color:#555}
"""


def color(label: str) -> str:
    return COLORS.get(label, _FALLBACK[sum(map(ord, label)) % len(_FALLBACK)])


def render_article(result, title: str | None = None) -> str:
    """One ``<article>`` with highlighted entities and event labels after each sentence."""
    text = result.text
    parts: list[str] = []
    if title:
        parts.append(f"<h2>{html.escape(title)}</h2>")
    entities = sorted(result.entities, key=lambda e: e.start)
    cursor = 0
    for sentence in result.sentences:
        parts.append(_plain(text[cursor : sentence.start]))
        parts.append(f'<span class="sent{" skipped" if sentence.skipped else ""}">')
        parts.append(_with_entities(text, sentence.start, sentence.end, entities))
        parts.append("</span>")
        parts.extend(f'<span class="ev" title="{p:.2f}">{html.escape(label)}</span>' for label, p in sentence.events)
        cursor = sentence.end
    parts.append(_plain(text[cursor:]))
    events = "".join(f'<span class="ev">{html.escape(l)} {s:.2f}</span>' for l, s in result.events)
    summary = f"<p>أحداث المقال: {events}</p>" if events else ""
    return f'<article dir="rtl">{"".join(parts)}{summary}</article>'


def _with_entities(text: str, start: int, end: int, entities) -> str:
    out, cursor = [], start
    for entity in entities:
        if entity.start < start or entity.end > end:
            continue
        out.append(_plain(text[cursor : entity.start]))
        out.append(
            f'<mark class="ent" data-label="{entity.label}" style="background:{color(entity.label)}" '
            f'title="{entity.label} {entity.score:.2f}">{html.escape(text[entity.start : entity.end])}'
            f'<span class="lbl">{entity.label}</span></mark>'
        )
        cursor = entity.end
    out.append(_plain(text[cursor:end]))
    return "".join(out)


def _plain(segment: str) -> str:
    return html.escape(segment).replace("\n", "<br>\n")


def legend(labels: list[str]) -> str:
    items = "".join(f'<mark class="ent" style="background:{color(l)}">{l}</mark> ' for l in labels)
    return f'<div class="legend" dir="ltr">{items}</div>'


def render_page(results, titles: list[str | None] | None = None, labels: list[str] | None = None) -> str:
    """A self-contained page (inline CSS, no network), ``dir="rtl"`` and ``lang="ar"``."""
    titles = titles or [None] * len(results)
    labels = labels or sorted({e.label for r in results for e in r.entities}) or list(COLORS)
    body = "\n".join(render_article(r, t) for r, t in zip(results, titles))
    return (
        '<!DOCTYPE html>\n<html lang="ar" dir="rtl"><head><meta charset="utf-8">'
        f"<title>arabic_news_ie</title><style>{STYLE}</style></head>"
        f"<body>{legend(labels)}\n{body}</body></html>\n"
    )


def entity_table(result) -> str:
    """An HTML table of a result's entities (text, label, offsets, score)."""
    rows = "".join(
        f'<tr><td dir="rtl">{html.escape(e.text)}</td><td><mark class="ent" style="background:{color(e.label)}">{e.label}</mark></td>'
        f"<td>{e.start}</td><td>{e.end}</td><td>{e.score:.2f}</td></tr>"
        for e in result.entities
    )
    return f"<table><tr><th>text</th><th>label</th><th>start</th><th>end</th><th>score</th></tr>{rows}</table>"


def sentence_table(result) -> str:
    """An HTML table of each sentence and its event types."""
    rows = "".join(
        f'<tr><td dir="rtl">{html.escape(result.text[s.start : s.end][:120])}</td>'
        f"<td>{'skipped' if s.skipped else ', '.join(f'{k} {v:.2f}' for k, v in s.events)}</td></tr>"
        for s in result.sentences
    )
    return f"<table><tr><th>sentence</th><th>event types</th></tr>{rows}</table>"
