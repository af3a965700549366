"""One way to queue a reply, and what a proxy reads: `services.queue_reply` is the
checked reply (agreement, footer under the signature); a message the clinic starts to
a proxy, a staff reply to a proxy's message and a standard 'please call' letter all
greet the proxy and name the patient they are about. Real encrypted store, real
access policy; the queued payloads are read back from the outbox."""

from __future__ import annotations

import itertools
from dataclasses import replace
from email import message_from_bytes
from email.policy import default

import pytest
from support.clinic_details import CLINIC_TOML
from support.clinics import new_clinic

from clinic_inbox.core import accounts, footer, proxies, services, services_reply_queue
from clinic_inbox.core import services_compose as scomp
from clinic_inbox.core import services_consent as scons
from clinic_inbox.core import services_reply as sr
from clinic_inbox.core.config import load_config
from clinic_inbox.core.consent import ConsentNeeded
from clinic_inbox.core.model import Category, Direction, Priority, Source
from clinic_inbox.core.store import outbox_queries as oq
from clinic_inbox.core.store import queries as q

PW = "kettle orbit maple frost"
FROM = "inbox@clinic.example"
CARMEN = "carmen@family.example"
_n = itertools.count(1)
RESULTS = scomp.Request(template="results_normal", fields={"test": "cholesterol"})


@pytest.fixture(scope="module")
def clinic(tmp_path_factory):
    home = tmp_path_factory.mktemp("proxyreply") / "c"
    c, _, _ = new_clinic(home)
    (home / "clinic.toml").write_text(
        'languages = ["en", "fr"]\n' + CLINIC_TOML + "[consent]\nrequired = true\n", "utf-8"
    )
    c.config = load_config(home)
    with c.store.transaction():
        accounts.add_imap_account(
            c.store,
            accounts.ImapAccount(
                name="Mail",
                host="127.0.0.1",
                port=143,
                username=FROM,
                smtp_host="127.0.0.1",
                smtp_port=25,
                from_address=FROM,
            ),
        )
    yield c
    c.close()


@pytest.fixture(scope="module")
def doc(clinic):
    return services.login(clinic, "dr.patel", PW, sleep=lambda _: None)


def _rosa(clinic, doc, *, proxy_scope=frozenset({"results"})) -> tuple[int, int]:
    """Rosa (agreed to email) and Carmen, her caregiver, authorised for `proxy_scope`."""
    n = next(_n)
    with clinic.store.transaction():
        pid = q.add_patient(
            clinic.store, "Delgado", "Rosa", "1941-03-02", f"EV-{n}", None, doc.staff.id,
            (f"rosa{n}@example.org",),
        )  # fmt: skip
    scons.record_consent(
        clinic, doc, pid, channels=frozenset({"email"}), terms_version="v1", how="signed-form"
    )
    proxy = scons.add_proxy(
        clinic,
        doc,
        pid,
        name="Carmen Delgado",
        relationship="caregiver",
        address=CARMEN,
        scope=proxy_scope,
        evidence="signed form, scanned to the chart",
    )
    return pid, proxy


def _from(clinic, pid, sender: str, body: str, category=Category.RESULTS) -> int:
    n = next(_n)
    with clinic.store.transaction():
        tid = q.create_thread(
            clinic.store, q.NewThread("Results for my mom", category, Priority.ROUTINE,
                                      q.utcnow(), pid),
        )  # fmt: skip
        q.insert_message(
            clinic.store,
            q.NewMessage(
                tid,
                Source.EMAIL,
                Direction.INBOUND,
                q.utcnow(),
                sender=sender,
                subject="Results for my mom",
                body_text=body,
                patient_id=pid,
                account_id=1,
                message_id_header=f"<p{n}@family.example>",
            ),
        )
    return tid


def _sent(clinic, item_id) -> tuple[str, str]:
    msg = message_from_bytes(oq.get(clinic.store, item_id).payload, policy=default)
    return msg["To"], msg.get_content().replace("\r\n", "\n")


# -- one way to queue a reply ------------------------------------------------------------
def test_the_services_reply_is_the_checked_one_and_the_bare_one_is_private():
    assert services.queue_reply is sr.queue_reply
    assert not hasattr(services_reply_queue, "queue_reply")
    assert "queue_reply" not in vars(scomp)


def test_a_reply_through_services_carries_the_footer_under_the_signature(clinic, doc):
    pid, _ = _rosa(clinic, doc)
    rosa = q.get_patient(clinic.store, pid)
    tid = _from(clinic, pid, rosa.emails[0], "Are my results in? Thank you")
    preview = sr.preview_reply(clinic, doc, tid, "Your cholesterol is normal.")
    item = services.queue_reply(clinic, doc, tid, "Your cholesterol is normal.")
    to, text = _sent(clinic, item)
    assert to == rosa.emails[0]
    assert text.strip() == preview.text.strip() and preview.to_proxy is None
    foot = footer.render(clinic.config, "en")
    assert text.index("normal.") < text.index("Dr Anjali Patel") < text.index(foot[:40])
    assert text.rstrip().endswith(foot.rstrip())
    assert "Dear" not in text  # a reply to the patient is left as staff wrote it
    assert "your medical record" in text and "authorised you" not in text


def test_services_queue_reply_refuses_an_opted_out_patient_and_audits_it(clinic, doc):
    pid, _ = _rosa(clinic, doc)
    rosa = q.get_patient(clinic.store, pid)
    tid = _from(clinic, pid, rosa.emails[0], "Are my results in?")
    scons.end_consent(clinic, doc, pid, how="opted-out")
    with pytest.raises(ConsentNeeded, match="opted out"):
        services.queue_reply(clinic, doc, tid, "Normal.", consent_reason="asked")
    refused = [e for e in services.audit_trail(clinic, _admin(clinic), patient_id=pid)
               if e.action == "reply.refused"]  # fmt: skip
    assert [e.reason for e in refused] == ["email: the patient opted out"]


def _admin(clinic):
    from support.clinics import ADMIN_PASSWORD

    return services.login(clinic, "admin", ADMIN_PASSWORD, sleep=lambda _: None)


# -- a proxy is greeted, and told whom it is about ---------------------------------------
def test_a_reply_to_a_proxys_message_greets_the_proxy_and_names_the_patient(clinic, doc):
    pid, _ = _rosa(clinic, doc)
    tid = _from(clinic, pid, CARMEN, "Hello, are my mother's blood results back?")
    preview = sr.preview_reply(clinic, doc, tid, "Her blood work is normal.")
    assert preview.to_proxy == "Carmen Delgado (caregiver)"
    item = services.queue_reply(clinic, doc, tid, "Her blood work is normal.")
    to, text = _sent(clinic, item)
    assert to == CARMEN
    assert text.startswith(
        "Dear Carmen,\n\nThis message is about Rosa Delgado.\n\nHer blood work is normal."
    )
    assert text.strip() == preview.text.strip()
    assert text.index("Dr Anjali Patel") < text.index("About messages")
    # the footer speaks to the proxy: the patient's record, why they receive it
    assert text.rstrip().endswith(footer.render(clinic.config, "en", to_proxy=True).rstrip())
    assert "the patient's medical record" in text and "your medical record" not in text


def test_a_greeting_to_the_patient_becomes_one_to_the_proxy(clinic, doc):
    pid, _ = _rosa(clinic, doc)
    tid = _from(clinic, pid, CARMEN, "Are mom's results in?")
    item = services.queue_reply(clinic, doc, tid, "Dear Rosa,\nYour results are normal.")
    _, text = _sent(clinic, item)
    assert text.startswith("Dear Carmen,\n\nThis message is about Rosa Delgado.\n\nYour results")
    assert "Dear Rosa" not in text


def test_outside_the_proxys_scope_the_reply_goes_to_the_patient_as_usual(clinic, doc):
    pid, _ = _rosa(clinic, doc, proxy_scope=frozenset({"appointments"}))
    tid = _from(clinic, pid, CARMEN, "Are mom's results in?")
    item = services.queue_reply(clinic, doc, tid, "Your results are normal.")
    to, text = _sent(clinic, item)
    assert to == q.get_patient(clinic.store, pid).emails[0]
    assert not text.startswith("Dear Carmen") and "This message is about" not in text


def test_please_call_letter_to_a_proxy_greets_the_proxy(clinic, doc):
    pid, _ = _rosa(clinic, doc)
    tid = _from(clinic, pid, CARMEN, "Are mom's results in?")
    services.move_to_call_or_visit(clinic, doc, tid, "call", "needs a talk")
    [item] = [i for i in oq.in_state(clinic.store, "pending") if i.thread_id == tid]
    to, text = _sent(clinic, item.id)
    assert to == CARMEN
    assert text.startswith("Hello Carmen,\n\nThis message is about Rosa Delgado.")
    assert "Hello Rosa" not in text
    assert text.index("Dr Anjali Patel") < text.index("About messages")


def test_a_message_the_clinic_starts_to_a_proxy_greets_the_proxy(clinic, doc):
    pid, proxy = _rosa(clinic, doc)
    req = replace(RESULTS, to_proxy=proxy)
    preview = scomp.preview_message(clinic, doc, pid, req)
    assert preview.body.startswith(
        "Hello Carmen,\n\nThis message is about Rosa Delgado.\n\nYour physician"
    )
    started = scomp.start_message(clinic, doc, pid, req)
    to, text = _sent(clinic, started.outbox_id)
    assert to == CARMEN and text.strip() == preview.body.strip()
    assert "authorised you to write to us for them" in text
    # to the patient herself: her own name, no 'about' line
    own = scomp.preview_message(clinic, doc, pid, RESULTS)
    assert own.body.startswith("Hello Rosa,") and "This message is about" not in own.body


def test_addressed_to_proxy_in_french_and_applied_twice():
    once = proxies.addressed_to_proxy(
        "Ses résultats sont normaux.", "Carmen D", "Rosa D", "Rosa", "fr"
    )
    assert once == "Bonjour Carmen,\n\nCe message concerne Rosa D.\n\nSes résultats sont normaux."
    assert proxies.addressed_to_proxy(once, "Carmen D", "Rosa D", "Rosa", "fr") == once
    # staff greeted Carmen themselves: kept, the patient named under it
    own = proxies.addressed_to_proxy("Hi Carmen,\nAll is well.", "Carmen D", "Rosa D", "Rosa", "en")
    assert own == "Hi Carmen,\n\nThis message is about Rosa D.\n\nAll is well."


def test_the_preview_says_what_sending_would_meet_and_audits_nothing(clinic, doc):
    pid, _ = _rosa(clinic, doc)
    rosa = q.get_patient(clinic.store, pid)
    tid = _from(clinic, pid, rosa.emails[0], "Are my results in?")
    assert sr.preview_reply(clinic, doc, tid, "Normal.").warning is None
    scons.end_consent(clinic, doc, pid, how="opted-out")
    before = _refusals(clinic, pid)
    shown = sr.preview_reply(clinic, doc, tid, "Normal.")
    assert "opted out" in shown.warning and "Normal." in shown.text
    assert _refusals(clinic, pid) == before  # a preview is not a refused reply
    with clinic.store.transaction():
        other = q.add_patient(
            clinic.store, "Roy", "Ana", "1980-01-01", "EV-none", None, doc.staff.id, ("ana@x.org",)
        )
    none = _from(clinic, other, "ana@x.org", "Are my results in?")
    assert "has not agreed to email" in sr.preview_reply(clinic, doc, none, "Normal.").warning


def _refusals(clinic, pid) -> int:
    from clinic_inbox.core import audit

    return sum(
        1
        for e in audit.entries(clinic.store)
        if e.action == "reply.refused" and e.patient_id == pid
    )


def test_a_clinics_own_footer_is_kept_for_proxies_unless_it_wrote_a_proxy_one(tmp_path, clinic):
    own = tmp_path / "footer"
    own.mkdir()
    (own / "en.txt").write_text("--\nOur own words, {clinic_name}.", "utf-8")
    assert footer.render(clinic.config, "en", tmp_path, to_proxy=True).endswith(
        "Our own words, Test Street Clinic."
    )
    (own / "en-proxy.txt").write_text("--\nFor caregivers, {clinic_name}.", "utf-8")
    assert footer.render(clinic.config, "en", tmp_path, to_proxy=True).endswith(
        "caregivers, Test Street Clinic."
    )
    assert footer.render(clinic.config, "en", tmp_path).endswith(
        "Our own words, Test Street Clinic."
    )
