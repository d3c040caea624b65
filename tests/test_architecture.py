"""The package's shape: data flows one way, lazy imports have a reason, --help stays light."""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "leaflet"


def contracts() -> list[dict]:
    data = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    return data["tool"]["importlinter"]["contracts"]


def test_import_contracts_hold(capsys):
    # import-linter's own runner, on the contracts in pyproject.toml (no cache: a stale one
    # could hide a new import).
    import logging

    from importlinter.cli import lint_imports

    # Its logging set-up (dictConfig) disables every logger that exists: the loggers of
    # this test process (leaflet.engine's warnings, WeasyPrint's) are switched back on.
    loggers = [logger for logger in logging.Logger.manager.loggerDict.values()
               if isinstance(logger, logging.Logger) and not logger.disabled]
    try:
        code = lint_imports(config_filename=str(REPO / "pyproject.toml"), no_cache=True)
    finally:
        for logger in loggers:
            logger.disabled = False
    assert code == 0, capsys.readouterr().out


def test_every_module_has_a_place_in_the_layers():
    """A new module must be placed in the pipeline; unplaced modules escape the contract."""
    (layers,) = [c for c in contracts() if c["type"] == "layers"]
    placed = {name.strip() for layer in layers["layers"] for name in layer.split("|")}
    modules = {f"leaflet.{p.stem}" for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    assert modules - placed == set(), "add these modules to a layer in pyproject.toml"
    assert placed - modules == set(), "these layers name modules that no longer exist"


def _function_imports(path: Path):
    """(line, first line of its block) of every import inside a function body."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        previous = None
        for statement in node.body:
            if isinstance(statement, (ast.Import, ast.ImportFrom)):
                yield statement.lineno, previous or statement.lineno
                previous = previous or statement.lineno
            else:
                previous = None


def test_imports_inside_functions_say_why():
    """Imports inside functions are for start-up cost only, and each block says so."""
    unexplained = []
    for path in sorted(PACKAGE.glob("*.py")):
        lines = path.read_text(encoding="utf-8").split("\n")
        for line, block_start in _function_imports(path):
            around = [lines[block_start - 2], lines[block_start - 1], lines[line - 1]]
            if not any("#" in text for text in around):
                unexplained.append(f"{path.name}:{line}: {lines[line - 1].strip()}")
    assert unexplained == []


@pytest.mark.parametrize("module", ["leaflet.cli", "leaflet.check", "leaflet.config"])
def test_light_modules_load_no_engine(module):
    """`leaflet --help`, `list` and `check` must not pay for WeasyPrint, pypdf or Pillow."""
    heavy = ("weasyprint", "pypdf", "PIL", "pypdfium2", "fontTools")
    code = (f"import sys, {module}; "
            f"print(sorted(m for m in {heavy!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=REPO).stdout.strip()
    assert out == "[]"
