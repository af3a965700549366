"""Schema 14: a proxy's own patient-portal account.

A caregiver who writes through the portal does so from their own portal account (a
FHIR RelatedPerson), not the patient's. `proxies.portal_id` records that account, so
that a portal message sent by it files under the patient only when an authorisation
is on record and in force (core/portal_proxy.py); anyone else writing about a patient
through the portal waits, unlinked, for a person to check.
"""

from clinic_inbox.core.store.migrations._script import run_script

VERSION = 14

SCHEMA = """
ALTER TABLE proxies ADD COLUMN portal_id TEXT;
CREATE INDEX proxies_portal ON proxies (portal_id) WHERE portal_id IS NOT NULL;
"""


def upgrade(store) -> None:  # noqa: ANN001
    run_script(store, SCHEMA)
