"""Break-glass openings marked reviewed, on this workstation or any other of the clinic
(schema 24). A mark names the opening by the workstation it was made on and its number
there; `on_server` 0 means it waits to be sent to the clinic's shared server."""

from __future__ import annotations

from dataclasses import dataclass

from clinic_inbox.core.store.connection import Store

_COLUMNS = (
    "id, opening_ws, opening_id, reviewer, reviewer_name, reviewed_at, ws, ws_name, on_server"
)


@dataclass(frozen=True)
class Mark:
    id: str
    opening_ws: str
    opening_id: int
    reviewer: str  # user name
    reviewer_name: str
    reviewed_at: str  # UTC, ISO
    ws: str  # the workstation it was marked on
    ws_name: str | None
    on_server: bool


def _mark(row: tuple) -> Mark:
    return Mark(*row[:8], on_server=bool(row[8]))


def add(store: Store, mark: Mark) -> bool:
    """Keep a mark (made here, or pulled); False if it is here already."""
    cur = store.execute(
        f"INSERT OR IGNORE INTO break_glass_marks ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            mark.id,
            mark.opening_ws,
            mark.opening_id,
            mark.reviewer,
            mark.reviewer_name,
            mark.reviewed_at,
            mark.ws,
            mark.ws_name,
            int(mark.on_server),
        ),
    )
    return cur.rowcount > 0


def get(store: Store, mark_id: str) -> Mark | None:
    row = store.execute(
        f"SELECT {_COLUMNS} FROM break_glass_marks WHERE id = ?", (mark_id,)
    ).fetchone()
    return _mark(row) if row else None


def first_marks(store: Store) -> dict[tuple[str, int], Mark]:
    """Each marked opening's first mark, by (its workstation, its number there)."""
    out: dict[tuple[str, int], Mark] = {}
    rows = store.execute(
        f"SELECT {_COLUMNS} FROM break_glass_marks ORDER BY reviewed_at, id"
    ).fetchall()
    for row in rows:
        m = _mark(row)
        out.setdefault((m.opening_ws, m.opening_id), m)
    return out


def first_mark(store: Store, opening_ws: str, opening_id: int) -> Mark | None:
    row = store.execute(
        f"SELECT {_COLUMNS} FROM break_glass_marks WHERE opening_ws = ? AND opening_id = ? "
        "ORDER BY reviewed_at, id LIMIT 1",
        (opening_ws, opening_id),
    ).fetchone()
    return _mark(row) if row else None


def waiting(store: Store) -> list[Mark]:
    """The marks made here that the server does not have yet, oldest first."""
    rows = store.execute(
        f"SELECT {_COLUMNS} FROM break_glass_marks WHERE on_server = 0 ORDER BY reviewed_at, id"
    ).fetchall()
    return [_mark(r) for r in rows]


def on_server(store: Store, mark_id: str, ws_name: str | None = None) -> None:
    store.execute(
        "UPDATE break_glass_marks SET on_server = 1, ws_name = coalesce(?, ws_name) WHERE id = ?",
        (ws_name, mark_id),
    )


def remove(store: Store, mark_id: str) -> None:
    """A mark the server refused: it is not kept as a review."""
    store.execute("DELETE FROM break_glass_marks WHERE id = ?", (mark_id,))
