"""The triage rules a sync pass uses, compiled only when it first needs them.

Compiling the clinic's rules costs about 1.3 s of CPU. A first sync with many messages
also starts the parse workers' fork server (~2.7 s of CPU, ~200 MB), best started
before the rules compile so that both warm up side by side on two cores. Whether the
workers will be used is known only once the mailbox has been listed, so the pass hands
its sync the rules still uncompiled, and the sync decides (email_sync.sync_account).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from clinic_inbox.core.triage import Rules, load_rules


class RulesLater:
    """A clinic's rules (`folder`: its data folder, or None for the shipped rules),
    loaded by load_rules the first time `get()` is called."""

    def __init__(self, folder: Path | None, load: Callable[[Path | None], Rules] = load_rules):
        self.folder = folder
        self._load = load
        self._rules: Rules | None = None

    def get(self) -> Rules:
        if self._rules is None:
            self._rules = self._load(self.folder)
        return self._rules


def rules_now(rules: Rules | RulesLater) -> Rules:
    return rules.get() if isinstance(rules, RulesLater) else rules
