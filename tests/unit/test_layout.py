"""The core and the sources never import Qt: they run without a display."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PKG = Path(__file__).resolve().parents[2] / "clinic_inbox"


def _modules(sub: str) -> list[Path]:
    return sorted((PKG / sub).rglob("*.py"))


def test_no_pyside_import_in_core_or_sources():
    offenders = []
    for path in _modules("core") + _modules("sources") + _modules("shared"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [
                f"{path.relative_to(PKG)}: {n}"
                for n in names
                if n.split(".")[0] in ("PySide6", "PyQt6", "shiboken6")
            ]
    assert offenders == []


def test_importing_core_and_sources_loads_no_qt():
    mods = [
        "clinic_inbox."
        + str(p.relative_to(PKG).with_suffix("")).replace("/", ".").removesuffix(".__init__")
        for p in _modules("core") + _modules("sources") + _modules("shared")
    ]
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in mods)
        + "assert 'PySide6' not in sys.modules, 'Qt loaded'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
