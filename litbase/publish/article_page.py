"""The article page's content: every list the database holds about one article, numbered and labelled.

Pure functions of the rows ``litbase.store.article_page.article_page_rows``
reads; the template (``templates/litbase_article_row.html``) only lays them out.

The reference list is merged from every source that gives one: each printed
list (a list deposited in PubMed, Europe PMC's, the seed page's) and each
source of PMID links (pubmed_refs, CommentsCorrections, iCite, Europe PMC, a
citing list). One line per cited work, numbered in the order of the longest
printed list, then the lines only other lists print, then the works known only
from links; each line names the sources that give it.
"""

from __future__ import annotations

from litbase.publish.facets import valid_inputs
from litbase.publish.views import read
from litbase.publish.pages import citation_line, doi_url, json_list, json_object, pmc_url, pubmed_url
from litbase.store.article_page import article_page_rows
from litbase.store.retractions import (
    CONCERN,
    CORRECTED,
    FLAG_LABELS,
    RETRACTED,
    flagged_notices,
    notice_flags,
)

# citations.source and article_references.source -> what the page calls it.
SOURCE_LABELS = {
    "reference_list": "reference list",
    "pubmed_refs": "pubmed_refs",
    "comments_corrections": "PubMed CommentsCorrections",
    "citedin": "PubMed cited-by",
    "icite_refs": "iCite",
    "icite_cited_by": "iCite",
    "europepmc_refs": "Europe PMC",
    "europepmc_citations": "Europe PMC",
    "seed_page": "seed page",
}
# When printed lists are equally long, which one numbers the merged list.
PRINTED_PREFERENCE = ("reference_list", "seed_page", "europepmc_refs")
# Datasette output renderers (litbase.publish.renderers): extension, label.
EXPORTS = (("ris", "RIS"), ("bib", "BibTeX"), ("csljson", "CSL-JSON"), ("nbib", "MEDLINE"))
# CommentsCorrections RefTypes in words, for the article's own notices.
NOTICE_WORDS = {
    "RetractionIn": "Retraction in", "RetractionOf": "Retraction of",
    "RetractedandRepublishedIn": "Retracted and republished in",
    "RetractedandRepublishedFrom": "Retracted and republished from",
    "ErratumIn": "Erratum in", "ErratumFor": "Erratum for",
    "CorrectedandRepublishedIn": "Corrected and republished in",
    "CorrectedandRepublishedFrom": "Corrected and republished from",
    "ExpressionOfConcernIn": "Expression of concern in", "ExpressionOfConcernFor": "Expression of concern for",
    "CommentIn": "Comment in", "CommentOn": "Comment on", "UpdateIn": "Update in", "UpdateOf": "Update of",
    "RepublishedIn": "Republished in", "RepublishedFrom": "Republished from",
}


def source_labels(names) -> list[str]:
    """Source names as the page labels them, each label once, in the order given."""
    return list(dict.fromkeys(SOURCE_LABELS.get(n, n) for n in names))


def marked(row: dict) -> dict:
    """A listed article's marks: stored, missing (PubMed has no record) and its flags."""
    flags = notice_flags(row.get("is_retracted"), row.get("related_notices"))
    return {
        "pmid": row.get("pmid"),
        "title": row.get("title"),
        "journal_iso": row.get("journal_iso"),
        "year": row.get("year"),
        "stored": bool(row.get("stored")),
        "missing": bool(row.get("missing")) and not row.get("stored"),
        "flags": [{"flag": f, "label": FLAG_LABELS[f]} for f in flags],
        "retracted": RETRACTED in flags,
    }


def _line_key(line: dict):
    if line.get("pmid"):
        return line["pmid"]
    if line.get("doi"):
        return ("doi", line["doi"].lower())
    return ("line", line["source"], line["position"])


def merged_references(lines: list[dict], links: list[dict]) -> list[dict]:
    """One numbered entry per cited work, from every printed line and every PMID link."""
    by_source: dict[str, list[dict]] = {}
    for line in lines:
        by_source.setdefault(line["source"], []).append(line)
    order = sorted(by_source, key=lambda s: (
        -len(by_source[s]),
        PRINTED_PREFERENCE.index(s) if s in PRINTED_PREFERENCE else len(PRINTED_PREFERENCE), s))
    entries: dict = {}
    for source in order:
        for line in sorted(by_source[source], key=lambda r: r["position"]):
            key = _line_key(line)
            entry = entries.get(key)
            if entry is None:
                entry = entries[key] = {**marked(line), "citation": line.get("citation"),
                                        "doi": line.get("doi"), "positions": {},
                                        "source_names": [],
                                        "self_reference": bool(line.get("is_self_reference"))}
            entry["positions"].setdefault(source, line["position"])
            entry["source_names"].append(source)
    for link in links:
        entry = entries.get(link["pmid"])
        if entry is None:
            entry = entries[link["pmid"]] = {**marked(link), "citation": None, "doi": None,
                                             "positions": {}, "source_names": [],
                                             "self_reference": False}
        entry["source_names"] += (link.get("sources") or "").split(";")
    references = []
    for number, entry in enumerate(entries.values(), start=1):
        names = list(dict.fromkeys(n for n in entry["source_names"] if n))
        references.append({**entry, "number": number, "source_names": names,
                           "sources": source_labels(names)})
    return references


def listed(rows: list[dict], **extra_columns) -> list[dict]:
    """Rows of a list (citing, similar, co-cited, coupled) marked and numbered."""
    return [{**marked(row), **{k: row.get(v) for k, v in extra_columns.items()}, "number": number}
            for number, row in enumerate(rows, start=1)]


def flag_counts(entries: list[dict]) -> dict:
    """How many listed works are retracted, corrected, under an expression of concern."""
    counts = {RETRACTED: 0, CORRECTED: 0, CONCERN: 0}
    for entry in entries:
        if entry.get("self_reference"):
            continue
        for flag in entry["flags"]:
            counts[flag["flag"]] += 1
    return counts


def notices_of(article: dict, notice_articles: dict) -> list[dict]:
    """The article's flagged notices, each with where to read it (here when stored, else PubMed)."""
    found = []
    for notice in flagged_notices(article.get("related_notices")):
        pmid = notice.get("pmid")
        found.append({**notice, "label": FLAG_LABELS[notice["flag"]],
                      "words": NOTICE_WORDS.get(notice["ref_type"], notice["ref_type"]),
                      "stored": pmid in notice_articles,
                      "url": pubmed_url(pmid) if pmid else None})
    return found


def other_notices(article: dict) -> list[dict]:
    """Every comment and correction PubMed links the record to, in words."""
    return [{**n, "words": NOTICE_WORDS.get(n.get("ref_type"), n.get("ref_type"))}
            for n in json_list(article.get("related_notices")) if isinstance(n, dict)]


def article_page(rows: dict) -> dict:
    """What the article page shows, from ``article_page_rows``."""
    article = rows["article"]
    provenance = rows.get("provenance") or {}
    references = merged_references(rows["reference_lines"], rows["reference_links"])
    cited_by = listed(rows["cited_by"], sources="sources")
    for row in cited_by:
        row["sources"] = source_labels((row["sources"] or "").split(";"))
    flags = notice_flags(article.get("is_retracted"), article.get("related_notices"))
    return {
        "pmid": article["pmid"],
        "title": article.get("title"),
        "authors": article.get("authors"),
        "citation": citation_line(article),
        "abstract": article.get("abstract"),
        "doi": article.get("doi"),
        "pmcid": article.get("pmcid"),
        "pubmed_url": pubmed_url(article["pmid"]),
        "doi_url": doi_url(article["doi"]) if article.get("doi") else None,
        "pmc_url": pmc_url(article["pmcid"]) if article.get("pmcid") else None,
        "publication_types": json_list(article.get("publication_types")),
        "mesh_terms": json_list(article.get("mesh_terms")),
        "keywords": json_list(article.get("keywords")),
        "references_status": article.get("references_status"),
        "references_sources": article.get("references_sources"),
        "completeness": article.get("completeness"),
        "record_source": article.get("record_source"),
        "source_url": article.get("source_url"),
        "field_sources": json_object(article.get("field_sources")),
        "match_confidence": provenance.get("match_confidence"),
        # The facts may belong to another article: the page says so above them.
        "probable_match": provenance.get("match_confidence") == "probable",
        "article_type_label": provenance.get("article_type_label"),
        "notes": json_list(provenance.get("notes")),
        "other_sources": json_list(provenance.get("other_sources")),
        "retracted": RETRACTED in flags,
        "flags": [{"flag": f, "label": FLAG_LABELS[f]} for f in flags],
        "notices": notices_of(article, rows.get("notice_articles") or {}),
        "all_notices": other_notices(article),
        "is_retraction_notice": bool(article.get("is_retraction_notice")),
        "cites_retracted": article.get("cites_retracted"),
        "references": references,
        "reference_flags": flag_counts(references),
        "cited_by": cited_by,
        "cited_by_count": rows["cited_by_count"],
        "citing_works": rows["citing_works"],
        "similar": listed(rows["similar"], score="score", rank="rank"),
        "similar_count": rows["similar_count"],
        "co_cited": listed(rows["co_cited"], count="count"),
        "coupled": listed(rows["coupled"], count="count"),
        "exports": [{"extension": e, "label": label} for e, label in EXPORTS],
    }



async def page_rows(datasette, db, pmid: int) -> dict | None:
    """``article_page_rows`` under the page's time limit, reading what the site tables counted
    ahead (a landmark's co-cited list) while their fingerprint says they describe the data."""
    # The fingerprint is computed again after a write (every article and link): no time limit.
    ahead = await db.execute_fn(lambda conn: valid_inputs(conn) is not None)
    return await read(datasette, db, article_page_rows, pmid, ahead)
