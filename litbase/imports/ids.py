"""Import a list of PMIDs, DOIs and PMCIDs into a collection.

DOIs and PMCIDs are resolved to PMIDs first (``idconv``), before anything is
written, so the list lands in one transaction. A PMID not stored yet gets a
placeholder row (record_source ``import``) whose completeness says what a
networked fetch would add; ``litbase refresh --collection`` fetches them.
An identifier that cannot be resolved is kept in ``unmatched_records`` (a DOI
there joins its article as soon as one with that DOI is stored) and reported.
"""

from __future__ import annotations

import json
from pathlib import Path

from litbase.store.collections import add_to_collection, save_collection
from litbase.store.frontier import stored_pmids
from litbase.store.merge import save_unmatched
from litbase.sources.eutils import EutilsClient
from litbase.grow.resolve import resolve_ids
from litbase.sources.idconv import IdconvClient
from litbase.model.errors import BibliographyError
from litbase.store.schema import ensure_db_shape
from litbase.store.articles import save_placeholders, utc_now
from litbase.store.completeness import refresh_reference_status


def default_clients():
    # Two attempts, not five: a list import should not hang for long when offline.
    return IdconvClient(max_attempts=2), EutilsClient(max_attempts=2)


def import_ids(db, path: Path, items: list[dict], collection: str | None, pmid=None,
               client_factory=None) -> dict:
    """Resolve, then store the list's PMIDs as collection members in one transaction."""
    if pmid is not None:
        raise BibliographyError(str(path), None, "--pmid applies to PubMed page text only")
    dois = [i["value"] for i in items if i["kind"] == "doi"]
    pmcids = [i["value"] for i in items if i["kind"] == "pmcid"]
    resolved, failed = {}, {}
    if dois or pmcids:
        idconv, eutils = (client_factory or default_clients)()
        resolved, failed = resolve_ids(dois, pmcids, idconv, eutils)
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
