"""`clinic-inbox consent …` and `clinic-inbox proxy …`: patients' agreements to
electronic communication and the people who write for them (core/services_consent)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

EXIT_OK = 0


def _split(text: str) -> frozenset[str]:
    return frozenset(w.strip().lower() for w in text.replace(";", ",").split(",") if w.strip())


def cmd_consent_show(args: argparse.Namespace) -> int:
    from clinic_inbox.cli import _open, _print_json, _session
    from clinic_inbox.core import services_consent as sc

    with _open(args) as clinic:
        session = _session(args, clinic)
        v = sc.patient_consent(clinic, session, args.patient_id)
    if args.json:
        a = v.agreement
        _print_json(
            {
                "patient_id": v.patient.id,
                "state": v.state.value,
                "words": v.words,
                "age": v.age,
                "agreement": None
                if a is None
                else {
                    "channels": sorted(a.channels),
                    "terms_version": a.terms_version,
                    "agreed_on": a.agreed_on,
                    "how": a.how,
                    "recorded_by": a.recorded_by,
                    "ended_on": a.ended_on,
                    "ended_how": a.ended_how,
                    "end_reason": a.end_reason,
                },
                "proxies": [
                    {
                        "id": p.id,
                        "name": p.name,
                        "relationship": p.relationship,
                        "address": p.address,
                        "portal_id": p.portal_id,
                        "scope": sorted(p.scope),
                        "from": p.starts_on,
                        "to": p.ends_on,
                        "evidence": p.evidence,
                        "standing": standing,
                    }
                    for p, standing in v.proxies
                ],
            }
        )
        return EXIT_OK
    age = f", {v.age} years old" if v.age is not None else ""
    print(f"{v.patient.display_name} (patient {v.patient.id}{age})")
    print(v.words)
    for p, standing in v.proxies:
        print(f"Proxy {p.id}: {p.describe()} [{standing}]")
    if not v.proxies:
        print("Nobody is authorised to write for this patient.")
    return EXIT_OK


def cmd_consent_record(args: argparse.Namespace) -> int:
    from clinic_inbox.cli import _open, _session
    from clinic_inbox.core import services_consent as sc

    with _open(args) as clinic:
        session = _session(args, clinic)
        sc.record_consent(
            clinic,
            session,
            args.patient_id,
            channels=_split(args.channels),
            terms_version=args.terms,
            how=args.how,
            agreed_on=args.date,
        )
    print(f"Patient {args.patient_id}: agreement recorded ({args.channels}, terms {args.terms}).")
    return EXIT_OK


def cmd_consent_end(args: argparse.Namespace) -> int:
    from clinic_inbox.cli import _open, _session
    from clinic_inbox.core import services_consent as sc

    with _open(args) as clinic:
        session = _session(args, clinic)
        sc.end_consent(clinic, session, args.patient_id, how=args.how, reason=args.reason)
    print(f"Patient {args.patient_id}: no more email or portal messages from the clinic.")
    return EXIT_OK


def cmd_consent_import(args: argparse.Namespace) -> int:
    from clinic_inbox.cli import _open, _read_text, _session
    from clinic_inbox.core import services_consent as sc

    text = _read_text(args.file, "CSV file")
    with _open(args) as clinic:
        session = _session(args, clinic)
        done = sc.import_consents(clinic, session, text)
    print(f"{done.imported} agreements imported.")
    return EXIT_OK


def cmd_consent_terms(args: argparse.Namespace) -> int:
    from clinic_inbox.cli import _home
    from clinic_inbox.core import consent

    home = _home(args)
    versions = consent.terms_versions(home)
    if args.version is None:
        print("Versions of the clinic's terms: " + ", ".join(versions))
        return EXIT_OK
    print(consent.terms_text(args.version, args.lang, home))
    return EXIT_OK


def cmd_consent_terms_publish(args: argparse.Namespace) -> int:
    from clinic_inbox.cli import CliError, _open, _read_text, _session
    from clinic_inbox.core import services_terms

    texts = {}
    for item in args.text:
        lang, _, path = item.partition("=")
        if not lang.strip() or not path:
            raise CliError("Give each text as LANG=FILE, e.g. --text en=terms-en.txt.")
        texts[lang.strip()] = _read_text(path, "terms file")
    with _open(args) as clinic:
        session = _session(args, clinic)
        version = services_terms.publish_terms(clinic, session, texts)
    print(
        f"Version {version[1:]} of the clinic's terms published ({', '.join(sorted(texts))}). "
        "Agreements already recorded keep the version the patient read."
    )
    return EXIT_OK


def cmd_proxy_add(args: argparse.Namespace) -> int:
    from clinic_inbox.cli import _open, _session
    from clinic_inbox.core import services_consent as sc

    with _open(args) as clinic:
        session = _session(args, clinic)
        pid = sc.add_proxy(
            clinic,
            session,
            args.patient_id,
            name=args.name,
            relationship=args.relationship,
            address=args.address,
            scope=_split(args.scope),
            evidence=args.evidence,
            starts_on=args.start,
            ends_on=args.end,
            portal_id=args.portal_id,
        )
    print(f"Proxy {pid} recorded for patient {args.patient_id}.")
    return EXIT_OK


def cmd_proxy_revoke(args: argparse.Namespace) -> int:
    from clinic_inbox.cli import _open, _session
    from clinic_inbox.core import services_consent as sc

    with _open(args) as clinic:
        session = _session(args, clinic)
        sc.revoke_proxy(clinic, session, args.proxy_id)
    print(f"Proxy {args.proxy_id} withdrawn: replies no longer go to them.")
    return EXIT_OK


def cmd_proxy_copy(args: argparse.Namespace) -> int:
    from pathlib import Path

    from clinic_inbox.cli import _open, _session, ask_password
    from clinic_inbox.core import services_proxy_copy as spc
    from clinic_inbox.core.private_files import private_dir

    out = private_dir(Path(args.out).resolve())
    with _open(args) as clinic:
        session = _session(args, clinic)
        done = spc.copy_for_proxy(
            clinic,
            session,
            args.proxy_id,
            out_dir=out,
            password=ask_password(session.staff.username),
        )
    for tid, path in done.written:
        print(f"Conversation {tid}: {path}")
    for tid, why in done.withheld:
        print(f"Conversation {tid} withheld: {why}")
    print(
        f"{len(done.written)} conversation(s) copied for the proxy, {len(done.withheld)} withheld."
    )
    return EXIT_OK


def register(sub: Any, add: Callable[..., argparse.ArgumentParser], record_id: Any) -> None:
    """The `consent` and `proxy` command groups, added to cli.build_parser."""
    from clinic_inbox.core import consent, proxies

    con = sub.add_parser("consent", help="patients' agreements to email and portal").add_subparsers(
        dest="consent_cmd", required=True
    )
    sp = add("show", cmd_consent_show, "a patient's agreement and proxies", con)
    sp.add_argument("patient_id", type=record_id)
    sp.add_argument("--json", action="store_true")
    sp = add("record", cmd_consent_record, "record that a patient agreed", con)
    sp.add_argument("patient_id", type=record_id)
    sp.add_argument("--channels", required=True, help="email, portal or email,portal")
    sp.add_argument("--terms", required=True, help="the version of the terms they agreed to")
    sp.add_argument("--how", required=True, choices=[h for h in consent.HOW if h != "emr-import"])
    sp.add_argument("--date", help="the day they agreed (default: today)")
    sp = add("end", cmd_consent_end, "the patient opted out, or the clinic ended it", con)
    sp.add_argument("patient_id", type=record_id)
    sp.add_argument("--how", required=True, choices=list(consent.ENDINGS))
    sp.add_argument("--reason", help="why (required when the clinic ends it)")
    sp = add("import", cmd_consent_import, "import agreements from the EMR's CSV export", con)
    sp.add_argument("file")
    sp = add("terms", cmd_consent_terms, "the clinic's terms, by version", con)
    sp.add_argument("version", nargs="?")
    sp.add_argument("--lang", default="en")
    sp = add(
        "terms-publish",
        cmd_consent_terms_publish,
        "publish the next version of the clinic's terms (administrators)",
        con,
    )
    sp.add_argument(
        "--text",
        action="append",
        required=True,
        metavar="LANG=FILE",
        help="the new text in one language; one for each language the clinic writes in",
    )

    prx = sub.add_parser("proxy", help="people authorised to write for a patient").add_subparsers(
        dest="proxy_cmd", required=True
    )
    sp = add("add", cmd_proxy_add, "record someone authorised to write for a patient", prx)
    sp.add_argument("patient_id", type=record_id)
    sp.add_argument("--name", required=True)
    sp.add_argument("--relationship", required=True, choices=list(proxies.RELATIONSHIPS))
    sp.add_argument("--address", required=True, help="their own email address")
    sp.add_argument("--scope", required=True, help=", ".join(proxies.SCOPES) + " (comma-separated)")
    sp.add_argument("--evidence", required=True, help="what authorises them, where it is filed")
    sp.add_argument("--start", help="first day (default: today)")
    sp.add_argument("--end", help="last day (default: none)")
    sp.add_argument(
        "--portal-id", help="their own patient-portal account (the portal's RelatedPerson id)"
    )
    sp = add("revoke", cmd_proxy_revoke, "withdraw an authorisation", prx)
    sp.add_argument("proxy_id", type=record_id)
    sp = add(
        "copy", cmd_proxy_copy, "a copy of the conversations a proxy is authorised to see", prx
    )
    sp.add_argument("proxy_id", type=record_id)
    sp.add_argument("--out", required=True, help="the folder for the PDF files")
