"""The core and the sources never import Qt: they run without a display."""

from __future__ import annotations

import ast
import re
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


def _imports(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
            names += [f"{node.module}.{a.name}" for a in node.names]  # "from core import store"
    return names


def test_the_ui_reads_and_writes_only_through_core_functions_never_the_store():
    offenders = [
        f"{path.relative_to(PKG)}: {name}"
        for path in _modules("ui")
        for name in _imports(path)
        if name == "clinic_inbox.core.store" or name.startswith("clinic_inbox.core.store.")
    ]
    assert offenders == []


def test_the_cli_commands_go_through_the_services_never_the_store():
    """Every `clinic-inbox` command asks the services (which check access and audit)."""
    offenders = [
        name
        for name in _imports(PKG / "cli.py")
        if name == "clinic_inbox.core.store" or name.startswith("clinic_inbox.core.store.")
    ]
    assert offenders == []


def test_the_layer_test_would_see_a_store_import(tmp_path):
    """The check above must be able to fail: both import forms are caught."""
    sample = tmp_path / "x.py"
    sample.write_text(
        "from clinic_inbox.core.store import queries as q\nfrom clinic_inbox.core import store\n"
    )
    found = [n for n in _imports(sample) if n.startswith("clinic_inbox.core.store")]
    assert sorted(found) == [
        "clinic_inbox.core.store",  # from the first line
        "clinic_inbox.core.store",  # from the second
        "clinic_inbox.core.store.queries",
    ]


CIPHER_WORDS = ("PRAGMA key", "sqlcipher_export", "cipher_integrity_check", "sqlcipher3.connect")


def _code_mentions(path: Path) -> list[str]:
    """The SQLCipher operations a module's code (not its comments or docstrings) names."""
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            found += [w for w in CIPHER_WORDS if w in node.value and "\n" not in node.value]
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            dotted = f"{node.value.id}.{node.attr}"
            found += [w for w in CIPHER_WORDS if w == dotted]
    return found


def test_sqlcipher_is_spoken_to_in_one_module_only():
    """Keys, encrypted copies and page checks: core/store/cipher.py, used by the store's
    connection, backups and the key change (no second way to give a key)."""
    offenders = [
        f"{path.relative_to(PKG)}: {word}"
        for path in sorted(PKG.rglob("*.py"))
        if path != PKG / "core" / "store" / "cipher.py"
        for word in _code_mentions(path)
    ]
    assert offenders == []
    assert _code_mentions(PKG / "core" / "store" / "cipher.py"), "the check sees the words"


_SQL = re.compile(
    r"^\s*(SELECT\b.*\bFROM\b|INSERT\s+INTO\b|UPDATE\s+\w+\s+SET\b|DELETE\s+FROM\b)", re.S
)


def _sql_in(path: Path, root: Path = PKG) -> list[str]:
    """SQL text and store calls in a module's code (`.execute(`, `.one(` on anything)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and _SQL.match(node.value)
        ):
            found.append(f"{path.relative_to(root)}:{node.lineno}: SQL")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("execute", "executemany")
        ):
            found.append(f"{path.relative_to(root)}:{node.lineno}: .{node.func.attr}(")
    return found


def test_the_network_adapters_and_the_ui_write_no_sql(tmp_path):
    """Their reads and writes are store queries in core/store (the portal's patient
    matching and the Filed-folder lookup were the last ones, issue 19)."""
    offenders = [
        hit for sub in ("sources", "ui") for path in _modules(sub) for hit in _sql_in(path)
    ]
    assert offenders == []
    sample = tmp_path / "x.py"  # and the check sees SQL when it is there
    sample.write_text('store.execute("SELECT id FROM patients WHERE portal_id = ?", (x,))\n')
    assert len(_sql_in(sample, tmp_path)) == 2


# Modules of core/ outside core/store that may still speak SQL, each with its reason.
# Empty since issue 19: accounts, account secrets, the audit chain, the dashboard,
# backups, the key change and the retention PRAGMAs moved their SQL into core/store.
CORE_SQL_ALLOWED: dict[str, str] = {}


def test_core_outside_the_store_writes_no_sql():
    """The rules (access, audit, triage...) call store queries by name; SQL text and
    `.execute(` live in core/store only."""
    store_dir = PKG / "core" / "store"
    offenders = [
        hit
        for path in _modules("core")
        if store_dir not in path.parents and str(path.relative_to(PKG)) not in CORE_SQL_ALLOWED
        for hit in _sql_in(path)
    ]
    assert offenders == []
    assert _modules("core/store") and all(store_dir in p.parents for p in _modules("core/store"))


def test_the_core_sql_check_sees_a_pragma_and_a_query(tmp_path):
    """A PRAGMA through `.execute(` and SQL text passed to `store.one` are both found."""
    sample = tmp_path / "x.py"
    sample.write_text(
        'store.execute("PRAGMA secure_delete = ON")\nn = store.one("SELECT count(*) FROM audit")\n'
    )
    assert [h.split(": ")[1] for h in _sql_in(sample, tmp_path)] == [".execute(", "SQL"]
