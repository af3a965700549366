"""Reading ahead keeps the order, hands errors over where they happened, and stops the
reader when the consumer leaves early."""

from __future__ import annotations

import threading
import time

import pytest

from clinic_inbox.sources.prefetch import read_ahead


def test_order_and_overlap():
    fetched: list[int] = []

    def pages():
        for i in range(5):
            fetched.append(i)
            yield i

    got = []
    for page in read_ahead(pages()):
        time.sleep(0.02)  # storing a page: meanwhile the next one is fetched
        got.append((page, len(fetched)))
    assert [p for p, _ in got] == [0, 1, 2, 3, 4]
    assert any(seen > page + 1 for page, seen in got)  # the reader was ahead


def test_errors_arrive_after_the_pages_before_them():
    def pages():
        yield 1
        yield 2
        raise ConnectionError("the portal went away")

    got = []
    with pytest.raises(ConnectionError, match="went away"):
        for page in read_ahead(pages()):
            got.append(page)
    assert got == [1, 2]


def test_leaving_early_stops_the_reader():
    produced = []

    def pages():
        for i in range(1000):
            produced.append(i)
            yield i

    before = threading.active_count()
    for page in read_ahead(pages()):
        if page == 2:
            break
    assert threading.active_count() == before
    assert len(produced) <= 5
