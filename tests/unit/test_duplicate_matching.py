"""Which records may be one person twice (pure logic, on plain records)."""

from __future__ import annotations

from clinic_inbox.core.patient_duplicates import (
    PatientIdentity as P,
)
from clinic_inbox.core.patient_duplicates import (
    find_possible_duplicates,
    name_key,
)


def test_names_fold_accents_capitals_hyphens_and_spaces():
    assert name_key("Côté-Tremblay", "Hélène") == name_key("COTE TREMBLAY", "helene")
    assert name_key("O'Brien", "Anne-Marie") == name_key("obrien", "Anne Marie")
    assert name_key("Roy", "Marie") != name_key("Roy", "Mario")
    assert name_key("Roy", "Marie") != name_key("Marie", "Roy")  # not swapped fields


def test_pairs_found_with_their_reasons_and_the_chart_record_suggested_to_keep():
    people = [
        P(1, "cote tremblay", "helene", "1950-03-02", None, "pt-1"),
        P(2, "Côté-Tremblay", "Hélène", "1950-03-02", "EMR-1", None),
        P(3, "Roy", "Marie", "1941-06-02", "EMR-3", None),
        P(4, "Roy", "Marie", "1941-06-02", "OLD-17", None),
        P(5, "Roy", "Marie", "1977-01-15", None, "pt-5"),  # another Marie Roy
        P(6, "Smith", "Jo", None, None, None),
        P(7, "Smith", "Jo", "1990-01-01", None, None),
        P(8, "(unknown)", "(unknown)", None, None, "pt-8"),  # nameless portal records
        P(9, "(unknown)", "(unknown)", None, None, "pt-9"),
        P(10, "Lee", "Kim", "2000-01-01", None, "pt-10"),
        P(11, "Lee", "Kim", "2000-01-01", None, "pt-11"),
    ]
    found = find_possible_duplicates(people)
    pairs = [(d.keep.id, d.duplicate.id) for d in found]
    # both dates given first; the record with a chart number (else the older) kept
    assert pairs == [(2, 1), (10, 11), (3, 4), (6, 7)]
    by = {(d.keep.id, d.duplicate.id): d.describe() for d in found}
    assert "accents" in by[2, 1] and "only one came from the portal" in by[2, 1]
    assert "different chart numbers (EMR-3 and OLD-17)" in by[3, 4]
    assert by[3, 4].startswith("same name")
    assert "two portal accounts" in by[10, 11]
    assert "one record has no date of birth" in by[6, 7]


def test_a_record_alone_or_two_birth_dates_apart_is_no_duplicate():
    assert find_possible_duplicates([P(1, "Roy", "Marie", "1941-06-02", "A", None)]) == []
    assert (
        find_possible_duplicates(
            [
                P(1, "Roy", "Marie", "1941-06-02", "A", None),
                P(2, "Roy", "Marie", "1941-06-03", None, "pt"),
            ]
        )
        == []
    )


def test_pairs_found_to_be_two_people_are_left_out():
    people = [
        P(1, "Roy", "Marie", "1941-06-02", "A", None),
        P(2, "Roy", "Marie", "1941-06-02", "B", None),
        P(3, "Roy", "Marie", None, None, "pt"),
    ]
    pairs = [(d.keep.id, d.duplicate.id) for d in find_possible_duplicates(people, {(1, 2)})]
    assert pairs == [(1, 3), (2, 3)]
