"""The layer rules of docs/ARCHITECTURE.md, checked on the import statements of every module."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
QT = ("PySide6", "qasync", "pyqtgraph", "shiboken6")


def imported_modules(folder: str) -> list[tuple[str, str]]:
    found = []
    for path in (ROOT / folder).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                found += [(str(path.relative_to(ROOT)), a.name) for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.append((str(path.relative_to(ROOT)), node.module))
    return found


@pytest.mark.parametrize("folder", ["core", "sip", "earpiece/cli"])
def test_no_qt_outside_desktop(folder):
    bad = [(f, m) for f, m in imported_modules(folder) if m.split(".")[0] in QT]
    assert not bad


@pytest.mark.parametrize("folder", ["core", "desktop", "earpiece/cli"])
def test_pjsua2_only_in_sip(folder):
    assert not [(f, m) for f, m in imported_modules(folder) if m.split(".")[0] == "pjsua2"]


def test_core_imports_neither_sip_nor_desktop():
    bad = [(f, m) for f, m in imported_modules("core") if m.startswith(("earpiece.sip", "earpiece.desktop"))]
    assert not bad


def test_nothing_imports_the_generic_top_level_names():
    for folder in ("core", "sip", "desktop", "earpiece/cli"):
        bad = [(f, m) for f, m in imported_modules(folder) if m.split(".")[0] in ("core", "sip", "desktop")]
        assert not bad, bad
