"""Where the shipped resources (defaults, demo data, templates, icons) live: resources/
beside the package in a checkout, clinic_inbox/resources inside an installed wheel."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

_REPO_RESOURCES = Path(__file__).resolve().parents[2] / "resources"


@cache
def _root() -> Path:
    if (_REPO_RESOURCES / "clinic.toml").is_file():
        return _REPO_RESOURCES
    # an installed wheel: clinic_inbox/resources, a data folder without __init__.py
    # (importlib.resources would hand back a MultiplexedPath for it)
    return Path(str(resources.files("clinic_inbox"))) / "resources"


def resource_path(*parts: str) -> Path:
    return _root().joinpath(*parts)
