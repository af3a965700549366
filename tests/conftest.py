"""Shared test setup: helpers importable as `support.*`, Qt offscreen, quiet keyring."""

from __future__ import annotations

import contextlib
import io
import os
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# The models' trainings (tests/unit/test_triage_models_trained.py) run on OpenBLAS's
# threads, one per core; the weights they must reproduce depend on how those split the
# work, so their number stays. But an idle OpenBLAS thread spun for 2^28 cycles before
# it slept, taking CPU from the other test worker: the two trainings used 141 s of CPU
# for 93 s of time. 2^4 cycles: an idle thread sleeps at once; 86 s of CPU, the same
# coefficients to the bit. Read when numpy loads, which is after this.
os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")
# The audit counter lives in the platform's state folder: tests (and the processes
# they start) keep theirs in a folder of their own, not the developer's.
if "ci-state-" not in os.environ.get("XDG_STATE_HOME", ""):
    import atexit
    import shutil
    import tempfile

    os.environ["XDG_STATE_HOME"] = tempfile.mkdtemp(prefix="ci-state-")
    atexit.register(shutil.rmtree, os.environ["XDG_STATE_HOME"], True)

import pytest  # noqa: E402
from support import fast_kdf  # noqa: E402

ALLOW_SKIP = os.environ.get("CLINIC_INBOX_ALLOW_SKIP") == "1"
# Cheap key stretching in this process and in the ones it starts, before any test has
# hashed anything (why, and what still checks the real costs: support/fast_kdf.py).
REAL_KDF = fast_kdf.install()


def pytest_sessionstart(session: pytest.Session) -> None:
    """Byte-compile the app once: the tests start `python -m clinic_inbox` hundreds of
    times, and where PYTHONDONTWRITEBYTECODE is set (as on these machines) each of them
    compiled every module it imported again (a fifth of a short command's CPU)."""
    if hasattr(session.config, "workerinput"):
        return  # the controlling process did it
    import compileall

    compileall.compile_dir(TESTS.parent / "clinic_inbox", quiet=2)


def pytest_configure(config: pytest.Config) -> None:
    # pytest-xdist hands out whole files (`--dist loadfile`) in the order of the file
    # with the most tests first, which undoes the order below: it is kept instead
    if hasattr(config.option, "loadscopereorder"):
        config.option.loadscopereorder = False


def _file_cost(items: list[pytest.Item]) -> float:
    """A file's declared time: the `seconds` of its tests marked slow (a bare mark: a
    minute)."""
    marks = (item.get_closest_marker("slow") for item in items)
    return sum(m.kwargs.get("seconds", 60) for m in marks if m is not None)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Longest files first, each file's tests kept together and in order: with
    `make test`'s workers taking whole files, a long file handed out last kept one
    worker busy for minutes after the other had finished. The files holding a test
    marked slow (the fault harnesses, the triage sets and trainings, packaging) go
    first, by the seconds their marks declare (about CI's: a rough order is all it
    needs); then the others, the file with the most tests first."""
    files: dict[Path, list[pytest.Item]] = {}
    for item in items:
        files.setdefault(item.path, []).append(item)
    order = sorted(files.values(), key=lambda f: (-_file_cost(f), -len(f)))  # stable
    items[:] = [item for f in order for item in f]


_ci_lines: list[str] = []


@pytest.fixture()
def ci_log(request: pytest.FixtureRequest):
    """Lines that belong in CI's log, pass or fail (a harness's counts). Printed at the
    end of the run by the process that reports it: with pytest-xdist a worker's own
    output is not shown, so the line travels with the test's report."""

    def say(line: str) -> None:
        request.node.user_properties.append(("ci_log", line))

    return say


@pytest.fixture()
def capsys(capsys, request: pytest.FixtureRequest):  # noqa: ANN001, ANN201
    """pytest's capsys; in a pytest-xdist worker, what a test prints inside
    `capsys.disabled()` (the triage figures, the harnesses' counts) is also kept for
    CI's log: a worker's own output reaches no terminal."""
    if not hasattr(request.config, "workerinput"):
        return capsys
    plain = capsys.disabled

    @contextlib.contextmanager
    def disabled():  # noqa: ANN202
        said = io.StringIO()
        with plain(), contextlib.redirect_stdout(said):
            yield
        if said.getvalue().strip():
            request.node.user_properties.append(("ci_log", said.getvalue().strip("\n")))

    capsys.disabled = disabled
    return capsys


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call":
        _ci_lines.extend(v for k, v in report.user_properties if k == "ci_log")


def pytest_terminal_summary(terminalreporter) -> None:  # noqa: ANN001
    if _ci_lines:
        terminalreporter.section("for CI's log")
        for line in _ci_lines:
            terminalreporter.write_line(line)


@pytest.fixture()
def real_kdf_costs():
    """The product's own stretching costs for one test."""
    with fast_kdf.costs(REAL_KDF):
        yield


# One keyring per test module, not per process: in full runs the daemon shared by a
# whole process ended twice mid-suite (in tests/security/test_keys_staff.py's restore,
# never when the file ran alone); a module's own keyring holds only its own items.
@pytest.fixture(scope="module")
def _secret_service_session():
    from support.secret_service import SecretService, SecretServiceUnavailable

    try:
        service = SecretService().start()
    except SecretServiceUnavailable as exc:
        if ALLOW_SKIP:
            pytest.skip(str(exc))
        pytest.fail(str(exc))
    yield service
    service.stop()


@pytest.fixture()
def secret_service(_secret_service_session):
    """A real gnome-keyring Secret Service on a private D-Bus session (one per test
    module; started again, with its items, if the daemon ended: see ensure_running)."""
    _secret_service_session.ensure_running()
    return _secret_service_session
