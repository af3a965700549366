"""The first run in the app, driven as a new clinic would: its own details, the
administrator checked before anything is written, the mailbox tested against a real
Dovecot and SMTP server on loopback (wrong password and closed port in plain words),
then the clinic created, and the recovery code shown once."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QWizard
from support.dovecot import free_port
from support.smtp_server import SmtpServer

from clinic_inbox.core import services
from clinic_inbox.core.config import load_config
from clinic_inbox.core.home import clinic_exists, open_clinic
from clinic_inbox.core.keys import KeyCustody
from clinic_inbox.ui.first_run import FirstRunWizard

PASSPHRASE = "a long clinic passphrase"
ADMIN_PW = "granite willow echo lantern"


@pytest.fixture()
def smtp():
    server = SmtpServer().start()
    yield server
    server.close()


def _wait_test(qtbot, page) -> str:
    qtbot.waitUntil(lambda: page.test.isEnabled(), timeout=30_000)
    return page.result.text()


def _fill_clinic(w: FirstRunWizard) -> None:
    c = w.clinic_page
    c.name.setText("Elm Street Family Practice")
    c.phone.setText("204-555-0199")
    c.timezone.setCurrentText("America/Winnipeg")
    c.french.setChecked(True)


def test_first_run_creates_the_clinic_with_its_own_details_and_a_tested_mailbox(
    qtbot, tmp_path, dovecot, smtp, shots
):
    home = tmp_path / "clinic"
    dovecot.add_user("inbox@elm.example", "mailbox secret 42")
    # no keyring here: the key gets a passphrase, and the mailbox cannot be kept (said)
    w = FirstRunWizard(home, keyring=(False, "this computer has no secure password store"))
    qtbot.addWidget(w)
    w.show()
    assert w.clinic_page.name.text() == "" and w.clinic_page.phone.text() == ""
    # nothing filled in: Next refuses and says what is missing, in words
    w.next()
    assert w.currentPage() is w.clinic_page
    said = w.clinic_page.problem.text()
    assert "clinic's name" in said and "telephone" in said and "confirm the emergency" in said
    qtbot.wait(20)
    w.grab().save(str(shots / "first-run-clinic-missing.png"))
    _fill_clinic(w)
    w.clinic_page.confirm_numbers.setChecked(True)
    w.grab().save(str(shots / "first-run-clinic.png"))
    w.next()
    assert w.currentPage() is w.hours_page
    w.hours_page.days[5][0].setChecked(True)  # open Saturdays
    w.hours_page.holidays.setText("2027-01-01, 2027-13-01")
    w.next()
    assert w.currentPage() is w.hours_page and "2027-13-01 is not a date" in (
        w.hours_page.problem.text()
    )
    w.hours_page.holidays.setText("2027-01-01, 2027-07-01")
    w.grab().save(str(shots / "first-run-hours.png"))
    w.next()
    a = w.admin_page
    a.username.setText("boss")
    a.display.setText("Pat Boss")
    a.password.setText("short")
    a.again.setText("short")
    w.next()
    assert w.currentPage() is a and "12 characters" in a.problem.text()
    assert "passphrase" in a.problem.text()  # no keyring here: the passphrase is asked
    a.password.setText(ADMIN_PW)
    a.again.setText(ADMIN_PW)
    a.passphrase.setText(PASSPHRASE)
    a.passphrase_again.setText(PASSPHRASE)
    w.grab().save(str(shots / "first-run-admin.png"))
    w.next()
    assert w.currentPage() is w.email_page
    assert not home.exists()  # nothing written yet

    e = w.email_page
    e.address.setText("inbox@elm.example")
    e.host.setText(dovecot.host)
    e.security.setCurrentIndex(e.security.findData("none"))
    e.port.setValue(dovecot.port)
    e.smtp_host.setText(smtp.host)
    e.smtp_security.setCurrentIndex(e.smtp_security.findData("none"))
    e.smtp_port.setValue(smtp.port)
    # a wrong password: the mail server's refusal in plain words
    e.password.setText("not the password")
    e.run_test()
    said = _wait_test(qtbot, e)
    assert "refused the user name or password" in said and "Traceback" not in said
    # a closed port
    e.port.setValue(free_port())
    e.password.setText("mailbox secret 42")
    e.run_test()
    said = _wait_test(qtbot, e)
    assert "not answering" in said
    # the right ones
    e.port.setValue(dovecot.port)
    e.run_test()
    said = _wait_test(qtbot, e)
    assert said.count("Works:") == 2, said
    w.grab().save(str(shots / "first-run-email.png"))
    for skipped in (w.portal_page, w.staff_page, w.patients_page):  # optional, left empty
        w.next()
        assert w.currentPage() is skipped
    w.next()
    assert w.currentPage() is w.done_page and not w.done_page.isComplete()
    w.create_clinic()
    qtbot.waitUntil(lambda: w.created, timeout=60_000)
    code = w.done_page.code.text()
    status = w.done_page.note.text()
    assert len(code.replace("-", "")) >= 32
    # no keyring, yet the account is kept: its password is sealed in the store
    assert "The email account Clinic email was added" in status
    assert w.button(QWizard.WizardButton.FinishButton).isEnabled()
    w.grab().save(str(shots / "first-run-done.png"))
    pdf = tmp_path / "code.pdf"
    w.save_recovery_pdf(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")

    cfg = load_config(home)
    assert (cfg.name, cfg.phone, cfg.timezone) == (
        "Elm Street Family Practice",
        "204-555-0199",
        "America/Winnipeg",
    )
    assert 5 in cfg.hours and cfg.languages == ("en", "fr")
    assert sorted(d.isoformat() for d in cfg.holidays) == ["2027-01-01", "2027-07-01"]
    clinic = open_clinic(home, lambda p, c: PASSPHRASE, KeyCustody(home, detect=False))
    with clinic:
        s = services.login(clinic, "boss", ADMIN_PW)
        assert [a[1] for a in services.list_accounts(clinic, s)] == ["Clinic email"]
        assert clinic.credentials.get("Clinic email") == "mailbox secret 42"


def test_a_first_run_that_fails_at_creation_leaves_no_store(qtbot, tmp_path, monkeypatch):
    home = tmp_path / "clinic"
    w = FirstRunWizard(home, keyring=(False, "no keyring"))
    qtbot.addWidget(w)
    _fill_clinic(w)
    w.clinic_page.confirm_numbers.setChecked(True)
    a = w.admin_page
    a.username.setText("boss")
    a.password.setText(ADMIN_PW)
    a.again.setText(ADMIN_PW)
    a.passphrase.setText(PASSPHRASE)
    a.passphrase_again.setText(PASSPHRASE)

    def disk_full(*args, **kw):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(services, "create_first_admin", disk_full)
    w.create_clinic()
    qtbot.waitUntil(lambda: w.done_page.create.isEnabled(), timeout=60_000)
    assert not w.created and "nothing was left behind" in w.done_page.status.text()
    assert "No space left" in w.done_page.status.text()
    assert not clinic_exists(home) and not home.exists()


def test_with_a_keyring_the_tested_mailbox_is_kept(qtbot, tmp_path, dovecot, secret_service):
    home = tmp_path / "clinic"
    dovecot.add_user("inbox@elm.example", "mailbox secret 42")
    custody = KeyCustody(home, backend=secret_service.backend())
    w = FirstRunWizard(home, custody=custody)
    qtbot.addWidget(w)
    assert not w.admin_page.needs_passphrase and not w.email_page.keyring_note.isVisibleTo(w)
    _fill_clinic(w)
    w.clinic_page.confirm_numbers.setChecked(True)
    a = w.admin_page
    a.username.setText("boss")
    a.password.setText(ADMIN_PW)
    a.again.setText(ADMIN_PW)
    e = w.email_page
    e.address.setText("inbox@elm.example")
    e.host.setText(dovecot.host)
    e.security.setCurrentIndex(e.security.findData("none"))
    e.port.setValue(dovecot.port)
    e.smtp_security.setCurrentIndex(e.smtp_security.findData("none"))
    e.password.setText("mailbox secret 42")
    w.create_clinic()
    qtbot.waitUntil(lambda: w.created, timeout=60_000)
    assert "Clinic email was added" in w.done_page.note.text()
    from clinic_inbox.core import staff_keys

    # a keyring clinic opens by a staff password (key slots)
    clinic, s = staff_keys.open_signed_in(
        home, "boss", ADMIN_PW, custody=KeyCustody(home, backend=secret_service.backend())
    )
    with clinic:
        assert [a[1] for a in services.list_accounts(clinic, s)] == ["Clinic email"]
        assert clinic.credentials.get("Clinic email") == "mailbox secret 42"


def test_settings_test_a_kept_account_on_a_worker(
    qtbot, tmp_path, dovecot, smtp, secret_service, shots
):
    from clinic_inbox.core.accounts import ImapAccount
    from clinic_inbox.core.clinic_setup import ClinicDetails, FirstAdmin, create_new_clinic
    from clinic_inbox.ui.actions import InlineRunner
    from clinic_inbox.ui.admin import AdminDialog

    home = tmp_path / "clinic"
    dovecot.add_user("inbox@elm.example", "mailbox secret 42")
    details = ClinicDetails("Elm Street", "204-555-0199", "America/Winnipeg")
    clinic, _ = create_new_clinic(
        home,
        details,
        FirstAdmin("boss", "Pat Boss", ADMIN_PW),
        lambda p, c: "",
        KeyCustody(home, backend=secret_service.backend()),
    )
    with clinic:
        admin = services.login(clinic, "boss", ADMIN_PW)
        for name, password in (("Good", "mailbox secret 42"), ("Stale", "an old password")):
            account = ImapAccount(
                name, dovecot.host, dovecot.port, "inbox@elm.example", security="none",
                smtp_host=smtp.host, smtp_port=smtp.port, smtp_security="none",
            )  # fmt: skip
            services.add_imap_account(clinic, admin, account, password)
        dlg = AdminDialog(clinic, admin, runner=InlineRunner(clinic))
        qtbot.addWidget(dlg)
        names = [dlg.accounts_table.item(r, 0).text() for r in range(dlg.accounts_table.rowCount())]
        assert names == ["Good", "Stale"]
        dlg.accounts_table.setCurrentCell(0, 0)
        dlg.test_selected_account()
        assert not dlg.test_account.isEnabled()  # the GUI thread is not the one waiting
        qtbot.waitUntil(lambda: dlg.test_account.isEnabled(), timeout=30_000)
        assert dlg.account_result.text().count("Works:") == 2
        dlg.accounts_table.setCurrentCell(1, 0)
        dlg.test_selected_account()
        qtbot.waitUntil(lambda: dlg.test_account.isEnabled(), timeout=30_000)
        assert "refused the user name or password" in dlg.account_result.text()
        dlg.tabs.setCurrentIndex(dlg.tabs.count() - 1)
        dlg.resize(1000, 640)
        qtbot.wait(20)
        dlg.grab().save(str(shots / "settings-accounts.png"))
