"""Packages for the wheel: clinic_inbox, and resources/ inside it as
clinic_inbox.resources (read with importlib.resources when not in a checkout).
Everything else is in pyproject.toml."""

from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).resolve().parent
RESOURCE_DIRS = sorted(p.relative_to(HERE) for p in (HERE / "resources").rglob("*") if p.is_dir())
resource_packages = ["clinic_inbox.resources"] + [
    "clinic_inbox.resources." + ".".join(d.parts[1:]) for d in RESOURCE_DIRS
]

setup(
    packages=find_packages(include=["clinic_inbox", "clinic_inbox.*"])
    + resource_packages
    + ["clinic_inbox.forms"],
    package_dir={
        "clinic_inbox.forms": "forms",
        "clinic_inbox.resources": "resources",
        **{"clinic_inbox.resources." + ".".join(d.parts[1:]): str(d) for d in RESOURCE_DIRS},
    },
    package_data={
        "clinic_inbox": ["py.typed"],
        "clinic_inbox.forms": ["*.ui"],
        **{p: ["*"] for p in resource_packages},
    },
)
