"""Resolve DOIs and PMCIDs to PMIDs: NCBI's ID converter first, ESearch ``[doi]`` for the rest.

The converter only knows articles in PMC; a DOI it cannot convert may still be
on a PubMed record, so each of those is searched as ``"DOI"[doi]``, one
ESearch each.
"""

from __future__ import annotations

from litbase.grow.answers import read_answer, without_identity
from litbase.parse.eutils import parse_esearch
from litbase.parse.idconv import parse_idconv
from litbase.sources.eutils import EutilsError
from litbase.sources.idconv import batches


def resolve_ids(dois: list[str], pmcids: list[str], idconv, eutils) -> tuple[dict, dict]:
    """({ID: PMID}, {ID: why not}) for DOIs (lower case) and PMCIDs ("PMC123")."""
    resolved: dict[str, int] = {}
    failed: dict[str, str] = {}
    for idtype, values in (("pmcid", pmcids), ("doi", dois)):
        for batch in batches(values):
            try:
                resolved.update(read_answer("idconv", parse_idconv, idconv.convert(batch, idtype)))
            except EutilsError as error:
                # Kept in unmatched_records and shown: without the key or e-mail a quoted URL holds.
                failed.update({v: f"ID converter failed: {without_identity(str(error))}" for v in batch})
    for pmcid in pmcids:
        if pmcid not in resolved and pmcid not in failed:
            failed[pmcid] = "the ID converter knows no PubMed record for it"
    for doi in dois:
        if doi in resolved:
            continue
        try:
            found = read_answer("esearch", parse_esearch, eutils.esearch(f'"{doi}"[doi]', retmax="2"))
        except EutilsError as error:
            failed[doi] = f"ESearch failed: {without_identity(str(error))}"
            continue
        if found["count"] == 1 and found["ids"]:
            resolved[doi] = found["ids"][0]
            failed.pop(doi, None)
        else:
            failed[doi] = (f"{found['count']} PubMed records carry this DOI" if found["count"]
                           else "neither the ID converter nor PubMed knows this DOI")
    return resolved, failed
