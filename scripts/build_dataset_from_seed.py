"""Turn the gathered seed facts (../shared/seed) into the peer-support dataset folder.

    python scripts/build_dataset_from_seed.py ../shared/seed datasets/peer-support

Re-run whenever the seed facts change; the folder it writes is committed,
because a newcomer has no ../shared. The output is byte-identical on every run:
the one date in it (when the facts were gathered) comes from SEED_VERSIONS,
never from the clock or from file modification times. The facts go through
the store exactly as a fetch's would (so ``references_status`` and
``completeness`` are the store's verdicts), into an in-memory database that is
then snapshotted. Every field of the seed files
lands somewhere (see the *_FIELDS maps; an unmapped field stops the run) and a
field nobody could confirm stays NULL.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import re
import sys
from pathlib import Path

import sqlite_utils

from litbase.store import articles as store
from litbase.store.dataset import snapshot
from litbase.store.schema import ensure_db_shape

COLLECTION = "peer-support"
SEED_PAGE_SOURCE = "seed_page"

# Where each field of a references.json record goes. Anything not listed here
# and not in the article record lands verbatim in article_provenance.extra.
REFERENCE_FIELDS = {
    "position": "article_references.position",
    "pmid": "articles.pmid",
    "title": "articles.title",
    "authors": "authors, articles_authors, articles.authors",
    "journal": "articles.journal, journals.title",
    "journal_iso": "articles.journal_iso, journals.iso_abbreviation",
    "issn": "articles.issn, journals.issn",
    "year": "articles.year",
    "month": "articles.month (a single month) and articles.pub_date (as printed)",
    "day": "articles.day",
    "volume": "articles.volume",
    "issue": "articles.issue",
    "pages": "articles.pages",
    "doi": "articles.doi",
    "pmcid": "articles.pmcid",
    "abstract": "articles.abstract",
    "keywords": "articles.keywords",
    "mesh_terms": "articles.mesh_terms, mesh_terms, articles_mesh_terms",
    "publication_types": "articles.publication_types",
    "source_url": "articles.source_url",
    "field_sources": "articles.field_sources",
    "from_seed": "article_references.citation (numbering dropped, it is the position)",
    "self_reference": "article_references.is_self_reference",
    "match_confidence": "article_provenance.match_confidence",
    "article_type_label": "article_provenance.article_type_label",
    "abstract_seen_at": "article_provenance.abstract_seen_at",
    "other_sources": "article_provenance.other_sources",
    "notes": "article_provenance.notes",
}

MONTHS = {m: i for i, m in enumerate(
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], 1)}

# "12. Acad Med. 2017 Nov;92(11):1601-1606 [PMID: 28445221]": the date runs
# from the year to the first ";" (or ":" when there is no issue).
REFERENCE_LINE = re.compile(
    r"^(?P<position>\d+)\.\s+(?P<citation>(?P<journal>[^.]+)\.\s+"
    r"(?P<date>\d{4}[^;:\[]*?)\s*[;:].*?\[PMID:\s*(?P<pmid>\d+)\])\s*$"
)


def month_number(month) -> int | None:
    """3 for "Mar"; None for a range ("Jul-Sep"), which pub_date keeps as printed."""
    return MONTHS.get(month) if isinstance(month, str) else month


def parse_reference_line(line: str) -> dict:
    match = REFERENCE_LINE.match(line)
    if not match:
        raise ValueError(f"unexpected reference line: {line!r}")
    return {
        "position": int(match["position"]),
        "citation": match["citation"],
        "pmid": int(match["pmid"]),
        "pub_date": match["date"].strip(),
    }


def parse_mesh_term(term: str) -> dict:
    """ "Education, Medical / methods*" as PubMed's page prints it -> a MeshHeading."""
    descriptor, *qualifiers = [part.strip() for part in term.split(" / ")]
    major = descriptor.endswith("*")
    return {
        "descriptor_ui": None,  # the page shows names only
        "descriptor": descriptor.rstrip("*"),
        "major_topic": major,
        "qualifiers": qualifiers,  # a trailing "*" marks a major qualifier, as in records.py
    }


def author_records(authors) -> list[dict]:
    records = []
    for position, author in enumerate(authors or [], start=1):
        affiliation = author.get("affiliation")
        records.append({
            "position": position,
            "last_name": author.get("last_name"),
            "fore_name": author.get("fore_name"),
            "initials": author.get("initials"),
            "suffix": author.get("suffix"),
            "collective_name": None,
            "orcid": None,  # the seed page shows an ORCID link, never the identifier
            "affiliations": [affiliation] if affiliation else [],
        })
    return records


def reference_article(ref: dict, line: dict, seed_page_url: str) -> dict:
    """A references.json record as a records.Article, adding nothing it does not say."""
    unmapped = set(ref) - set(REFERENCE_FIELDS)
    if unmapped:
        raise ValueError(f"reference {ref['position']}: fields with no home: {sorted(unmapped)}")
    if (int(ref["pmid"]), ref["position"]) != (line["pmid"], line["position"]):
        raise ValueError(f"reference {ref['position']} does not match its line {line}")
    return {
        "record_type": "article",
        "pmid": int(ref["pmid"]),
        "title": ref["title"],
        "abstract": ref["abstract"],
        "journal": {
            "title": ref["journal"],
            "iso_abbreviation": ref["journal_iso"],
            "issn": ref.get("issn"),
        },
        "year": ref["year"],
        "month": month_number(ref["month"]),
        "day": ref["day"],
        "pub_date": line["pub_date"],
        "volume": ref["volume"],
        "issue": ref["issue"],
        "pages": ref["pages"],
        "doi": ref["doi"],
        "pmcid": ref["pmcid"],
        "keywords": ref["keywords"] or [],
        "mesh_headings": [parse_mesh_term(t) for t in ref["mesh_terms"] or []],
        "publication_types": [{"ui": None, "name": n} for n in ref["publication_types"] or []],
        "authors": author_records(ref["authors"]),
        # A record found nowhere but on the seed's list was read there.
        "source_url": ref["source_url"] or seed_page_url,
        "field_sources": ref["field_sources"],
    }


def provenance_row(pmid: int, ref: dict, extra: dict | None = None) -> dict:
    notes = ref.get("notes")
    return {
        "pmid": pmid,
        "match_confidence": ref.get("match_confidence"),
        "article_type_label": ref.get("article_type_label"),
        "abstract_seen_at": ref.get("abstract_seen_at"),
        "other_sources": json.dumps(ref.get("other_sources") or [], ensure_ascii=False),
        "notes": json.dumps(notes if isinstance(notes, list) else [notes] if notes else [],
                            ensure_ascii=False),
        "extra": json.dumps(extra or {}, ensure_ascii=False),
    }


def seed_article(seed: dict, lines: list[dict]) -> dict:
    """seed_article.json as a records.Article with its 51-line reference list."""
    sections = [
        {"label": label, "nlm_category": None, "text": text}
        for label, text in seed["abstract_structured"].items()
    ]
    return {
        "record_type": "article",
        "pmid": int(seed["pmid"]),
        "title": seed["title"],
        "abstract": seed["abstract"],
        "abstract_sections": sections,
        "journal": {"title": seed["journal"], "iso_abbreviation": seed["journal_iso"]},
        "year": seed["year"],
        "month": month_number(seed["month"]),
        "day": seed["day"],
        # As the PMC header prints it ("2022 Apr 1;6(2):e10728").
        "pub_date": f"{seed['year']} {seed['month']} {seed['day']}",
        "volume": seed["volume"],
        "issue": seed["issue"],
        "pages": seed["pages"],
        "article_number": seed["article_number"],
        "doi": seed["doi"],
        "pmcid": seed["pmcid"],
        "mesh_headings": [parse_mesh_term(t) for t in seed["mesh_terms"]],
        "publication_types": [{"ui": None, "name": n} for n in seed["publication_types"]],
        "authors": author_records(seed["authors"]),
        "references": [
            {"position": line["position"], "citation": line["citation"], "pmid": line["pmid"],
             "source": SEED_PAGE_SOURCE}
            for line in lines
        ],
        "source_url": seed["source_urls"]["pmc"],
        "field_sources": seed["field_sources"],
    }


SEED_ARTICLE_COLUMNS = {
    "pmid", "pmcid", "doi", "title", "authors", "journal", "journal_iso", "year", "month", "day",
    "volume", "issue", "pages", "article_number", "abstract_structured", "abstract",
    "mesh_terms", "publication_types", "field_sources",
}


def seed_provenance(seed: dict, self_reference: dict, citing_note: str) -> dict:
    # Everything about the seed that has no PubMed-shaped column, verbatim.
    extra = {key: value for key, value in seed.items()
             if key not in SEED_ARTICLE_COLUMNS and key != "notes"}
    extra["orcid_link_shown_on_seed_page"] = [
        f"{a['last_name']} {a['initials']}" for a in seed["authors"]
        if a.get("orcid_link_shown_on_seed_page")
    ]
    extra["as_reference_line_47"] = self_reference
    extra["citing_note"] = citing_note
    return provenance_row(
        int(seed["pmid"]),
        {**self_reference, "notes": list(seed.get("notes") or []) + [self_reference["notes"]]},
        extra,
    )


def citing_work_row(work: dict, cited_pmid: int) -> dict:
    authors = ", ".join(store.author_display(a) for a in work.get("authors") or []) or None
    return {
        "id": work["doi"] or re.sub(r"[^a-z0-9]+", "-", work["title"].lower()).strip("-"),
        "cited_pmid": cited_pmid,
        "title": work["title"],
        "authors": authors,
        "journal": work["journal"],
        "journal_iso": work["journal_iso"],
        "year": work["year"],
        "volume": work["volume"],
        "issue": work["issue"],
        "pages": work["pages"],
        "doi": work["doi"],
        "source_url": work["source_url"],
        "evidence": work["evidence_of_citation"],
        "notes": work["notes"],
    }


SEED_FILES = ("citing.json", "references.json", "seed-page-35392492.txt", "seed_article.json")

# When each version of the seed facts was gathered, by the digest of its files
# (seed_digest). The files state no date themselves, and their modification
# times are those of whichever copy of ../shared is at hand (a fresh copy is
# dated the day it was made), so neither they nor the clock can date the facts
# reproducibly. Each date below is the modification time of the newest seed
# file, to the second, as the version was delivered to ../shared. A seed whose
# digest is not listed stops the run until its date is given (--gathered-at)
# and added here, so a changed seed never silently keeps an older date.
SEED_VERSIONS = {
    # 31 of 50 references with a title (3 of them probable matches).
    "38e58a106a428b0d61523f72552027e17b6c5fe438de38afd5d7f40259fe865c": "2026-12-05T02:36:02+00:00",
}


def seed_digest(seed_dir: Path) -> str:
    """SHA-256 over the seed files' names and contents (never their dates)."""
    digest = hashlib.sha256()
    for name in SEED_FILES:
        digest.update(name.encode() + b"\0")
        digest.update(hashlib.sha256((seed_dir / name).read_bytes()).digest())
    return digest.hexdigest()


def gathered_at(seed_dir: Path) -> str:
    """When the facts in ``seed_dir`` were gathered, as recorded in SEED_VERSIONS."""
    digest = seed_digest(seed_dir)
    if digest not in SEED_VERSIONS:
        raise SystemExit(
            f"{seed_dir}: these seed files (sha256 {digest}) have no recorded date of gathering;"
            " run again with --gathered-at YYYY-MM-DDTHH:MM:SS+00:00 and add the pair to"
            " SEED_VERSIONS in scripts/build_dataset_from_seed.py"
        )
    return SEED_VERSIONS[digest]


def build_seed_database(seed_dir, now: str | None = None) -> sqlite_utils.Database:
    """Everything in ``seed_dir`` stored through litbase.store.articles in an in-memory database.

    ``now`` is when the facts were gathered; by default the date SEED_VERSIONS
    records for these files. It stamps every timestamp column.
    """
    seed_dir = Path(seed_dir)
    seed = json.loads((seed_dir / "seed_article.json").read_text(encoding="utf-8"))
    refs = json.loads((seed_dir / "references.json").read_text(encoding="utf-8"))
    citing = json.loads((seed_dir / "citing.json").read_text(encoding="utf-8"))
    page_lines = (seed_dir / f"seed-page-{seed['pmid']}.txt").read_text(encoding="utf-8")
    seed_pmid = int(seed["pmid"])
    seed_page_url = seed["source_urls"]["seed_page"]
    now = now or gathered_at(seed_dir)

    lines = [parse_reference_line(r["from_seed"]) for r in refs]
    printed = [parse_reference_line(m.strip()) for m in re.findall(
        r"^\s+\d+\. .*\[PMID: \d+\]$", page_lines, flags=re.M)]
    if printed != lines:
        raise ValueError("references.json disagrees with the seed page's reference list")
    self_refs = [r for r in refs if int(r["pmid"]) == seed_pmid]
    others = [r for r in refs if int(r["pmid"]) != seed_pmid]
    by_position = {line["position"]: line for line in lines}

    db = sqlite_utils.Database(memory=True)
    ensure_db_shape(db)
    with db.conn:
        articles = [seed_article(seed, lines)]
        articles += [reference_article(r, by_position[r["position"]], seed_page_url) for r in others]
        store.save_articles(db, articles, record_source="dataset", now=now)
        provenance = [seed_provenance(seed, self_refs[0], citing.get("note"))]
        provenance += [provenance_row(int(r["pmid"]), r) for r in others]
        db["article_provenance"].insert_all(provenance)
        db["citing_works"].insert_all(citing_work_row(w, seed_pmid) for w in citing["citing"])
        store.save_collection(db, collection_record(seed, now, refs, len(articles),
                                                    len(citing["citing"])))
        store.add_to_collection(db, COLLECTION, [{"pmid": seed_pmid, "role": "seed", "depth": 0,
                                                  "seed_pmid": seed_pmid}])
        store.add_to_collection(db, COLLECTION, [
            {"pmid": int(r["pmid"]), "role": "reference", "depth": 1, "seed_pmid": seed_pmid}
            for r in others
        ])
        # The store stamps these with the clock; the facts' date keeps a
        # re-run of this converter from changing the committed files.
        db.conn.execute("UPDATE collections SET created_at = ?, updated_at = ?", [now, now])
        db.conn.execute("UPDATE collections_articles SET added_at = ?", [now])
    return db


def collection_record(seed: dict, now: str, refs: list[dict], stored: int, citing: int) -> dict:
    day = now[:10]
    self_lines = [r["position"] for r in refs if int(r["pmid"]) == int(seed["pmid"])]
    probable = [r["position"] for r in refs if r.get("match_confidence") == "probable"]
    probable_text = (
        f" {len(probable)} references (lines {', '.join(map(str, probable))}) are probable"
        " matches: their title and other facts were read on pages that do not show the PMID"
        " (article_provenance.match_confidence = 'probable'; its notes say why)."
    ) if probable else ""
    return {
        "name": COLLECTION,
        "title": "Peer support during residency training",
        "description": (
            f"The article PMID {seed['pmid']} ({seed['title']} {seed['journal_iso']}"
            f" {seed['year']};{seed['volume']}({seed['issue']}):{seed['pages']}) and the"
            f" {stored - 1} articles its reference list cites by PMID (the list has {len(refs)}"
            f" lines; line {', '.join(map(str, self_lines))} is the article itself and is kept as"
            " a self-reference, not a citation),"
            f" plus {citing} publications without PMIDs known to cite it. Facts come from the"
            " seed's PubMed page and public web pages, each with its source URL; a field nobody"
            f" could confirm is NULL.{probable_text}"
            " The seed files state no date of gathering: facts_gathered_on"
            f" ({day}) is the day this version of them was delivered."
        ),
        "seed_pmids": json.dumps([int(seed["pmid"])]),
        "query": None,
        "query_count": None,
        "stored_count": stored,
        "facts_gathered_on": day,
        "source": (
            f"{seed['source_urls']['seed_page']} (the seed's PubMed page and reference list);"
            f" {seed['source_urls']['pmc']}; other pages per record (articles.source_url,"
            " articles.field_sources, citing_works.source_url)"
        ),
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("seed_dir", type=Path)
    parser.add_argument("dataset_dir", type=Path)
    parser.add_argument("--gathered-at", help="when these seed facts were gathered (ISO 8601, UTC);"
                        " needed only for seed files SEED_VERSIONS does not list")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if args.gathered_at is not None:
        try:
            moment = dt.datetime.fromisoformat(args.gathered_at)
        except ValueError:
            parser.error(f"--gathered-at {args.gathered_at!r} is not an ISO 8601 date and time")
        if moment.utcoffset() is None:
            parser.error("--gathered-at needs a UTC offset, e.g. 2026-12-05T02:36:02+00:00")
        args.gathered_at = moment.astimezone(dt.timezone.utc).isoformat()
    db = build_seed_database(args.seed_dir, args.gathered_at)
    manifest = snapshot(db, args.dataset_dir)
    print(json.dumps(manifest["tables"]))


if __name__ == "__main__":
    main()
