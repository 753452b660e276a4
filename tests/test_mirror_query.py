"""``search --mirror`` reads PubMed's syntax with the shared parser: the DuckDB condition of each form,
the same error lines as ``litbase find``, and the same PMIDs as ``find`` for the same records.

The compile tests need no DuckDB: the condition is text until the mirror runs it. The comparison
builds a SQLite base (``litbase import``) and a mirror (``build_mirror``, a Dask cluster of threads)
from one PubMed XML file of four synthetic records made up here, shaped like PubMed's and written to
fall between a substring and a word match ("residentship", "Smithson", "peer-support").
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlite_utils
from click.testing import CliRunner

from litbase.cli import cli
from litbase.mirror.query import ALL_PARTS, FIELD_PARTS, QuerySyntaxError, pattern, to_condition
from litbase.store.collections import members
from litbase.store.schema import FTS_CONFIG
from litbase.store.search import FIELD_COLUMNS

W, E = r"(^|[^\pL\pN])", r"([^\pL\pN]|$)"  # a word's start and end
TITLE = "lower(coalesce(a.title, ''))"
ABSTRACT = "lower(coalesce(a.abstract, ''))"
KEYWORDS = "lower(coalesce(array_to_string(json_extract_string(a.record, '$.keywords[*]'), ' '), ''))"
TYPES = "lower(coalesce(array_to_string(json_extract_string(a.record, '$.publication_types[*].name'), ' '), ''))"
JOURNAL, ISO = "lower(coalesce(a.journal, ''))", "lower(coalesce(a.iso_abbreviation, ''))"
BYLINE = "lower(coalesce(u.collective_name, concat_ws(' ', u.last_name, u.initials)))"


def row(text: str, n: int) -> str:
    return f"(contains({text}, ${n}) AND regexp_matches({text}, ${n + 1}))"


def table(name: str, alias: str, text: str, n: int) -> str:
    return (f"a.pmid IN (SELECT {alias}.pmid FROM {name} {alias} WHERE contains({text}, ${n})"
            f" AND regexp_matches({text}, ${n + 1}))")


def test_the_mirror_searches_the_parts_the_local_index_searches():
    assert FIELD_PARTS == FIELD_COLUMNS
    assert ALL_PARTS == FTS_CONFIG["articles"]


def test_tags_operators_and_parentheses_left_to_right():
    sql, params = to_condition("peer support[tiab] AND (residency[ti] OR Smith J[au]) NOT 2019[dp]")
    assert sql == (f"((({row(TITLE, 1)} OR {row(ABSTRACT, 1)} OR {row(KEYWORDS, 1)}) AND ({row(TITLE, 3)} OR"
                   f" {table('authors', 'u', BYLINE, 5)})) AND NOT a.year BETWEEN $7 AND $8)")
    assert params == ["support", f"{W}peer[^\\pL\\pN]+support{E}", "residency", f"{W}residency{E}",
                      "smith", f"{W}smith[^\\pL\\pN]+j", 2019, 2019]
    # PubMed reads a OR b AND c as (a OR b) AND c.
    sql, params = to_condition("burnout[ti] OR stress[ti] AND residents[ti]")
    assert sql == f"(({row(TITLE, 1)} OR {row(TITLE, 3)}) AND {row(TITLE, 5)})"
    assert params[::2] == ["burnout", "stress", "residents"]


def test_a_term_without_a_tag_searches_every_part():
    sql, params = to_condition("residen*")
    assert sql == (f"({row(TITLE, 1)} OR {row(ABSTRACT, 1)} OR {row(KEYWORDS, 1)} OR"
                   f" {table('mesh', 'm', 'lower(m.descriptor)', 1)} OR {table('authors', 'u', BYLINE, 1)} OR"
                   f" {row(JOURNAL, 1)} OR {row(ISO, 1)} OR {row(TYPES, 1)} OR"
                   f" (contains(coalesce(CAST(a.year AS VARCHAR), ''), $1) AND"
                   f" regexp_matches(coalesce(CAST(a.year AS VARCHAR), ''), $2)))")
    assert params == ["residen", f"{W}residen"]
    # Untagged words are ANDed; stopwords are passed over, as PubMed does.
    sql, params = to_condition("support for residents")
    assert params == ["support", f"{W}support{E}", "residents", f"{W}residents{E}"]
    assert sql.startswith(f"(({row(TITLE, 1)} OR") and sql.endswith("$4))))")


@pytest.mark.parametrize("query, sql, params", [
    ('"peer support"[ab]', row(ABSTRACT, 1), ["support", f"{W}peer[^\\pL\\pN]+support{E}"]),
    ("covid-19[ti]", row(TITLE, 1), ["covid", f"{W}covid[^\\pL\\pN]+19{E}"]),
    ('"breast feed*"[tw]', f"({row(TITLE, 1)} OR {row(ABSTRACT, 1)} OR {row(KEYWORDS, 1)} OR"
                           f" {table('mesh', 'm', 'lower(m.descriptor)', 1)} OR {row(TYPES, 1)})",
     ["breast", f"{W}breast[^\\pL\\pN]+feed"]),
    ("burnout, professional[mh]", table("mesh", "m", "lower(m.descriptor)", 1),
     ["professional", f"{W}burnout[^\\pL\\pN]+professional{E}"]),
    ("mentoring[ot]", row(KEYWORDS, 1), ["mentoring", f"{W}mentoring{E}"]),
    ("acad med[jour]", f"({row(JOURNAL, 1)} OR {row(ISO, 1)})", ["acad", f"{W}acad[^\\pL\\pN]+med{E}"]),
    ("review[pt]", row(TYPES, 1), ["review", f"{W}review{E}"]),
    ("2015:2020[dp]", "a.year BETWEEN $1 AND $2", [2015, 2020]),
    ('"2019/03/01"[dp] : "2021"[dp]', "a.year BETWEEN $1 AND $2", [2019, 2021]),
    ("smith[au]", table("authors", "u", BYLINE, 1), ["smith", f"{W}smith{E}"]),
    ("35392492[pmid]", "a.pmid = $1", [35392492]),
    ("1 2[uid]", "(a.pmid = $1 OR a.pmid = $2)", [1, 2]),
    ("10.1002/AET2.10728[doi]", "lower(a.doi) = $1", ["10.1002/aet2.10728"]),
    ("hasabstract", "coalesce(a.abstract, '') <> ''", []),
    ("free full text[sb]", "coalesce(a.pmcid, '') <> ''", []),
    ("medline[sb]", "json_extract_string(a.record, '$.medline_status') = 'MEDLINE'", []),
])
def test_each_form(query, sql, params):
    assert to_condition(query) == (sql, params)


def test_a_pattern_is_whole_words_and_a_truncated_last_word_is_a_prefix():
    assert pattern(["peer", "support"], False) == f"{W}peer[^\\pL\\pN]+support{E}"
    assert pattern(["residen"], True) == f"{W}residen"


@pytest.mark.parametrize("query, message", [
    ("(heart", "The parenthesis is never closed (at character 1)"),
    ("a[xx]", "Unknown field tag [xx] (at character 2)"),
    ("AND a", "AND needs a term before it (at character 1)"),
    ("x[dp]", '"x" is not a date: write YYYY, YYYY/MM or YYYY/MM/DD (a range as 2019:2021) (at character 2)'),
    ("res*", 'A truncated term needs at least 4 characters before the *: "res*" (at character 1)'),
    ("a[ad]", "PubMed's field tag [ad] (Affiliation) is not searched here: the local index does not hold it"
              " (at character 2)"),
    ("aim[sb]", 'The subset "aim" [sb] is not one litbase can answer from the records (it answers hasabstract,'
                " pubmed pmc, free full text, medline, pubmednotmedline) (at character 1)"),
    ("pmid1[pmid]", '"pmid1" is not a PMID: [pmid] takes the digits of one or more PMIDs (at character 1)'),
    ("  ", "The search is empty: type a word, a phrase or a field-tagged term"),
])
def test_what_it_cannot_read_is_named_as_the_shared_parser_names_it(query, message):
    with pytest.raises(QuerySyntaxError) as caught:
        to_condition(query)
    assert str(caught.value) == message


def _record(pmid: int, title: str, year: int, journal: tuple[str, str], authors: list[str], mesh: str,
            abstract: str = "", keywords: tuple[str, ...] = (), kind: str = "Journal Article",
            status: str = "MEDLINE", ids: tuple[tuple[str, str], ...] = ()) -> str:
    names = "".join(f"<Author><CollectiveName>{a}</CollectiveName></Author>" if " " in a.split(":")[0]
                    else f"<Author><LastName>{a.split(':')[0]}</LastName><Initials>{a.split(':')[1]}</Initials>"
                    f"</Author>" for a in authors)
    words = "".join(f"<Keyword>{k}</Keyword>" for k in keywords)
    article_ids = "".join(f'<ArticleId IdType="{kind}">{value}</ArticleId>' for kind, value in ids)
    return (f'<PubmedArticle><MedlineCitation Status="{status}"><PMID Version="1">{pmid}</PMID><Article>'
            f"<Journal><JournalIssue><PubDate><Year>{year}</Year></PubDate></JournalIssue><Title>{journal[0]}"
            f"</Title><ISOAbbreviation>{journal[1]}</ISOAbbreviation></Journal><ArticleTitle>{title}"
            f"</ArticleTitle>" + (f"<Abstract><AbstractText>{abstract}</AbstractText></Abstract>" if abstract else "")
            + f"<AuthorList>{names}</AuthorList><PublicationTypeList><PublicationType UI=\"D0\">{kind}"
            f"</PublicationType></PublicationTypeList></Article><MeshHeadingList><MeshHeading>"
            f'<DescriptorName UI="D000001" MajorTopicYN="N">{mesh}</DescriptorName></MeshHeading>'
            f"</MeshHeadingList>" + (f"<KeywordList Owner=\"NOTNLM\">{words}</KeywordList>" if words else "")
            + f"</MedlineCitation><PubmedData><ArticleIdList>{article_ids}</ArticleIdList></PubmedData>"
            "</PubmedArticle>")


ACAD, EDUC = ("Academic medicine", "Acad Med"), ("Medical education", "Med Educ")
RECORDS = [
    _record(1, "Peer support for residents: a pilot", 2019, ACAD, ["Smith:JA"], "Internship and Residency",
            "Peer-support groups during residency.", ("Mentoring", "Wellbeing"),
            ids=(("pubmed", "1"), ("doi", "10.1000/Peer.1"), ("pmc", "PMC111"))),
    _record(2, "Burnout in residents", 2021, EDUC, ["Jones:B", "Residency Wellness Group"],
            "Burnout, Professional", "Residents reported burnout.", ("burnout",), kind="Review"),
    _record(3, "Peer review of residentship programmes", 2022, ACAD, ["Smithson:J"], "Peer Review",
            status="PubMed-not-MEDLINE", ids=(("doi", "10.1000/x3"),)),
    _record(4, "Support for applicants", 2020, EDUC, ["Smith:B"], "Mentors", "Supportive peers.",
            ("peer support",), status="In-Process", ids=(("pmc", "PMC444"),)),
]
# query -> the PMIDs both paths find (what each query is there to tell apart, in the records above).
SAME = {
    "residents": [1, 2],  # not residentship
    "residen*": [1, 2, 3],
    "peer support": [1, 4],
    '"peer support"[tiab]': [1, 4],  # peer-support in 1's abstract, a keyword of 4
    "peer support[ab]": [1],
    "Smith J[au]": [1],  # Smith JA, not Smithson J nor Smith B
    "smith[au]": [1, 4],
    "residency wellness group[au]": [2],
    "burnout, professional[mh]": [2],
    "mentoring[ot] OR wellbeing[tw]": [1],
    "review[pt]": [2],
    "acad med[ta]": [1, 3],
    "academic medicine[jour] NOT 2019[dp]": [3],
    "2020:2022[dp]": [2, 3, 4],
    "peer[ti] NOT review[ti]": [1],
    "burnout OR peer AND residency": [1, 2],  # (burnout OR peer) AND residency
    "2021": [2],  # the year, as an untagged term
    # Facts of the record, not words: [pmid], [doi], [sb].
    "2[pmid]": [2],
    "1 3[uid]": [1, 3],  # several PMIDs before one tag: any of them
    "10.1000/PEER.1[doi]": [1],  # DOIs are case-insensitive
    "10.1000/x3[aid]": [3],
    "hasabstract": [1, 2, 4],
    "peer support AND hasabstract": [1, 4],
    "pubmed pmc[sb]": [1, 4],
    "peer NOT free full text[sb]": [3],
    "medline[sb]": [1, 2],
    "pubmednotmedline[sb]": [3],
    "burnout[ti] OR 3[pmid]": [2, 3],
    "review[pt] OR 4[pmid] AND hasabstract": [2, 4],  # (review OR 4) AND hasabstract
}


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    """(SQLite base, mirror) holding RECORDS."""
    pytest.importorskip("duckdb")
    distributed = pytest.importorskip("distributed")
    from litbase.mirror.build import build_mirror

    folder = tmp_path_factory.mktemp("same")
    xml = folder / "pubmed26n0001.xml"
    xml.write_text(f"<PubmedArticleSet>{''.join(RECORDS)}</PubmedArticleSet>")
    imported = CliRunner().invoke(cli, ["import", str(folder / "base.db"), str(xml)])
    assert imported.exit_code == 0, imported.output
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        build_mirror(folder / "mirror", [xml], cluster=cluster)
    return folder / "base.db", folder / "mirror"


def _find(base: Path, query: str) -> list[int]:
    import json
    result = CliRunner().invoke(cli, ["find", str(base), query, "--json"])
    assert result.exit_code == 0, result.output
    return sorted(r["pmid"] for r in json.loads(result.stdout))


def _search_mirror(db: Path, mirror: Path, query: str, name: str) -> list[int]:
    result = CliRunner().invoke(cli, ["search", str(db), query, "--mirror", str(mirror), "--no-progress",
                                      "--collection", name])
    assert result.exit_code == 0, result.output
    if "found nothing" in result.output:
        return []
    return sorted(members(sqlite_utils.Database(db), name))


def test_find_and_search_mirror_find_the_same_pmids(both, tmp_path):
    base, mirror = both
    found = {q: (_find(base, q), _search_mirror(tmp_path / "m.db", mirror, q, f"q{i}"))
             for i, q in enumerate(SAME)}
    assert found == {q: (pmids, pmids) for q, pmids in SAME.items()}


def test_a_query_error_is_the_same_line_both_ways(both, tmp_path):
    base, mirror = both
    local = CliRunner().invoke(cli, ["find", str(base), "(heart"])
    remote = CliRunner().invoke(cli, ["search", str(tmp_path / "m.db"), "(heart", "--mirror", str(mirror)])
    line = "Error: cannot read the search '(heart': The parenthesis is never closed (at character 1)\n"
    assert (local.exit_code, local.output) == (1, line)
    assert (remote.exit_code, remote.output.splitlines()[-1] + "\n") == (1, line)
