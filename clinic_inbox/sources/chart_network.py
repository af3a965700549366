"""The two network steps after filing to the chart, for `services_chart.file_to_chart`
(core holds the steps' order, the access check and the audit; this module only talks
to the servers): the conversation's emails moved to the account's Filed folder, and
the FHIR copy sent to a portal as one transaction. Neither raises for a network
problem: it comes back in plain words, and the chart copy stays filed."""

from __future__ import annotations

import logging

from clinic_inbox.core.accounts import FhirAccount
from clinic_inbox.core.home import Clinic
from clinic_inbox.core.keys import KeyCustodyError
from clinic_inbox.sources.errors import SourceError
from clinic_inbox.sources.filed_folder import move_filed

log = logging.getLogger(__name__)


class LiveChartNetwork:
    """The real servers (the app and the CLI); tests may hand `file_to_chart` their own."""

    def move_filed(self, clinic: Clinic, thread_id: int) -> tuple[int, list[str]]:
        return move_filed(clinic, thread_id)

    def send_bundle(self, clinic: Clinic, portal: FhirAccount, bundle: dict) -> str | None:
        from clinic_inbox.sources.fhir_client import FhirClient
        from clinic_inbox.sources.sync import _optional_secret

        try:
            token = _optional_secret(clinic, portal.name)
            with FhirClient(portal.base_url, token, portal.ca_file) as fc:
                fc.transaction(bundle)
        except (SourceError, KeyCustodyError) as exc:
            # the error's own words name the server and the cause, never the patient
            log.info("chart copy not sent to %s: %s", portal.name, type(exc).__name__)
            return (
                f"The chart copy was not sent to {portal.name}: {exc} It is filed in the "
                "folder; send it again later."
            )
        return None


LIVE = LiveChartNetwork()
