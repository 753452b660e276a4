"""The mirror's stopgap search syntax (litbase.mirror.query): exact conditions and parameters, and its errors.

It needs no DuckDB: the condition is text until the mirror runs it (tests/test_mirror.py runs it).
"""

from __future__ import annotations

import pytest

from litbase.mirror.query import QuerySyntaxError, to_condition

TEXT = "contains(lower(coalesce(a.title, '') || ' ' || coalesce(a.abstract, '')), ?)"


def test_fields_operators_and_parentheses():
    sql, params = to_condition("peer support[tiab] AND (residency[ti] OR Smith J[au]) NOT 2019[dp]")
    assert sql == (f"(({TEXT} AND (contains(lower(coalesce(a.title, '')), ?) OR a.pmid IN (SELECT u.pmid FROM"
                   " authors u WHERE lower(u.last_name) = ? AND u.initials LIKE ?))) AND NOT a.year BETWEEN ? AND ?)")
    assert params == ["peer support", "residency", "smith", "J%", 2019, 2019]


def test_untagged_words_are_anded_and_phrases_kept_whole():
    assert to_condition("burnout wellness") == (f"({TEXT} AND {TEXT})", ["burnout", "wellness"])
    assert to_condition('"peer support" OR mentoring[mh]') == (
        f"({TEXT} OR a.pmid IN (SELECT m.pmid FROM mesh m WHERE lower(m.descriptor) = ?))",
        ["peer support", "mentoring"])
    assert to_condition("2015:2020[dp] AND J Synth Med Educ[ta]") == (
        "(a.year BETWEEN ? AND ? AND (lower(a.journal) = ? OR lower(a.iso_abbreviation) = ?))",
        [2015, 2020, "j synth med educ", "j synth med educ"])
    assert to_condition("35392492[pmid]") == ("a.pmid = ?", [35392492])
    assert to_condition("all[sb]") == ("TRUE", [])


@pytest.mark.parametrize("query, message", [
    ("(a", "a parenthesis is not closed"),
    ("a[xx]", "the mirror's search does not know the field [xx]"),
    ("AND a", "'AND' where a term is expected"),
    ("x[dp]", "x[dp]: a year (2020) or a range (2015:2020) is expected"),
    ("12a[pmid]", "12a[pmid]: a PMID is a positive whole number"),
    ("  ", "the query is empty"),
])
def test_what_it_cannot_read_is_named(query, message):
    with pytest.raises(QuerySyntaxError) as caught:
        to_condition(query)
    assert str(caught.value) == message
