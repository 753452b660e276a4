"""The report in Markdown: a methods paragraph, the TARCiS and PRISMA counts, yield per hop, the log.

Every sentence is written from ``litbase.review.report.build_report``: nothing
is typed in by hand, so the paragraph and the tables cannot disagree.
"""

from __future__ import annotations

import json

from litbase.model.screening import STAGES

SOURCE_LABELS = {
    "pubmed_refs": "PubMed's reference links (from PMC full text)",
    "reference_list": "reference lists deposited with PubMed records",
    "comments_corrections": "PubMed's CommentsCorrections citations",
    "citedin": "PubMed's cited-by links (citing articles in PMC)",
    "icite_refs": "NIH iCite reference lists (Open Citation Collection)",
    "icite_cited_by": "NIH iCite cited-by lists (Open Citation Collection)",
    "europepmc_refs": "Europe PMC reference lists",
    "europepmc_citations": "Europe PMC citing-article lists",
    "seed_page": "the seed article's printed reference list",
    "pubmed_similar": "PubMed's similar articles",
    "pubmed_search": "a PubMed search",
    "import": "an imported list",
    "seed": "seed articles given by the reviewers",
    "not_recorded": "a link no longer stored",
}
DIRECTION_PHRASES = {
    "seed": "seed records", "search": "database search (PubMed)", "import": "imported lists",
    "backward": "backward citation searching", "forward": "forward citation searching",
    "similar": "PubMed's similar articles", "co-cited": "co-cited records", "co-citing": "co-citing records",
}
STAGE_LABELS = {"title_abstract": "title and abstract", "full_text": "full text"}


def _list(items: list[str]) -> str:
    items = [i for i in items if i]
    if len(items) < 2:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _records(k: int) -> str:
    return f"{k} record" + ("" if k == 1 else "s")


def _day(instant: str | None) -> str:
    return (instant or "")[:10]


def _between(first: str | None, last: str | None) -> str:
    first, last = _day(first), _day(last)
    return f"on {first}" if first == last else f"between {first} and {last}"


def methods_paragraph(report: dict) -> str:
    """What was done and found, in words a methods section can take."""
    identified, duplicates = report["identified"], report["duplicates"]
    log = report["log"]
    seeds = json.loads(log["collection"].get("seed_pmids") or "[]")
    sentences = []
    start = []
    if seeds:
        start.append(f"{len(seeds)} seed article{'s' if len(seeds) != 1 else ''} (PMID {_list(map(str, seeds))})")
    if log["collection"].get("query"):
        start.append(f"the PubMed search {log['collection']['query']!r}"
                     f" ({log['collection'].get('query_count') or 0} records found when run)")
    hops = max((int(h) for h in identified["by_hop"]), default=0)
    directions = [DIRECTION_PHRASES[d] for d in ("backward", "forward", "similar", "co-cited", "co-citing")
                  if identified["by_direction"][d]]
    sources = [s for s in identified["by_source"] if s not in ("seed", "pubmed_search", "import")]
    versions = sorted({run["litbase_version"] for run in log["runs"] if run["litbase_version"]})
    # A database older than the runs table does not say which litbase ran; the report says which reports.
    run_with = (f" and was run with litbase {_list(versions)}" if versions
                else f" (the commands run are not recorded; reported by litbase {report['litbase_version']})")
    fetched = [r for r in log["records"] if r["source"] == "efetch" and r["first"]]
    how = f" ({_list(directions)}, {hops} hop{'s' if hops != 1 else ''} from the seeds)" if directions else ""
    using = f", using {_list([SOURCE_LABELS.get(s, s) for s in sources])}" if sources else ""
    when = (f"; records were retrieved from PubMed (E-utilities) {_between(fetched[0]['first'], fetched[0]['last'])}"
            if fetched else "")
    origin = _list(start) or f"the records of collection {report['collection']}"
    sentences.append(f"Citation searching started from {origin}{run_with}{how}{using}{when}.")
    per_direction = [f"{DIRECTION_PHRASES[d]}: {k}" for d, k in identified["by_direction"].items() if k]
    sentences.append(
        f"It identified {_records(identified['total'])} ({'; '.join(per_direction) or 'none'}), counting a record"
        f" once for each direction, hop and source that found it; after {duplicates['total']} duplicates were"
        f" removed, {_records(identified['records'])} remained.")
    without = report["removed_before_screening"]["without_record"]
    if without:
        sentences.append(f"{_records(without)} had no PubMed record and could not be screened.")
    sentences.append(_screening_sentence(report))
    return " ".join(s for s in sentences if s)


def _screening_sentence(report: dict) -> str:
    screened, excluded, included = report["screened"], report["excluded"], report["included"]
    if not screened["total"]:
        return "Screening has not started."
    reviewers = report["log"]["decisions"]["reviewers"]
    parts = [f"{_list(reviewers)} screened the records"
             + (f" ({report['adjudicator']} adjudicated)" if report["adjudicator"] else "") + ".",
             report["rule"]]
    for stage in STAGES:
        agreement = report["agreement"].get(stage)
        if agreement and agreement["kappa"] is not None:
            method = "Cohen's" if agreement["method"] == "cohen" else "Fleiss'"
            parts.append(f"Agreement at {STAGE_LABELS[stage]}: {method} kappa {agreement['kappa']:.2f}"
                         f" over the {_records(agreement['records'])} every reviewer decided.")
    first, last = STAGES
    parts.append(
        f"Of {_records(screened['by_stage'][first])} screened at title and abstract,"
        f" {excluded['by_stage'][first]} were excluded and {included['by_stage'][first]} included;"
        f" {screened['by_stage'][last]} full texts were assessed, {excluded['by_stage'][last]} excluded,"
        f" and {_records(included['total'])} included in the review.")
    return " ".join(parts)


def _table(headers: list[str], rows: list[list]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "| " + " | ".join("---" for _ in headers) + " |"]
    lines += ["| " + " | ".join(str("" if v is None else v).replace("|", "\\|") for v in row) + " |"
              for row in rows]
    return lines + [""]


def report_markdown(report: dict) -> str:
    """The whole report as Markdown."""
    identified, duplicates = report["identified"], report["duplicates"]
    out = [f"# Citation searching report: {report['collection']}", "", "## Methods", "",
           methods_paragraph(report), "", "## Records identified (TARCiS)", ""]
    out += _table(["hop", "direction", "source", "records"],
                  [[w["hop"], w["direction"], w["source"], w["records"]] for w in identified["ways"]])
    out += _table(["direction", "identified", "distinct records"],
                  [[d, k, identified["records_by_direction"][d]] for d, k in identified["by_direction"].items()]
                  + [["total", identified["total"], identified["records"]]])
    out += _table(["hop", "identified", "distinct records"],
                  [[h, k, identified["records_by_hop"][h]] for h, k in identified["by_hop"].items()])
    out += _table(["source", "identified"], [[s, k] for s, k in identified["by_source"].items()])
    out += [f"Duplicates removed: {duplicates['total']} ({duplicates['records_found_more_than_once']} records found"
            f" more than once: {duplicates['across_directions']} by several directions,"
            f" {duplicates['across_hops']} at several hops, {duplicates['across_sources']} by several sources)."
            f" Records without a PubMed record: {report['removed_before_screening']['without_record']}.", ""]
    out += ["## Screening (PRISMA 2020)", ""]
    screened, excluded, included = report["screened"], report["excluded"], report["included"]
    out += _table(["stage", "screened", "excluded", "included", "maybe", "in conflict", "awaiting"],
                  [[STAGE_LABELS[s], screened["by_stage"][s], excluded["by_stage"][s], included["by_stage"][s],
                    screened["undecided"][s]["maybe"], screened["undecided"][s]["conflict"], screened["awaiting"][s]]
                   for s in STAGES])
    reasons = [[STAGE_LABELS[s], reason, k] for s in STAGES for reason, k in excluded["by_reason"][s].items()]
    if reasons:
        out += _table(["stage", "reason for exclusion", "records"], reasons)
    if report["agreement"]:
        out += _table(["stage", "reviewers", "records all decided", "method", "kappa", "adjudicated"],
                      [[STAGE_LABELS[s], ", ".join(a["reviewers"]), a["records"], a["method"], a["kappa"],
                        a["adjudicated"]] for s, a in report["agreement"].items()])
    conflicts = report["conflicts"]["pmids"]
    if any(conflicts.values()):
        out += [f"In conflict at {STAGE_LABELS[s]}: PMID {', '.join(map(str, p))}." for s, p in conflicts.items() if p]
        out += [""]
    out += ["## Yield per hop", ""]
    out += _table(["hop", "new records", "screened", "included at title and abstract", "included at full text"],
                  [[h["hop"], h["new_records"], h["screened"], h["included"]["title_abstract"],
                    h["included"]["full_text"]] for h in report["yield"]])
    out += _log(report["log"])
    return "\n".join(out).rstrip() + "\n"


def _log(log: dict) -> list[str]:
    out = ["## Log", ""]
    collection = log["collection"]
    out += [f"Collection made by {collection.get('source') or 'an unknown command'} on"
            f" {_day(collection.get('created_at'))}, last changed {_day(collection.get('updated_at'))}"
            + (f"; query {collection['query']!r}, {collection.get('query_count')} records" if collection.get("query")
               else "") + ".", ""]
    if log["runs"]:
        out += _table(["started", "finished", "command", "litbase", "outcome", "stored", "requests"],
                      [[r["started_at"], r["finished_at"] or "did not finish", f"`{r['command_line']}`",
                        r["litbase_version"], r["outcome"] or "", _counts(r["counts"]),
                        ", ".join(f"{q['endpoint']} {q['requests']}" for q in r["requests"])]
                       for r in log["runs"]])
    else:
        out += ["No command runs are recorded for this collection (litbase records `fetch` runs"
                " from version 0.1.0 on, `search`, `import` and `refresh` runs from 0.1.0 of 2026-12-05 on).", ""]
    if log["records"]:
        out += _table(["records from", "records", "first stored", "last stored"],
                      [[r["source"], r["records"], r["first"], r["last"]] for r in log["records"]])
    if log["links"]:
        out += _table(["link source", "links", "first retrieved", "last retrieved"],
                      [[r["source"], r["links"], r["first"], r["last"]] for r in log["links"]])
    if log["sources"]:
        out += _table(["source asked", "status", "articles", "first", "last"],
                      [[r["source"], r["status"], r["articles"], r["first"], r["last"]] for r in log["sources"]])
    if log["pubmed_files"]:
        out += _table(["PubMed file imported", "articles", "deletions", "imported"],
                      [[f["name"], f["articles"], f["deletions"], f["imported_at"]] for f in log["pubmed_files"]])
    decisions = log["decisions"]
    if decisions["count"]:
        out += [f"Screening decisions: {decisions['count']} current, by {', '.join(decisions['reviewers'])},"
                f" made between {decisions['first']} and {decisions['last']}.", ""]
    return out


def _counts(counts: dict) -> str:
    per_hop = counts.get("new_records_per_hop") or {}
    parts = [f"{counts['records_stored']} records" if "records_stored" in counts else ""]
    if per_hop:
        parts.append("new per hop " + ", ".join(f"{h}: {k}" for h, k in per_hop.items()))
    return "; ".join(p for p in parts if p)
