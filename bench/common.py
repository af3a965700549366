"""What the benchmark modules share: a keyring stand-in, the search queries, and one
way of turning timings into p50 / p95."""

from __future__ import annotations


class MemoryKeyring:
    """Holds account passwords for the run, so the system keyring is never touched
    (the keyring is not what is measured)."""

    def __init__(self) -> None:
        self.d: dict = {}

    def set_password(self, s, u, p):  # noqa: ANN001, ANN201
        self.d[(s, u)] = p

    def get_password(self, s, u):  # noqa: ANN001, ANN201
        return self.d.get((s, u))

    def delete_password(self, s, u):  # noqa: ANN001, ANN201
        self.d.pop((s, u), None)


def p50_p95(times_ms: list[float]) -> tuple[float, float]:
    """The same percentile rule for our search and for notmuch's."""
    times = sorted(times_ms)
    return times[len(times) // 2], times[int(len(times) * 0.95) - 1]


# 50 realistic queries: drugs, tests, body parts, names, everyday words
QUERIES = [
    "metformin",
    "cholesterol",
    "appointment",
    "refill",
    "knee",
    "Zoë",
    "Tremblay",
    "blood pressure",
    "form",
    "invoice",
    "ultrasound",
    "lisinopril",
    "dermatologist",
    "Monday",
    "pharmacy",
    "TSH",
    "shoulder",
    "sleep",
    "physiotherapist",
    "OHIP",
    "readings",
    "vaccines",
    "rash",
    "hip",
    "Haddad",
    "Reference 1-1",
    "salbutamol",
    "specialist",
    "results",
    "ibuprofen",
    "Lefèvre",
    "cardiologist",
    "vitamin",
    "HbA1c",
    "ferritin",
    "sick note",
    "absence",
    "levothyroxine",
    "back",
    "headaches",
    "Wei",
    "Priya",
    "Noah",
    "Chloé",
    "Okafor",
    "Silva",
    "Gagnon",
    "Roy",
    "Côté",
    "Raman",
]
