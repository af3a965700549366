"""Run a multi-statement script inside the caller's transaction.

`executescript` would commit first, breaking the one-transaction-per-step rule.
Statements are separated by a semicolon at the end of a line.
"""


def run_script(store, script: str) -> None:  # noqa: ANN001
    for statement in script.split(";\n"):
        if statement.strip():
            store.execute(statement)
