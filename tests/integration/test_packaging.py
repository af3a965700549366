"""Installs like a desktop program: the desktop entry and AppStream file validate, the
icon exists at the sizes desktops ask for, and the wheel, installed into a fresh
environment, runs the demo from a folder far from the checkout."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGING = REPO / "packaging"


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: run packaging/system-deps.sh test as root")
    return found


def test_the_desktop_entry_validates():
    done = subprocess.run(
        [_tool("desktop-file-validate"), str(PACKAGING / "clinic-inbox.desktop")],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "error" not in done.stdout.lower()


def test_the_appstream_metainfo_validates():
    done = subprocess.run(
        [
            _tool("appstreamcli"),
            "validate",
            "--no-net",
            str(PACKAGING / "clinic-inbox.metainfo.xml"),
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_icon_named_by_the_desktop_entry_exists_in_svg_and_png_sizes():
    from PySide6.QtGui import QImage

    entry = (PACKAGING / "clinic-inbox.desktop").read_text()
    assert "Icon=clinic-inbox\n" in entry
    icons = REPO / "resources" / "icons"
    assert (icons / "clinic-inbox.svg").read_text().lstrip().startswith("<?xml")
    for size in (16, 32, 48, 64, 128, 256, 512):
        image = QImage(str(icons / f"clinic-inbox-{size}.png"))
        assert (image.width(), image.height()) == (size, size)


@pytest.mark.slow(seconds=20)
def test_the_wheel_in_a_fresh_environment_runs_the_demo_outside_the_checkout(tmp_path):
    wheels = tmp_path / "wheels"
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(REPO)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = wheels.glob("clinic_inbox-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for needed in (
        "clinic_inbox/resources/clinic.toml",
        "clinic_inbox/resources/demo/people.toml",
        "clinic_inbox/resources/reply_templates/fr/safety.txt",
        "clinic_inbox/resources/icons/clinic-inbox.svg",
        "clinic_inbox/forms/login.ui",
        "clinic_inbox/forms/settings_backups.ui",
        "clinic_inbox/forms/admin_staff.ui",
    ):
        assert needed in names
    # nothing of the checkout may leak in (PYTHONPATH points at it while testing)
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("CLINIC_INBOX", "PYTHONPATH"))
    }
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120, env=clean)
    py = venv / "bin" / "python"
    # the package alone; its dependencies come from the test environment's site-packages
    # (downloading PySide6 again is not this test's point), put after the fresh venv's
    done = subprocess.run(
        [str(py), "-m", "pip", "install", "-q", "--no-deps", str(wheel)],
        capture_output=True,
        text=True,
        timeout=300,
        env=clean,
    )
    assert done.returncode == 0, done.stderr
    elsewhere = tmp_path / "somewhere" / "else"
    elsewhere.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLINIC_INBOX", "PYTHONPATH"))}
    env.update(
        {
            "PYTHONPATH": sysconfig.get_paths()["purelib"],
            "CLINIC_INBOX_HOME": str(tmp_path / "demo-home"),
            "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
            "QT_QPA_PLATFORM": "offscreen",
        }
    )
    where = subprocess.run(
        [str(py), "-c", "import clinic_inbox; print(clinic_inbox.__file__)"],
        cwd=elsewhere, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert str(venv) in where.stdout, where.stdout + where.stderr
    cli = str(venv / "bin" / "clinic-inbox")
    demo = subprocess.run(
        [cli, "demo", "--no-gui"], cwd=elsewhere, env=env, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip
    assert demo.returncode == 0, demo.stderr
    assert "Demo clinic ready" in demo.stdout and "Traceback" not in demo.stderr
    shot = tmp_path / "shot.png"
    done = subprocess.run(
        [cli, "demo", "--screenshot", str(shot)], cwd=elsewhere, env=env,
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert shot.read_bytes().startswith(b"\x89PNG")
