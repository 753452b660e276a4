"""The parser drops layout whitespace yet keeps every space that is text.

litbase parses PubMed XML with libxml2's remove_blank_text and re-reads the
rare record where a blank between two inline elements may have gone
(litbase.parse.pubmed_blanks). Synthetic records use made-up PMIDs 900009xx.
"""

from __future__ import annotations

import gzip
import io

import pytest

import litbase.parse.pubmed as parse_pubmed
import litbase.parse.pubmed_blanks as parse_pubmed_blanks
from litbase.parse.pubmed import parse_pubmed_bytes, parse_pubmed_xml
from litbase.parse.pubmed_blanks import RecentBytes


def article(pmid: int, title: str, abstract: str = "", extra: str = "") -> str:
    abstract_xml = f"<Abstract><AbstractText>{abstract}</AbstractText></Abstract>" if abstract else ""
    return f"""
  <PubmedArticle>
    <MedlineCitation Status="MEDLINE" Owner="NLM">
      <PMID Version="1">{pmid}</PMID>
      <Article PubModel="Print">
        <ArticleTitle>{title}</ArticleTitle>
        {abstract_xml}
      </Article>
      {extra}
    </MedlineCitation>
  </PubmedArticle>"""


def document(*articles: str, prolog: str = "") -> bytes:
    return (f'<?xml version="1.0" encoding="utf-8"?>\n{prolog}<PubmedArticleSet>'
            + "".join(articles) + "\n</PubmedArticleSet>\n").encode()


@pytest.fixture
def rereads(monkeypatch) -> list[int]:
    """PMIDs of the records the parser read again with blanks kept."""
    seen: list[int] = []
    original = parse_pubmed.record_with_blanks

    def counting(elem, recent):
        seen.append(int(elem.findtext("MedlineCitation/PMID")))
        return original(elem, recent)

    monkeypatch.setattr(parse_pubmed, "record_with_blanks", counting)
    return seen


AMBIGUOUS = [
    # (title as written, title as read)
    ("<i>Escherichia coli</i> <i>fimH</i> variants", "Escherichia coli fimH variants"),
    ("<i>Escherichia coli</i><i>fimH</i> variants", "Escherichia colifimH variants"),
    ("NF-<i>\n <sub>\u03ba</sub></i>B signalling", "NF- \u03baB signalling"),
    ("NF-<i><sub>\u03ba</sub></i>B signalling", "NF-\u03baB signalling"),
    ("x<b><i>a</i> </b>c", "xa c"),
]


@pytest.mark.parametrize("compress", [False, True], ids=["xml", "gzip"])
def test_a_space_between_inline_elements_is_kept_and_none_is_invented(compress, rereads):
    data = document(
        *(article(90000901 + i, written) for i, (written, _) in enumerate(AMBIGUOUS)),
        article(90000910, "Plain title.",
                abstract="<b>Background:</b>\n<i>Trypanosoma cruzi</i> varies."),
    )
    records = parse_pubmed_bytes(gzip.compress(data) if compress else data)
    assert [r["title"] for r in records] == [read for _, read in AMBIGUOUS] + ["Plain title."]
    assert records[-1]["abstract"] == "Background: Trypanosoma cruzi varies."
    # Each of these starts with a tag and has words on both sides of a gap.
    assert rereads == [90000901, 90000902, 90000903, 90000904, 90000905, 90000910]


def test_a_gap_beside_layout_whitespace_is_not_read_again(rereads):
    data = document(
        article(90000911, "Plain title.", abstract="<b><i>Aim:</i></b> The study."),
        article(90000912, "<i>Leading</i> and trailing <i>markup</i>"),
        article(90000913, "H<sub>2</sub><sup>18</sup>O in water"),
    )
    records = parse_pubmed_bytes(data)
    assert [(r["title"], r["abstract"]) for r in records] == [
        ("Plain title.", "Aim: The study."),
        ("Leading and trailing markup", None),
        ("H218O in water", None),
    ]
    assert rereads == []


def test_records_are_found_across_chunk_boundaries(rereads):
    # About 3.5 MB read in 1 MiB chunks: every record needs re-reading, so the
    # ones that straddle a chunk boundary make the search widen past the
    # newest chunk.
    filler = "Synthetic filler sentence for size. " * 220
    data = document(*(article(90001000 + i, f"<i>Case</i> <i>{i}</i>", abstract=filler)
                      for i in range(400)))
    assert len(data) > 3_000_000
    titles = [r["title"] for r in parse_pubmed_xml(io.BytesIO(data))]
    assert titles == [f"Case {i}" for i in range(400)]
    assert rereads == [90001000 + i for i in range(400)]


def test_a_cited_pmid_and_a_repeated_record_do_not_confuse_the_search(rereads):
    cites = """<CommentsCorrectionsList><CommentsCorrections RefType="Cites">
      <RefSource>Fixture B. 2020.</RefSource><PMID Version="1">90000921</PMID>
      </CommentsCorrections></CommentsCorrectionsList>"""
    data = document(
        article(90000920, "<i>Citing</i> <i>record</i>", extra=cites),
        article(90000921, "<i>First</i> <i>version</i>"),
        article(90000921, "<i>Second</i><i>version</i>"),
    )
    assert [r["title"] for r in parse_pubmed_bytes(data)] == [
        "Citing record", "First version", "Secondversion"]
    assert rereads == [90000920, 90000921, 90000921]


def test_a_record_that_cannot_be_reparsed_alone_is_read_as_parsed(rereads):
    # The entity is declared in the document's DTD, so the record's bytes do
    # not parse on their own; the record is kept, its gap read without a
    # blank, and the entity still gives no text.
    data = document(
        article(90000930, "<i>Escherichia coli</i> <i>fimH</i> &greeting; variants"),
        prolog='<!DOCTYPE PubmedArticleSet [<!ENTITY greeting "internal entity text">]>\n',
    )
    (record,) = parse_pubmed_bytes(data)
    assert record["pmid"] == 90000930
    assert record["title"] == "Escherichia colifimH variants"
    assert rereads == [90000930]


def test_recent_bytes_keeps_only_the_latest_chunks():
    recent = RecentBytes(io.BytesIO(bytes(range(10)) * 100))
    chunks = []
    while chunk := recent.read(100):
        chunks.append(chunk)
    assert len(chunks) == 10
    assert recent.chunk_count() == 4
    assert recent.latest(1) == chunks[-1]
    assert recent.latest(4) == b"".join(chunks[-4:])
    assert recent.latest(9) == b"".join(chunks[-4:])


def test_after_sixteen_misses_the_rest_of_a_document_is_read_as_parsed(monkeypatch):
    # A hostile file of records that cannot be found again must not cost a
    # search each: after 16 misses the parser stops looking.
    searches = []

    class Counting(parse_pubmed_blanks._RecordBytes):
        def __init__(self, elem):
            searches.append(int(elem.findtext("MedlineCitation/PMID")))
            super().__init__(elem)

    monkeypatch.setattr(parse_pubmed_blanks, "_RecordBytes", Counting)
    data = document(
        *(article(90000940 + i, f"<i>Case</i> <i>{i}</i> &greeting;") for i in range(20)),
        prolog='<!DOCTYPE PubmedArticleSet [<!ENTITY greeting "internal entity text">]>\n',
    )
    records = parse_pubmed_bytes(data)
    assert [r["title"] for r in records] == [f"Case{i}" for i in range(20)]
    assert searches == [90000940 + i for i in range(16)]
