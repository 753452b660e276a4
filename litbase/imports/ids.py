"""Import a list of PMIDs, DOIs and PMCIDs into a collection.

DOIs and PMCIDs are resolved to PMIDs first (``idconv``), before anything is
written, so the list lands in one transaction. A PMID not stored yet gets a
With the clients (``ncbi``), the PMIDs without a PubMed record are fetched
through the crawl's ``fetch_records`` (as ``litbase fetch`` does); a PMID
PubMed does not know is reported, kept in ``missing_pmids`` and neither
stored nor made a member. Without them, or when PubMed cannot be reached, a
PMID not stored yet gets a placeholder row (record_source ``import``) whose
completeness says what a networked fetch would add; ``litbase refresh
--collection`` fetches them. An identifier that cannot be resolved is kept in
``unmatched_records`` (a DOI there joins its article as soon as one with that
DOI is stored) and reported.
"""

from __future__ import annotations

import json
from pathlib import Path

from litbase.store.collections import add_to_collection, save_collection
from litbase.grow.crawl import fetch_records
from litbase.sources.http import ServiceError
from litbase.store.frontier import pubmed_records, records_needed, stored_pmids
from litbase.store.merge import save_unmatched
from litbase.grow.resolve import resolve_ids
from litbase.model.errors import BibliographyError
from litbase.store.schema import ensure_db_shape
from litbase.store.articles import save_placeholders, utc_now
from litbase.store.completeness import refresh_reference_status


NOT_ASKED = "not resolved: NCBI was not asked (no network access given)"


def _counted(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def resolving_line(path: Path, dois: list[str], pmcids: list[str]) -> str:
    """What is about to be asked of NCBI, for the user who did not expect a network request."""
    asked = " and ".join(_counted(n, noun) for n, noun in ((len(dois), "DOI"), (len(pmcids), "PMCID")) if n)
    # PMCIDs need only the converter; a DOI it does not know is searched in PubMed.
    where = "NCBI's ID converter and PubMed" if dois else "NCBI's ID converter"
    return f"{path}: resolving {asked} through {where}…"


def import_ids(db, path: Path, items: list[dict], collection: str | None, pmid=None,
               ncbi=None, **options) -> dict:
    """Resolve, then store the list's PMIDs as collection members in one transaction.

    ``ncbi(reason)`` returns the clients (``.idconv``, ``.eutils``) once the
    list holds DOIs or PMCIDs; without it they stay unresolved and are kept.
    """
    if pmid is not None:
        raise BibliographyError(str(path), None, "--pmid applies to PubMed page text only")
    dois = [i["value"] for i in items if i["kind"] == "doi"]
    pmcids = [i["value"] for i in items if i["kind"] == "pmcid"]
    resolved, failed = {}, {}
    if (dois or pmcids) and ncbi is None:
        failed = dict.fromkeys(pmcids + dois, NOT_ASKED)
    elif dois or pmcids:
        clients = ncbi(resolving_line(path, dois, pmcids))
        resolved, failed = resolve_ids(dois, pmcids, clients.idconv, clients.eutils)
    pmids = list(dict.fromkeys(
        i["value"] if i["kind"] == "pmid" else resolved[i["value"]]
        for i in items if i["kind"] == "pmid" or i["value"] in resolved))
    name = collection or path.stem
    ensure_db_shape(db)  # creates tables, which commits: before the transaction
    before = stored_pmids(db, pmids)
    fetched, unknown, known_unknown, offline = 0, [], [], None
    if ncbi is not None and pmids:
        have = pubmed_records(db, pmids)
        need = records_needed(db, pmids, retry_missing=False)
        # Unknown to PubMed when last asked: not asked again, not stored, named once more.
        known_unknown = [p for p in pmids if p not in have and p not in need]
        if need:
            clients = ncbi(f"{path}: fetching {_counted(len(need), 'record')} from PubMed…")
            try:
                fetched, unknown = fetch_records(db, clients.eutils, need)
            except ServiceError as error:
                offline = error  # what was fetched is stored; the rest waits as placeholders
    absent = set(unknown) | set(known_unknown)
    pmids = [p for p in pmids if p not in absent]
    now = utc_now()
    with db.conn:
        before &= set(pmids)
        save_placeholders(db, pmids, now)
        refresh_reference_status(db, [p for p in pmids if p not in before])
        save_collection(db, {"name": name, "source": f"import of {path}",
                             "description": f"identifiers listed in {path.name}"}, keep_stored=True)
        add_to_collection(db, name, [{"pmid": p, "role": "import", "depth": 0} for p in pmids])
        save_unmatched(db, [
            {"id": f"{i['kind']}:{i['value'].lower()}", "doi": i["value"] if i["kind"] == "doi" else None,
             "source_file": str(path), "line": i["line"], "format": "id_list", "collection": name,
             "record": json.dumps({i["kind"]: i["value"], "unresolved": failed[i["value"]]}),
             "imported_at": now} for i in items if i["value"] in failed])
    counts = {k: sum(1 for i in items if i["kind"] == k) for k in ("pmid", "doi", "pmcid")}
    got = f" {fetched} records fetched from PubMed;" if ncbi is not None and pmids + sorted(absent) else ""
    summary = (f"{path}: {counts['pmid']} PMIDs, {counts['doi']} DOIs and {counts['pmcid']} PMCIDs;"
               f" {len(resolved)} resolved to PMIDs;{got} {len(pmids)} articles in collection {name!r}"
               f" ({len(pmids) - len(before)} not stored before).")
    if unknown:
        summary += ("\nPubMed has no record for PMID " + ", ".join(map(str, sorted(unknown)))
                    + ": not stored.")
    if known_unknown:
        summary += ("\nPubMed had no record for PMID " + ", ".join(map(str, sorted(known_unknown)))
                    + " when last asked: not stored, not asked again.")
    if failed:
        summary += "\nNot resolved, kept in unmatched_records:" + "".join(
            f"\n  {value}: {why}" for value, why in failed.items())
    waiting = [p for p in pmids if p not in pubmed_records(db, pmids)] if offline else []
    return {"format": "id_list", "records": len(items), "stored": len(pmids), "merged": len(before),
            "unmatched": len(failed), "matched_by_doi": 0, "summary": summary,
            "collection": name, "unknown": sorted(unknown),
            # PubMed could not be asked: the error, and the PMIDs waiting for their records.
            "offline": offline, "waiting": waiting}
