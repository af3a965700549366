"""The triage rules a sync pass uses, compiled only when a message needs them here.

Compiling the clinic's rules costs about 1.5 s of CPU and tens of MB. A large sync
triages in its parse workers, which are forked from a server that has compiled the
shipped rules already (or compile the clinic's own file themselves: parse_pool.RulesRef),
so the sync process itself need not compile them at all; a small sync, or a pass with
no new mail, compiles them at its first message or never. Whether the workers will be
used is known once the mailbox has been listed (email_sync.sync_account).
"""

from __future__ import annotations

from pathlib import Path

from clinic_inbox.core.triage import Rules, load_rules


class RulesLater:
    """What load_rules(`folder`) gives (`folder`: the clinic's data folder, or None for
    the shipped rules), compiled the first time it is called for."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self._rules: Rules | None = None

    @property
    def compiled(self) -> bool:
        return self._rules is not None

    def __call__(self) -> Rules:
        if self._rules is None:
            self._rules = load_rules(self.folder)
        return self._rules


def rules_now(rules: Rules | RulesLater) -> Rules:
    return rules() if isinstance(rules, RulesLater) else rules
