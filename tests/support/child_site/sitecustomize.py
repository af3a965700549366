"""Run at the start of every Python process the tests start (the root conftest puts
this folder on PYTHONPATH): clinic_inbox's key-stretching costs are lowered there as
in the pytest process. Why, and what still checks the real costs: support/fast_kdf.py.
Nothing is imported early: the costs are lowered right after each module loads."""

from __future__ import annotations

import importlib.util
import sys
from importlib.abc import MetaPathFinder
from pathlib import Path

_FAST_KDF = Path(__file__).resolve().parent.parent / "fast_kdf.py"
_spec = importlib.util.spec_from_file_location("_ci_fast_kdf", _FAST_KDF)
assert _spec is not None and _spec.loader is not None
fast_kdf = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fast_kdf)


class _LowerAfterImport(MetaPathFinder):
    def find_spec(self, name, path, target=None):  # noqa: ANN001, ANN201
        if name not in fast_kdf.MODULES:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None and spec.loader is not None:
                break
        else:
            return None
        run = spec.loader.exec_module

        def exec_module(module) -> None:  # noqa: ANN001
            run(module)
            fast_kdf.lower(module)

        spec.loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


sys.meta_path.insert(0, _LowerAfterImport())
