"""Run a multi-statement script inside the caller's transaction.

`executescript` would commit first, breaking the one-transaction-per-step rule.
Lines are gathered until SQLite says they make a complete statement, so a trigger's
body (statements inside BEGIN ... END) stays whole.
"""

import sqlcipher3


def run_script(store, script: str) -> None:  # noqa: ANN001
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlcipher3.complete_statement(pending):
            if pending.strip().strip(";").strip():
                store.execute(pending)
            pending = ""
    if pending.strip() and not all(
        ln.strip().startswith("--") or not ln.strip() for ln in pending.splitlines()
    ):
        raise ValueError(f"incomplete statement in a migration: {pending[:80]!r}")
