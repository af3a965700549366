"""The Settings and Administration screens named in issue 21 are Designer forms
(forms/*.ui, loaded with QUiLoader), not built in code: each form loads, and each
screen holds the form's widgets (so editing the .ui changes the screen)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QWidget
from support.clinics import new_clinic

from clinic_inbox.core.model import Role
from clinic_inbox.ui.actions import InlineRunner
from clinic_inbox.ui.admin import AdminDialog
from clinic_inbox.ui.login import FORMS, load_form
from clinic_inbox.ui.settings import SettingsDialog

FORMS_USED = {
    "settings_clinic.ui": "ClinicSettingsForm",
    "settings_backups.ui": "BackupSettingsForm",
    "account_imap.ui": "ImapAccountForm",
    "account_fhir.ui": "FhirAccountForm",
    "admin_staff.ui": "StaffForm",
}


@pytest.mark.parametrize("name", sorted(FORMS_USED))
def test_each_form_loads(qtbot, name):
    form = load_form(name)
    qtbot.addWidget(form)
    assert form.objectName() == FORMS_USED[name]
    assert Path(FORMS / name).is_file()


def test_the_screens_are_built_from_their_forms(qtbot, tmp_path):
    clinic, admin, _doc = new_clinic(tmp_path / "c")
    with clinic:
        settings = SettingsDialog(clinic, admin, runner=InlineRunner(clinic))
        staff = AdminDialog(clinic, admin, runner=InlineRunner(clinic))
        for dlg in (settings, staff):
            qtbot.addWidget(dlg)
        found = {
            w.objectName()
            for dlg in (settings, staff)
            for w in dlg.findChildren(QWidget)
            if w.objectName() in FORMS_USED.values()
        }
        assert found == set(FORMS_USED.values())
        # the widgets the code drives are the form's own
        assert settings.accounts_tab.imap.port.parent().objectName() == "ImapAccountForm"
        assert settings.backups_tab.keep.parent().parent().objectName() == "BackupSettingsForm"
        assert (
            staff.new_role.count() == len(Role)
            and staff.staff_table.parent().objectName() == "StaffForm"
        )


def test_the_first_runs_mailbox_page_shares_the_email_account_form(qtbot):
    from clinic_inbox.ui.first_run import EmailPage

    page = EmailPage()
    qtbot.addWidget(page)
    page.show()
    assert page.address.parent().objectName() == "ImapAccountForm"
    assert not page.findChild(QWidget, "name").isVisibleTo(page)  # no name row here
    assert (page.port.value(), page.smtp_port.value()) == (993, 465)
    page.security.setCurrentIndex(page.security.findData("starttls"))
    assert page.port.value() == 143
