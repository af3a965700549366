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


def open_bench_clinic(home, passphrase: str, custody):  # noqa: ANN001, ANN201
    """Open a bench clinic as its staff would: a clinic whose key is in the keyring is
    sealed (the keyring alone opens nothing), so a demo physician signs in and her
    key slot releases the store key; the time measured includes that unwrap, as a
    person's sign-in does."""
    from pathlib import Path

    from clinic_inbox.core.home import open_clinic
    from clinic_inbox.core.keys import SignInNeededError

    try:
        return open_clinic(Path(home), lambda p, c: passphrase, custody)
    except SignInNeededError:
        from clinic_inbox.core import staff_keys

        clinic, _session = staff_keys.open_signed_in(
            Path(home), "dr.patel", "demo", custody=custody, ask_passphrase=lambda p, c: passphrase
        )
        return clinic
