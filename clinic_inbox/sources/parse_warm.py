"""Loaded once into the fork server that parse workers are forked from (parse_pool.py).

A spawned worker spent about a second of CPU before its first message: starting
Python, importing the parser and triage, compiling the shipped triage rules (all of
them here: a process of its own compiles a pattern when a sentence first needs it) and
reading the lemma dictionaries. Done here once, every forked worker starts with them.
The fork server holds no patient data: only code and the shipped rules.
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def warm() -> None:
    from clinic_inbox.core.triage import load_rules, triage
    from clinic_inbox.sources import email_sync, mime_lean, parse_pool  # noqa: F401

    # a made-up sentence in each language the rules read: their dictionaries load now
    rules = load_rules()
    rules.compile_all()  # (a process that triages a few messages compiles a few patterns)
    triage("warm up", "I have a question about my prescription. J'ai une question.", rules)


try:
    warm()
except Exception as exc:  # noqa: BLE001 - a cold worker is slower, never wrong
    log.warning("parse workers start cold: %s", type(exc).__name__)
