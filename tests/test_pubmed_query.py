"""PubMed's query syntax: the tree it reads, PubMed-style details, the FTS5 expression, the errors."""

from __future__ import annotations

import pytest

from litbase.model.pubmed_query import Filter, Operation, QuerySyntaxError, Term, Years, details, parse
from litbase.store.search import filtered_search_sql, fts_expression


def test_implicit_and_between_words():
    assert parse("peer support") == Operation("AND", Term(("peer",)), Term(("support",)))


def test_operators_are_read_left_to_right_as_pubmed_does():
    # PubMed: "burnout OR stress AND residents" is (burnout OR stress) AND residents.
    tree = parse("burnout OR stress AND residents")
    assert tree == Operation("AND", Operation("OR", Term(("burnout",)), Term(("stress",))), Term(("residents",)))
    assert details(tree) == "(burnout[All Fields] OR stress[All Fields]) AND residents[All Fields]"
    # FTS5's own precedence (NOT > AND > OR) is overridden by explicit parentheses.
    assert fts_expression("burnout OR stress AND residents") == '(("burnout" OR "stress") AND "residents")'
    assert fts_expression("burnout stress OR wellness") == '(("burnout" AND "stress") OR "wellness")'
    assert fts_expression("wellness NOT students") == '("wellness" NOT "students")'


def test_parentheses_group():
    assert details(parse("residents AND (burnout OR stress) NOT students")) == (
        "(residents[All Fields] AND (burnout[All Fields] OR stress[All Fields])) NOT students[All Fields]")
    assert fts_expression("residents AND (burnout OR stress)") == '("residents" AND ("burnout" OR "stress"))'


def test_lower_case_operators_and_stopwords_are_words_pubmed_leaves_out():
    assert details(parse("support for residents and fellows")) == (
        "(support[All Fields] AND residents[All Fields]) AND fellows[All Fields]")
    assert fts_expression("peer & support") == '("peer" AND "support")'


def test_phrases_and_truncation():
    assert parse('"peer support"') == Term(("peer", "support"), quoted=True)
    assert parse("residen*") == Term(("residen",), truncated=True)
    assert fts_expression("residen*") == '"residen" *'
    assert fts_expression('"breast feed*"') == '"breast feed" *'
    # Punctuation inside a term is FTS5's tokenizer's business, never syntax.
    assert fts_expression("covid-19") == '"covid-19"'


@pytest.mark.parametrize("query, expression, shown", [
    ("burnout[ti]", '{title} : "burnout"', "burnout[Title]"),
    ("burnout[TITLE]", '{title} : "burnout"', "burnout[Title]"),
    ('"peer support"[tiab]', '{title abstract keywords} : "peer support"', '"peer support"[Title/Abstract]'),
    ("peer support[Title/Abstract]", '{title abstract keywords} : "peer support"', '"peer support"[Title/Abstract]'),
    ("wellness[tw]", '{title abstract keywords mesh_terms publication_types} : "wellness"', "wellness[Text Word]"),
    ("jain a[au]", '{authors} : "jain a" *', '"jain a*"[Author]'),
    ("Riddell[author]", '{authors} : "Riddell"', "Riddell[Author]"),
    ("Burnout, Professional[mh]", '{mesh_terms} : "Burnout, Professional"', '"Burnout, Professional"[MeSH Terms]'),
    ("resilience[ot]", '{keywords} : "resilience"', "resilience[Other Term]"),
    ('"AEM Educ Train"[ta]', '{journal journal_iso} : "AEM Educ Train"', '"AEM Educ Train"[Journal]'),
    ("acad med[jour]", '{journal journal_iso} : "acad med"', '"acad med"[Journal]'),
    ("review[pt]", '{publication_types} : "review"', "review[Publication Type]"),
    ("2022[dp]", '{year} : ("2022")', "2022[Publication Date]"),
    ("2019:2021[dp]", '{year} : ("2019" OR "2020" OR "2021")', "2019:2021[Publication Date]"),
    ("2019/03/01:2020/06[pdat]", '{year} : ("2019" OR "2020")', "2019/03/01:2020/06[Publication Date]"),
    ("peer[all]", '"peer"', "peer[All Fields]"),
])
def test_field_tags(query, expression, shown):
    assert fts_expression(query) == expression
    assert details(parse(query)) == shown


def test_a_range_to_3000_means_to_now_and_stops_at_2100():
    assert parse("2015:3000[dp]") == Years(2015, 2100, "2015:3000")


def test_a_date_range_as_pubmeds_search_details_write_it():
    assert parse('"2019/01/01"[Date - Publication] : "3000"[Date - Publication]') == Years(
        2019, 2100, "2019/01/01:3000")
    assert parse('"2019"[dp]:"2021"[dp]') == Years(2019, 2021, "2019:2021")
    assert details(parse('burnout AND ("2019"[dp] : "2021"[dp])')) == (
        "burnout[All Fields] AND 2019:2021[Publication Date]")
    with pytest.raises(QuerySyntaxError, match="needs a \\[dp\\] date after it"):
        parse('"2019"[dp] : burnout')


def test_tagged_terms_mix_with_untagged_ones():
    assert fts_expression('peer support[ti] AND 2022[dp] residen*') == (
        '(({title} : "peer support" AND {year} : ("2022")) AND "residen" *)')


def test_within_columns_keeps_a_term_of_other_columns_as_a_plain_condition():
    assert fts_expression("peer support", "title") == '({title} : "peer" AND {title} : "support")'
    assert fts_expression('"peer support"[tiab]', "abstract") == '{abstract} : "peer support"'
    assert fts_expression("jain a[au] OR burnout", "title") == '({authors} : "jain a" * OR {title} : "burnout")'
    # No term can be in the title: an empty phrase, which matches nothing at once.
    assert fts_expression("jain a[au] AND 2022[dp]", "title") == '""'


@pytest.mark.parametrize("query, message, position", [
    ("", "The search is empty: type a word, a phrase or a field-tagged term", None),
    ("peer AND", "AND needs a term after it", 5),
    ("AND peer", "AND needs a term before it", 0),
    ("NOT students", "NOT needs a term before it", 0),
    ("peer OR OR stress", "OR needs a term after it", 5),
    ("(peer support", "The parenthesis is never closed", 0),
    ("peer support)", "Unexpected ): it closes no (", 12),
    ("()", "The parentheses hold nothing to search for", 0),
    ("peer support[tiabx]", "Unknown field tag [tiabx]", 12),
    ("[ti]", "The field tag [ti] follows no term", 0),
    ("(burnout OR stress)[ti]", "The field tag [ti] cannot follow a parenthesis", 19),
    ("burnout[ti][au]", "The field tag [au] cannot follow a field tag", 11),
    ("res*", 'A truncated term needs at least 4 characters before the *: "res*"', 0),
    ("organi*ation", 'Only the end of a term can be truncated: "organi*ation"', 0),
    ('"colo* cancer*"', 'Only the end of a term can be truncated: "colo* cancer*"', 0),
    ('"peer support', "The quotation mark is never closed", 0),
    ("burnout[ti", "The bracket [ is never closed", 7),
    ("recent[dp]", '"recent" is not a date: write YYYY, YYYY/MM or YYYY/MM/DD (a range as 2019:2021)', 6),
    ("2021:2019[dp]", 'The date range "2021:2019" ends before it starts', 9),
    ("the of", "Nothing to search for: only stopwords (and, the, of...) or punctuation", None),
])
def test_what_cannot_be_read_says_what_and_where(query, message, position):
    with pytest.raises(QuerySyntaxError) as raised:
        parse(query)
    assert (raised.value.message, raised.value.position) == (message, position)
    where = f" (at character {position + 1})" if position is not None else ""
    assert str(raised.value) == message + where


def test_pmid_doi_and_subsets_are_facts_of_the_record():
    assert parse("35392492[pmid]") == Filter("pmid", "35392492", "35392492")
    assert parse("1 02[uid]") == Operation("OR", Filter("pmid", "1", "1"), Filter("pmid", "2", "02"))
    assert parse("10.1002/AET2.10728[aid]") == Filter("doi", "10.1002/aet2.10728", "10.1002/AET2.10728")
    assert parse("burnout hasabstract") == Operation("AND", Term(("burnout",)), Filter("sb", "hasabstract",
                                                                                         "hasabstract"))
    assert parse('"hasabstract"') == Term(("hasabstract",), quoted=True)  # quoted: the word itself
    assert parse("Free Full Text[SB]") == Filter("sb", "pmc", "Free Full Text")
    assert details(parse("burnout[ti] NOT medline[sb] OR 7[pmid]")) == (
        "(burnout[Title] NOT medline[Filter]) OR 7[UID]")
    assert details(parse("free full text[sb]")) == '"free full text"[Filter]'


def test_a_filtered_tree_is_a_condition_each_indexed_part_one_match():
    sql, params = filtered_search_sql(parse("(burnout OR stress) AND hasabstract NOT 7[pmid]"))
    condition = ("((a.pmid in (select rowid from articles_fts where articles_fts match ?) AND"
                 " coalesce(a.abstract, '') <> '') AND NOT a.pmid = ?)")
    assert sql.split("from articles a\n", 1)[1] == (
        f"where {condition}\norder by 4 * ({condition})\n  + 2 * ({condition})\n  + 1 * ({condition})"
        " desc, a.pmid\nlimit 200")
    assert params == ['("burnout" OR "stress")', 7, '({title} : "burnout" OR {title} : "stress")', 7,
                      '({abstract} : "burnout" OR {abstract} : "stress")', 7,
                      '({keywords mesh_terms} : "burnout" OR {keywords mesh_terms} : "stress")', 7]


@pytest.mark.parametrize("query, message", [
    ("x[la]", "PubMed's field tag [la] (Language) is not searched here: the local index does not hold it"),
    ("aim[sb]", 'The subset "aim" [sb] is not one litbase can answer from the records (it answers hasabstract,'
                " pubmed pmc, free full text, medline, pubmednotmedline)"),
    ("12a[pmid]", '"12a" is not a PMID: [pmid] takes the digits of one or more PMIDs'),
])
def test_a_tag_or_subset_litbase_cannot_answer_says_so(query, message):
    with pytest.raises(QuerySyntaxError) as caught:
        parse(query)
    assert caught.value.message == message


def test_the_site_search_leaves_filters_to_find():
    with pytest.raises(QuerySyntaxError) as caught:
        fts_expression("burnout AND 7[pmid]")
    assert caught.value.message == ("[pmid], [doi], [sb] and hasabstract are searched by `litbase find`, not by"
                                    " this page, which searches the text index only")
