"""Import a list of PMIDs, DOIs and PMCIDs into a collection.

DOIs and PMCIDs are resolved to PMIDs first (``idconv``), before anything is
written, so the list lands in one transaction. A PMID not stored yet gets a
placeholder row (record_source ``import``) whose completeness says what a
networked fetch would add; ``litbase refresh --collection`` fetches them.
An identifier that cannot be resolved is kept in ``unmatched_records`` (a DOI
there joins its article as soon as one with that DOI is stored) and reported.
A list of PMIDs alone asks nothing of anyone; the clients for the rest come
from the caller (``ncbi``), only when there is something to resolve.
"""

from __future__ import annotations

import json
from pathlib import Path

from litbase.store.collections import add_to_collection, save_collection
from litbase.store.frontier import stored_pmids
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
    now = utc_now()
    ensure_db_shape(db)  # creates tables, which commits: before the transaction
    with db.conn:
        before = stored_pmids(db, pmids)
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
    summary = (f"{path}: {counts['pmid']} PMIDs, {counts['doi']} DOIs and {counts['pmcid']} PMCIDs;"
               f" {len(resolved)} resolved to PMIDs; {len(pmids)} articles in collection {name!r}"
               f" ({len(pmids) - len(before)} not stored before).")
    if failed:
        summary += "\nNot resolved, kept in unmatched_records:" + "".join(
            f"\n  {value}: {why}" for value, why in failed.items())
    return {"format": "id_list", "records": len(items), "stored": len(pmids), "merged": len(before),
            "unmatched": len(failed), "matched_by_doi": 0, "summary": summary}
