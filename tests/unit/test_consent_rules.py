"""The rules of consent, proxies and minors, as decision tables (pure logic)."""

from __future__ import annotations

from datetime import date

import pytest

from clinic_inbox.core import consent, proxies
from clinic_inbox.core.consent import Agreement, ConsentNeeded, State
from clinic_inbox.core.model import Category
from clinic_inbox.core.proxies import MinorRules, Proxy

TODAY = date(2026, 12, 1)
RULES = MinorRules("ON", parent_access_ends_at=16, sensitive_private_from=12)


def agreement(channels=("email", "portal"), agreed="2025-01-10", ended=None, how=None, why=None):
    return Agreement(
        1, 7, frozenset(channels), "v1", agreed, "signed-form", "dr.p", ended, how, why
    )


# -- agreement state × channel ---------------------------------------------------------
@pytest.mark.parametrize(
    ("a", "state", "email", "portal"),
    [
        (None, State.NONE, False, False),
        (agreement(), State.AGREED, True, True),
        (agreement(("portal",)), State.AGREED, False, True),
        (agreement(agreed="2026-12-02"), State.NONE, False, False),  # dated ahead
        (agreement(ended="2026-11-30", how="opted-out"), State.OPTED_OUT, False, False),
        (
            agreement(ended="2026-12-01", how="clinic-ended", why="misuse"),
            State.ENDED,
            False,
            False,
        ),
        (agreement(ended="2026-12-05", how="opted-out"), State.AGREED, True, True),  # not yet
    ],
)
def test_agreement_state_and_channels(a, state, email, portal):
    assert consent.state_of(a, TODAY) is state
    assert consent.allows(a, "email", TODAY) is email
    assert consent.allows(a, "portal", TODAY) is portal


# -- which receipt: established × state × channel ---------------------------------------
@pytest.mark.parametrize(
    ("known", "a", "kind"),
    [
        (False, None, "ack_not_patient"),
        (False, agreement(), "ack_not_patient"),  # an address not on file: nobody's chart
        (True, None, "ack_no_agreement"),
        (True, agreement(("portal",)), "ack_no_agreement"),
        (True, agreement(ended="2026-01-01", how="opted-out"), "ack_opted_out"),
        (True, agreement(ended="2026-01-01", how="clinic-ended", why="x"), "ack_opted_out"),
        (True, agreement(), "acknowledgement"),
    ],
)
def test_which_receipt(known, a, kind):
    got = consent.acknowledgement_kind(
        known, consent.state_of(a, TODAY), "email", consent.allows(a, "email", TODAY)
    )
    assert got == kind


def test_reply_needs_agreement_or_a_reason():
    assert consent.check_reply("Ann", agreement(), "email", TODAY, None) is None
    with pytest.raises(ConsentNeeded, match="has not agreed to email"):
        consent.check_reply("Ann", None, "email", TODAY, None)
    with pytest.raises(ConsentNeeded, match="has not agreed"):
        consent.check_reply("Ann", None, "email", TODAY, "   ")
    assert consent.check_reply("Ann", None, "email", TODAY, " verbal today ") == "verbal today"
    # an opt-out is not overridden by a reason: no email, ever
    out = agreement(ended="2026-01-01", how="opted-out")
    with pytest.raises(ConsentNeeded, match="opted out"):
        consent.check_reply("Ann", out, "email", TODAY, "verbal today")


def test_describe_in_plain_words():
    assert "No agreement" in consent.describe(None, TODAY)
    assert consent.describe(agreement(), TODAY).startswith(
        "Agreed to email and portal on 2025-01-10"
    )
    assert "Opted out" in consent.describe(agreement(ended="2026-01-01", how="opted-out"), TODAY)
    ended = agreement(ended="2026-01-01", how="clinic-ended", why="repeated misuse")
    assert "(repeated misuse)" in consent.describe(ended, TODAY)


def test_terms_have_versions_in_both_languages(tmp_path):
    assert "v1" in consent.terms_versions()
    assert "Who reads your messages" in consent.terms_text("v1", "en")
    assert "Qui lit vos messages" in consent.terms_text("v1", "fr")
    assert consent.terms_text("v1", "es") == consent.terms_text("v1", "en")
    # a clinic's own, newer terms sit in its data folder
    (tmp_path / "terms").mkdir()
    (tmp_path / "terms" / "v2.en.txt").write_text("Our new terms")
    (tmp_path / "terms" / "v10.en.txt").write_text("Much later")
    assert consent.terms_versions(tmp_path)[-2:] == ["v2", "v10"]
    assert consent.terms_text("v2", "fr", tmp_path) == "Our new terms"
    with pytest.raises(ValueError, match="no terms"):
        consent.terms_text("v3", "en", tmp_path)


# -- CSV from the EMR --------------------------------------------------------------------
HEADER = "chart_number,agreed_on,channels,terms_version,how,ended_on,ended_how,end_reason\n"


def test_csv_good_rows():
    rows = consent.parse_csv(
        HEADER
        + "RFH-1,2025-02-03,email;portal,v1,signed-form,,,\n"
        + "RFH-2,2024-05-06,email,v1,,2025-01-01,opted-out,\n",
        ["v1"],
        TODAY,
    )
    assert [r.chart_number for r in rows] == ["RFH-1", "RFH-2"]
    assert rows[0].channels == {"email", "portal"}
    assert rows[1].how == "emr-import" and rows[1].ended_how == "opted-out"


def test_csv_bad_rows_each_named_by_line_nothing_returned():
    text = (
        HEADER
        + "RFH-1,2025-02-03,email,v1,signed-form,,,\n"  # line 2: fine
        + "RFH-3,03/02/2025,email,v1,signed-form,,,\n"  # line 3: date
        + "RFH-4,2025-02-03,fax,v1,signed-form,,,\n"  # line 4: channel
        + "RFH-5,2025-02-03,email,v9,signed-form,,,\n"  # line 5: terms
        + "RFH-1,2025-02-03,email,v1,signed-form,,,\n"  # line 6: duplicate
        + "RFH-7,2025-02-03,email,v1,signed-form,2025-03-01,clinic-ended,\n"  # line 7: no reason
        + ",2099-01-01,email,v1,telepathy,,,\n"  # line 8: several
    )
    with pytest.raises(consent.ImportError_) as err:
        consent.parse_csv(text, ["v1"], TODAY)
    lines = [p.split(":")[0] for p in err.value.problems]
    assert lines == [f"Line {n}" for n in (3, 4, 5, 6, 7, 8)]
    words = str(err.value)
    assert words.startswith("Nothing was imported")
    assert "is already on line 2" in words and "in the future" in words and "telepathy" in words


def test_csv_missing_column():
    with pytest.raises(consent.ImportError_, match="Line 1: the header lacks the column"):
        consent.parse_csv("chart_number,agreed_on\nRFH-1,2025-01-01\n", ["v1"], TODAY)


# -- proxies × scope × age × sensitivity ---------------------------------------------------
def proxy(rel="caregiver", scope=("results",), starts="2025-01-01", ends=None, revoked=None):
    return Proxy(
        3, 7, "Carmen Delgado", rel, "c@x.example", frozenset(scope), starts, ends, "form", revoked
    )


@pytest.mark.parametrize(
    ("p", "born", "category", "sensitive", "allowed", "why"),
    [
        # scope
        (proxy(), "1948-03-12", Category.RESULTS, False, True, ""),
        (proxy(), "1948-03-12", Category.MEASUREMENTS, False, True, ""),
        (proxy(), "1948-03-12", Category.REFILL, False, False, "not for prescription refill"),
        (proxy(scope=("appointments",)), "1948-03-12", Category.FORMS, False, True, ""),
        (proxy(scope=("everything",)), "1948-03-12", Category.OTHER, True, True, ""),
        (proxy(), "1948-03-12", Category.RESULTS, True, False, "not authorised for sensitive"),
        # dates
        (proxy(starts="2026-12-02"), "1948-03-12", Category.RESULTS, False, False, "starts on"),
        (proxy(ends="2026-11-30"), "1948-03-12", Category.RESULTS, False, False, "ended on"),
        (proxy(ends="2026-12-01"), "1948-03-12", Category.RESULTS, False, True, ""),  # last day
        (
            proxy(revoked="2026-06-01T10:00:00"),
            "1948-03-12",
            Category.RESULTS,
            False,
            False,
            "withdrawn",
        ),
        # minors: a parent of a young child, of a 12-year-old, of a 16-year-old
        (proxy("parent", ("everything",)), "2020-05-05", Category.OTHER, True, True, ""),
        (proxy("parent", ("everything",)), "2014-06-01", Category.OTHER, False, True, ""),
        (proxy("parent", ("everything",)), "2014-06-01", Category.OTHER, True, False, "from 12"),
        (
            proxy("parent", ("everything",)),
            "2010-11-30",
            Category.APPOINTMENT,
            False,
            False,
            "ends at 16",
        ),
        (
            proxy("guardian", ("everything",)),
            "2010-12-02",
            Category.APPOINTMENT,
            False,
            True,
            "",
        ),  # 15
        # an adult's caregiver is not a parent: age rules do not apply
        (proxy("attorney", ("everything",)), "2009-01-01", Category.OTHER, True, True, ""),
    ],
)
def test_proxy_verdicts(p, born, category, sensitive, allowed, why):
    v = proxies.verdict(p, born, category, sensitive, TODAY, RULES)
    assert v.allowed is allowed
    assert why in v.why


@pytest.mark.parametrize(
    ("born", "day", "age"),
    [
        ("2010-12-01", date(2026, 12, 1), 16),
        ("2010-12-02", date(2026, 12, 1), 15),
        ("2008-02-29", date(2026, 2, 28), 17),
        ("2008-02-29", date(2026, 3, 1), 18),
        (None, date(2026, 3, 1), None),
    ],
)
def test_age_on(born, day, age):
    assert proxies.age_on(born, day) == age


def test_quebec_rules_from_toml():
    rules = MinorRules.from_toml(
        {
            "minors": {
                "jurisdiction": "QC",
                "parent_access_ends_at": 14,
                "sensitive_private_from": 14,
            }
        }
    )
    p = proxy("parent", ("everything",))
    assert not proxies.verdict(p, "2012-01-01", Category.APPOINTMENT, False, TODAY, rules).allowed
    assert proxies.verdict(p, "2013-01-01", Category.OTHER, True, TODAY, rules).allowed
    with pytest.raises(ValueError, match="at most"):
        MinorRules.from_toml(
            {"minors": {"parent_access_ends_at": 12, "sensitive_private_from": 14}}
        )
    assert MinorRules.from_toml({}) == MinorRules()


def test_new_authorisation_is_complete():
    ok = dict(
        relationship="caregiver",
        scope=frozenset({"results"}),
        address="c@x.example",
        starts_on="2026-01-01",
        ends_on=None,
        evidence="signed form",
        patient_emails=("r@x.example",),
    )
    proxies.check_new(**ok)
    for change, words in [
        ({"relationship": "neighbour"}, "Choose who they are"),
        ({"scope": frozenset({"gossip"})}, "Choose what they may write about"),
        ({"scope": frozenset()}, "Choose what"),
        ({"address": "c@x.example\r\nBcc: y@z"}, "not an email address"),
        ({"address": "R@X.example"}, "the patient's own"),
        ({"evidence": " "}, "what authorises them"),
        ({"ends_on": "2025-01-01"}, "cannot end before"),
    ]:
        with pytest.raises(ValueError, match=words):
            proxies.check_new(**{**ok, **change})
