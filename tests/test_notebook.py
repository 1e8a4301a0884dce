"""The quick-start notebook runs headless, top to bottom, against a tiny trained model."""

import nbformat
from conftest import ROOT
from nbclient import NotebookClient


def test_notebook_quickstart_executes(tiny_run, monkeypatch):
    monkeypatch.setenv("ARABIC_NEWS_IE_MODEL", str(tiny_run))
    monkeypatch.setenv("ARABIC_NEWS_IE_ROOT", str(ROOT))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    notebook = nbformat.read(ROOT / "notebooks" / "quickstart.ipynb", as_version=4)
    NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(ROOT / "notebooks")}}
    ).execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    html = "".join(o.get("data", {}).get("text/html", "") for o in outputs)
    assert 'dir="rtl"' in html and "<table>" in html
    assert any("image/png" in o.get("data", {}) for o in outputs)
