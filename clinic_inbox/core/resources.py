"""Where the shipped resources (defaults, demo data, templates, icons) live."""

from __future__ import annotations

from pathlib import Path

_REPO_RESOURCES = Path(__file__).resolve().parents[2] / "resources"


def resource_path(*parts: str) -> Path:
    return _REPO_RESOURCES.joinpath(*parts)
