"""`audit verify`: the chain itself, then every copy of its head kept elsewhere
(the counter file, the keyring, the anchors off this workstation), then the
restores the trail records. Each line in plain words."""

from __future__ import annotations

from dataclasses import dataclass, field

from clinic_inbox.core import audit
from clinic_inbox.core.audit_anchor import (
    AnchorSink,
    anchor_key,
    check_all,
    compare,
    place_of,
    store_head,
)
from clinic_inbox.core.audit_witness import LocalWitness
from clinic_inbox.core.store import audit_queries as aq


@dataclass
class AuditReport:
    ok: bool = True
    lines: list[str] = field(default_factory=list)
    kinds: set[str] = field(default_factory=set)  # what was found, for tests and tools
    checked: int = 0  # entries of the chain verified

    def problem(self, text: str, kind: str) -> None:
        self.ok = False
        self.kinds.add(kind)
        self.lines.append(f"PROBLEM: {text[0].upper()}{text[1:]}.")

    def fine(self, text: str) -> None:
        self.lines.append(f"{text[0].upper()}{text[1:]}.")

    def describe(self) -> str:
        return "\n".join(self.lines)


def full_check(clinic, sinks: list[AnchorSink], why_no_sink: str | None = None) -> AuditReport:  # noqa: ANN001
    store, report = clinic.store, AuditReport()
    chain = audit.verify(store, clinic.audit_key)
    report.checked = chain.checked
    report.lines.append(chain.describe())
    if not chain.ok:
        report.ok = False
        report.kinds.add("chain")
    key = anchor_key(clinic.audit_key)
    h = store_head(store)
    witness = clinic.witness or LocalWitness(clinic.custody.store_id, clinic.home, clinic.audit_key)
    for w in witness.read():
        if w.record is None:
            report.fine(
                f"{w.where}: nothing kept yet (the first check of this store on this "
                "computer, or it was deleted)"
            )
            continue
        f = compare(store, w.record, key)
        if f.ok:
            report.fine(f"{w.where}: {f.text}")
        else:
            report.problem(f"{w.where}: {f.text}", f.kind)
    place = place_of(clinic.home)
    if not sinks:
        report.fine(f"Off this computer: not checked: {why_no_sink or 'nowhere is configured'}")
    for sink in sinks:
        try:
            found = sink.records(clinic.custody.store_id)
        except Exception as exc:  # noqa: BLE001 - unreachable: said, not hidden
            report.lines.append(f"NOT CHECKED: {sink.description} could not be read ({exc}).")
            report.kinds.add("unreachable")
            continue
        here = [r for r in found if r.place == place]
        for f in check_all(store, here, key):
            if f.ok:
                report.fine(f"{sink.description}: {f.text}")
            else:
                report.problem(f"{sink.description}: {f.text}", f.kind)
        others = len(found) - len(here)
        if others:
            report.fine(
                f"{sink.description}: also {others} anchor(s) of a copy of this store in "
                "another data folder (a backup restored elsewhere), not compared"
            )
    for entry_id, at, detail in aq.restores(store):
        replaced = detail.get("replaced")
        backup = detail.get("backup") or {}
        what = (
            f"replacing a history of {replaced['count']} entries (counted {replaced['at']})"
            if replaced
            else "with no counter of the history it replaced on that computer"
        )
        report.fine(
            f"Restore recorded at entry {entry_id} on {at}: a backup with "
            f"{backup.get('count', '?')} entries was put back, {what}; epoch "
            f"{detail.get('epoch')} began"
        )
    report.fine(f"Head: epoch {h.epoch}, {h.count} entries")
    if not report.ok:
        report.lines.append(
            "The audit trail cannot be trusted as complete: see the PROBLEM lines above, and "
            "tell your privacy officer."
        )
    return report
