"""What the gate needs of each shipped triage pattern, worked out once when the rules
change and shipped beside them (resources/triage_gates.json).

Working it out means parsing ~3,500 patterns with the regex engine's own parser: about
five seconds of CPU, which every process that triaged paid before its first message
(the app, each sync, each command). The file holds, for each pattern as compiled
(source and flags), exactly what `triage_gate.analyse` returns. A pattern it does not
hold (a clinic's own rules, a rule changed since) is worked out as before, so the
file can make loading slower when it is old, never different: the tests hold it to
the rules (`check`), and `python -m clinic_inbox.core.triage_gate_cache` writes it.
"""

from __future__ import annotations

import hashlib
import json
import sys
from functools import lru_cache
from pathlib import Path

from clinic_inbox.core.resources import resource_path
from clinic_inbox.core.triage_gate import Analysis, Gated, analyse

FILE = "triage_gates.json"
FORMAT = "clinic-inbox-triage-gates/1"


def key(pattern: str, flags: int) -> str:
    """A pattern as the file names it: a hash of its flags and source (the sources
    themselves would make the file three times the size of the rules)."""
    return hashlib.blake2b(f"{flags}\0{pattern}".encode(), digest_size=12).hexdigest()


def _gates(value: list[str] | None) -> frozenset[str] | None:
    return None if value is None else frozenset(value)


@lru_cache(maxsize=1)
def shipped() -> dict[str, Analysis]:
    """The shipped file (by `key`), read once per process; empty when it is missing or
    not ours (every pattern is then worked out as it is loaded)."""
    try:
        data = json.loads(resource_path(FILE).read_text(encoding="utf-8"))
        if data.get("format") != FORMAT:
            return {}
        out: dict[str, Analysis] = {}
        for k, gate, ascii_gate, twin in data["patterns"]:
            g = _gates(gate)
            # 0: the same words as the gate (most patterns)
            out[k] = (g, g if ascii_gate == 0 else _gates(ascii_gate), bool(twin))
        return out
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def known(pattern: str, flags: int) -> Analysis | None:
    return shipped().get(key(pattern, flags))


def shipped_analyses() -> dict[tuple[str, int], Analysis]:
    """Every pattern the shipped rules gate, worked out now (not read from the file)."""
    from clinic_inbox.core import triage

    found: dict[tuple[str, int], Analysis] = {}

    def working_out(pattern: str, flags: int) -> Gated:
        found[(pattern, flags)] = analysis = analyse(pattern, flags)
        return Gated(pattern, flags, *analysis)

    triage.build_shipped_rules(working_out)
    return found


def _sorted(gates: frozenset[str] | None) -> list[str] | None:
    return None if gates is None else sorted(gates)


def write(path: Path) -> int:
    rows = sorted(
        [key(p, flags), _sorted(gate), 0 if ascii_gate == gate else _sorted(ascii_gate), twin]
        for (p, flags), (gate, ascii_gate, twin) in shipped_analyses().items()
    )
    # a pattern a line, in the order of their keys: a change of the rules changes the
    # lines of the patterns it touched
    lines = ",\n".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) for r in rows)
    text = f'{{"format": "{FORMAT}", "patterns": [\n{lines}\n]}}\n'
    path.write_text(text, encoding="utf-8")
    return len(rows)


def check() -> list[str]:
    """The shipped patterns the file does not hold as they are worked out now."""
    return [p for (p, flags), analysis in shipped_analyses().items() if known(p, flags) != analysis]


def main(argv: list[str] | None = None) -> int:
    """Write the shipped file again (after the rules changed): `--check` only says
    whether it is current."""
    args = sys.argv[1:] if argv is None else argv
    if "--check" in args:
        stale = check()
        print(f"{len(stale)} shipped patterns not in {FILE} as they are now")
        return 1 if stale else 0
    n = write(Path(resource_path(FILE)))
    shipped.cache_clear()
    print(f"{FILE}: {n} patterns")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
