"""Child process for the board-at-scale benchmark: open a clinic, sign in, paint the
board offscreen, then time a filter and a scroll through every loaded card.

    python -m bench.board_probe HOME USERNAME PASSWORD

Prints one JSON line: wall-clock time at paint (the parent subtracts its own start
time, so interpreter start and imports count), filter and scroll times, peak memory.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main(home: str, username: str, password: str) -> int:
    marks = {"started_at": time.time()}
    from bench.common import open_bench_clinic
    from clinic_inbox.core import services
    from clinic_inbox.core.home import PageCheck
    from clinic_inbox.core.keys import KeyCustody, backend_name
    from clinic_inbox.ui.app import application
    from clinic_inbox.ui.main_window import MainWindow

    app = application()
    marks["imported_at"] = time.time()
    # the key as the clinic keeps it: the OS keyring (a real gnome-keyring on a private
    # bus, set up by the parent) or, without one, the passphrase-wrapped file
    keyring = os.environ.get("BENCH_KEYRING") == "1"
    custody = KeyCustody(Path(home), detect=keyring)
    # as the app starts: key, store opened, every page's HMAC checked on a thread beside
    # the sign-in and the board's loading, and known sound before the board is shown
    clinic = open_bench_clinic(Path(home), os.environ["BENCH_PASSPHRASE"], custody)
    marks["opened_at"] = time.time()
    pages = PageCheck(clinic)
    session = services.login(clinic, username, password)
    marks["signed_in_at"] = time.time()
    win = MainWindow(clinic, session)
    marks["board_loaded_at"] = time.time()
    pages.raise_if_damaged()
    marks["pages_checked_at"] = time.time()
    win.resize(1600, 940)
    win.show()
    app.processEvents()
    win.grab()
    painted_at = time.time()
    # measured after the paint, not inside it: fetching the key (a keyring lookup, or the
    # passphrase's key derivation)
    t = time.perf_counter()
    custody.load(lambda p, c: os.environ["BENCH_PASSPHRASE"])
    unlock_s = time.perf_counter() - t
    # the page check alone (it ran beside the sign-in and the board's loading above)
    from clinic_inbox.core.store.connection import pages_are_sound

    t = time.perf_counter()
    assert pages_are_sound(clinic.store.path, clinic.secrets.db_key)
    check_s = time.perf_counter() - t

    # a filter: one category, as a receptionist would pick it
    t = time.perf_counter()
    win.category.setCurrentIndex(1)
    app.processEvents()
    win.grab()
    filter_s = time.perf_counter() - t
    win.category.setCurrentIndex(0)
    app.processEvents()

    # the "All" view (every conversation loaded), then each column scrolled from top
    # to bottom a page at a time, painting every page
    from clinic_inbox.core.views import View

    t = time.perf_counter()
    win.views.setCurrentRow(list(View).index(View.ALL))
    app.processEvents()
    all_view_s = time.perf_counter() - t
    rows = 0
    t = time.perf_counter()
    for col in win.board.columns.values():
        bar = col.view.verticalScrollBar()
        rows += col.model.rowCount()
        bar.setValue(0)
        while True:
            col.view.viewport().repaint()
            if bar.value() >= bar.maximum():
                break
            bar.setValue(bar.value() + bar.pageStep())
            app.processEvents()
    scroll_s = time.perf_counter() - t
    print(
        json.dumps(
            {
                "painted_at": painted_at,
                **marks,
                "passphrase_unlock_s": unlock_s,
                "key_custody": backend_name(custody.backend) if keyring else "passphrase",
                "page_check_s": check_s,
                "waited_for_page_check_s": marks["pages_checked_at"] - marks["board_loaded_at"],
                "filter_s": filter_s,
                "scroll_s": scroll_s,
                "all_view_s": all_view_s,
                "scrolled_rows": rows,
                "loaded_threads": len(win._threads),
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        ),
        flush=True,
    )
    win.close()
    clinic.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(*sys.argv[1:4]))
