"""The house limits on the code's shape (STYLE.md): no module over 300 lines, no function over 50."""

import ast

from conftest import ROOT

PACKAGE = ROOT / "src" / "arabic_news_ie"


def test_no_module_over_300_lines_and_no_function_over_50():
    too_long = []
    for path in sorted(PACKAGE.rglob("*.py")) + sorted((ROOT / "benchmarks").glob("*.py")):
        source = path.read_text(encoding="utf-8")
        if len(source.splitlines()) > 300:
            too_long.append(f"{path.name}: {len(source.splitlines())} lines")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno - node.lineno >= 50:
                too_long.append(f"{path.name}:{node.lineno} {node.name}: {node.end_lineno - node.lineno + 1} lines")
    assert not too_long, too_long


def test_the_window_merge_and_decoding_chain_lives_in_one_module():
    """encode -> logits -> merge -> decode is written once (predictor.py); other modules call it."""
    callers = {
        path.name
        for path in PACKAGE.rglob("*.py")
        if "merge_token_probs(" in path.read_text(encoding="utf-8")
        or "merge_class_probs(" in path.read_text(encoding="utf-8")
    }
    assert callers == {"predictor.py"}
