"""Import a PubMed page's text: its article, its numbered references and the links between them.

The page does not state its own PMID, so it comes from ``--pmid``, else from
the file name ("seed-page-35392492.txt"), else from PubMed by the page's
title when the network answers (only then does it ask the caller for a
client). Stored records win over the page's facts (a PubMed record is
richer); the page fills their gaps. A reference line naming the page's own
article is kept, flagged ``is_self_reference``, and never counted as a
citation.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from litbase.store.merge import save_merged
from litbase.store.collections import add_to_collection, save_collection
from litbase.model.ids import InvalidPmid, parse_pmid
from litbase.sources.eutils import EutilsError
from litbase.model.errors import BibliographyError
from litbase.grow.answers import read_answer, without_identity
from litbase.parse.eutils import parse_esearch
from litbase.parse.page import PageError, parse_page
from litbase.store.articles import save_reference_rows, utc_now
from litbase.store.completeness import refresh_reference_status

SOURCE = "seed_page"
# A PMID in a file name is a run of 5 to 9 digits: shorter runs are more often dates or counters.
_PMID_IN_NAME = re.compile(r"(?<!\d)(\d{5,9})(?!\d)")


def parse_page_file(text: str, path: str) -> dict:
    """``FileKind.parse`` for page text: PageError becomes the import's BibliographyError."""
    try:
        return parse_page(text)
    except PageError as error:
        raise BibliographyError(path, error.line, str(error)) from None


def pmid_from_name(path: Path) -> int | None:
    """The one PMID-like number in a file's name, or None when there is none or several."""
    found = _PMID_IN_NAME.findall(path.stem)
    return int(found[0]) if len(found) == 1 else None


def title_query(title: str) -> str:
    # Quotes and brackets inside a title would end the phrase or open a field tag.
    cleaned = re.sub(r"[\"\[\]()]", " ", title).strip().rstrip(".")
    return " ".join(cleaned.split()) + "[Title]"


def pmid_from_title(title: str, client) -> tuple[int | None, str]:
    """Ask PubMed for the page's title; a PMID only when exactly one article matches."""
    try:
        found = read_answer("esearch", parse_esearch, client.esearch(title_query(title), retmax="2"))
    except EutilsError as error:
        return None, f"PubMed could not be asked for the title ({without_identity(str(error))})"
    if found["count"] == 1 and found["ids"]:
        return found["ids"][0], "found by its title"
    return None, f"PubMed finds {found['count']} articles with this title"


def page_pmid(path: Path, page: dict, pmid, ncbi) -> tuple[int, str]:
    """The page's PMID and how it was found; BibliographyError when it cannot be."""
    if pmid is not None:
        try:
            return parse_pmid(pmid), "given with --pmid"
        except InvalidPmid as error:
            raise BibliographyError(str(path), None, f"--pmid: {error}") from None
    named = pmid_from_name(path)
    if named:
        return named, "taken from the file name"
    if ncbi is None:
        raise BibliographyError(str(path), None, "the page does not state its PMID; give it with --pmid")
    client = ncbi(f"{path}: the page does not state its PMID; asking PubMed for its title…").eutils
    found, how = pmid_from_title(page["title"], client)
    if found is None:
        raise BibliographyError(str(path), None, f"the page does not state its PMID and {how};"
                                " give it with --pmid")
    return found, how


def page_article(page: dict, pmid: int) -> dict:
    """The page's own article, with journal and date from its self-reference line if it has one."""
    url = f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/"
    article = {"pmid": pmid, "title": page["title"], "authors": page["authors"],
               "abstract": page["abstract"], "abstract_sections": page["abstract_sections"],
               "source_url": url, "field_sources": {"title, authors, abstract": url}}
    own = [r for r in page["references"] if r["pmid"] == pmid]
    if own and own[0]["journal_iso"]:
        # The page's list names its own article with journal, date, volume and pages:
        # the page's own statement about this PMID, so it fills those fields.
        article.update(_citation_fields(own[0]))
        article["field_sources"]["journal, date, volume, pages"] = (
            f"{url} reference line {own[0]['position']}")
    return article


def _citation_fields(ref: dict) -> dict:
    return {"journal": {"iso_abbreviation": ref["journal_iso"]},
            **{k: ref[k] for k in ("year", "month", "day", "pub_date", "volume", "issue", "pages")},
            **({"doi": ref["doi"]} if ref["doi"] else {}),
            **({"pmcid": ref["pmcid"]} if ref["pmcid"] else {})}


def reference_articles(page: dict, pmid: int) -> list[dict]:
    url = f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/"
    articles = {}
    for ref in page["references"]:
        if ref["pmid"] and ref["pmid"] != pmid:
            articles.setdefault(ref["pmid"], {
                "pmid": ref["pmid"], "source_url": url,
                "field_sources": {"journal, date, volume, pages": f"{url} reference line {ref['position']}"},
                **_citation_fields(ref)})
    return list(articles.values())


def import_page(db, path: Path, page: dict, collection: str | None, pmid=None,
                ncbi=None, **options) -> dict:
    """Store the page's article, its reference list and citation links in one transaction.

    ``ncbi(reason)`` returns the clients (``.eutils``) when the page's PMID
    must be looked up by its title.
    """
    seed, how = page_pmid(path, page, pmid, ncbi)
    now = utc_now()
    rows = [{"citing": seed, "source": SOURCE, "position": r["position"], "citation": r["citation"],
             "cited_pmid": r["pmid"], "doi": r["doi"], "pmcid": r["pmcid"],
             "is_self_reference": int(r["pmid"] == seed), "retrieved_at": now}
            for r in page["references"]]
    cited = reference_articles(page, seed)
    name = collection or path.stem
    with db.conn:
        merged = save_merged(db, [page_article(page, seed)] + cited, record_source=SOURCE)
        save_reference_rows(db, rows)
        refresh_reference_status(db, [seed] + [a["pmid"] for a in cited])
        save_collection(db, {"name": name, "source": f"import of {path}",
                             "description": f"PubMed page of PMID {seed}",
                             "seed_pmids": json.dumps([seed])}, keep_stored=True)
        add_to_collection(db, name, [{"pmid": seed, "role": "seed", "depth": 0, "seed_pmid": seed}]
                          + [{"pmid": a["pmid"], "role": "reference", "depth": 1, "seed_pmid": seed}
                             for a in cited])
    self_lines = [r["position"] for r in rows if r["is_self_reference"]]
    links = sum(1 for r in rows if r["cited_pmid"] and not r["is_self_reference"])
    summary = (f"{path}: PubMed page of PMID {seed} ({how}); {len(rows)} reference lines,"
               f" {links} citation links, {len(rows) - links - len(self_lines)} lines without a PMID")
    if self_lines:
        summary += f"; line {', '.join(map(str, self_lines))} names the page's own article (flagged)"
    return {"format": "pubmed_page", "records": 1 + len(cited), "stored": 1 + len(cited),
            "merged": merged, "unmatched": 0, "matched_by_doi": 0, "pmid": seed,
            "summary": summary + f"; collection {name!r}."}
