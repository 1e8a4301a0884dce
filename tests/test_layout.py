"""The package's layout shows its architecture: imports run only down the stages, never up."""

import ast

from conftest import ROOT

PACKAGE = ROOT / "src" / "arabic_news_ie"
# base modules (config, text, metrics, results) < data < models < inference < training < the CLI
STAGES = {"": 0, "data": 1, "models": 2, "inference": 3, "training": 4}
ENTRY = {"cli", "commands", "__init__", "__main__"}  # the top: may import anything


def _stage(module: str) -> int:
    parts = module.split(".")
    if len(parts) == 1:
        return 5 if parts[0] in ENTRY else 0
    return STAGES[parts[0]]


def _imports(path, own: tuple[str, ...] | None = None) -> set[str]:
    """The package modules ``path`` imports (relative or absolute, at module level or inside functions);
    ``own``: the module's parts in the package (default: from its path)."""
    own = own or path.relative_to(PACKAGE).with_suffix("").parts
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(own[: len(own) - node.level])
                target = base + (node.module.split(".") if node.module else [])
                names = [target + [a.name] for a in node.names] if not node.module else [target]
            elif node.module and node.module.startswith("arabic_news_ie."):
                names = [node.module.split(".")[1:]]
            else:
                continue
            found |= {".".join(n) for n in names}
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".", 1)[1] for a in node.names if a.name.startswith("arabic_news_ie.")}
    return {m for m in found if (PACKAGE / (m.replace(".", "/") + ".py")).exists()}


def test_no_module_imports_one_from_a_later_stage():
    upward = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = ".".join(path.relative_to(PACKAGE).with_suffix("").parts).removesuffix(".__init__")
        for imported in _imports(path):
            if _stage(imported) > _stage(module):
                upward.append(f"{module} imports {imported}")
    assert not upward, upward


def test_every_module_belongs_to_a_stage():
    assert {p.parent.name for p in PACKAGE.rglob("*.py") if p.parent != PACKAGE} == set(STAGES) - {""}


def test_the_stage_check_sees_an_upward_import(tmp_path):
    """The check can fail: an inference module importing training, even inside a function, is found."""
    probe = tmp_path / "predictor.py"
    probe.write_text("def f():\n    from ..training.run import train\n", encoding="utf-8")
    assert _imports(probe, ("inference", "predictor")) == {"training.run"}
    assert _stage("training.run") > _stage("inference.predictor")
