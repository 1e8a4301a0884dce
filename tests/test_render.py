"""The RTL HTML renderer: structure, and what a real browser (headless Chromium) shows."""

import shutil
import subprocess

import numpy as np
import pytest

from arabic_news_ie import Entity, Result, Sentence
from arabic_news_ie.render import COLORS, render_page

TEXT = "زار بوتين طهران أمس.\nلم تشترك بعد"


def _result() -> Result:
    entities = (Entity("بوتين", "PER", 4, 9, 0.9), Entity("طهران", "GPE", 10, 15, 0.8))
    sentences = (Sentence(TEXT[:20], 0, 20, (("MOVEMENT", 0.8),)), Sentence(TEXT[21:], 21, len(TEXT), skipped=True))
    assert all(TEXT[e.start : e.end] == e.text for e in entities)
    return Result(TEXT, entities, sentences, (("MOVEMENT", 0.8),))


def test_page_is_self_contained_rtl_and_escapes_text():
    page = render_page([Result("<b>&</b> زار", (), (Sentence("<b>&</b> زار", 0, 11),))])
    assert page.startswith("<!DOCTYPE html>") and '<html lang="ar" dir="rtl">' in page
    assert "&lt;b&gt;&amp;&lt;/b&gt;" in page and "<b>" not in page
    assert "http" not in page and "<script" not in page and "<link" not in page


def test_entities_are_marked_in_text_order_with_type_colours():
    page = render_page([_result()])
    body = page.split("<article", 1)[1]
    assert body.index('data-label="PER"') < body.index('data-label="GPE"')
    assert COLORS["PER"] in body and COLORS["GPE"] in body
    assert 'class="sent skipped"' in body and ">MOVEMENT<" in body


def _hex(color: str) -> np.ndarray:
    return np.array([int(color[i : i + 2], 16) for i in (1, 3, 5)], dtype=float)


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium is not installed (.ci/run installs it)")
def test_browser_shows_highlighted_entities_right_to_left(tmp_path):
    import matplotlib.image

    page = tmp_path / "page.html"
    page.write_text(render_page([_result()]), encoding="utf-8")
    shot = tmp_path / "shot.png"
    subprocess.run(
        [
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--screenshot={shot}",
            "--window-size=900,400",
            page.as_uri(),
        ],
        capture_output=True,
        timeout=120,
        check=True,
    )
    pixels = matplotlib.image.imread(str(shot))[..., :3] * 255  # (height, width, rgb)
    positions = {}
    for label in ("PER", "GPE"):
        match = np.all(np.abs(pixels - _hex(COLORS[label])) < 12, axis=-1)
        assert match.sum() > 200, f"{label} highlight not visible"
        ys, xs = np.nonzero(match)
        positions[label] = (ys.mean(), xs.mean())
    per, gpe = positions["PER"], positions["GPE"]
    assert abs(per[0] - gpe[0]) < 20  # the same line
    assert per[1] > gpe[1]  # right to left: the earlier entity is further right
