"""The numbers a citation-searching review reports (TARCiS 2024, PRISMA 2020), from the data alone.

Identification. A crawl stores, per collection member, the role that brought
it (seed, reference, citing, similar, search, import) and its shallowest
depth; the citation links keep their source. The hop of a record is its
shallowest depth; the crawl expanded the seeds and, at hop h, the records
first reached at hop h - 1. So the records hop h identified are read back
from the links: a backward identification is a reference-list link from an
expanded record of hop h - 1 to a member, a forward one any link to it from
a member. One identification is counted per record, direction, hop and source
(TARCiS counts them all); duplicates are what de-duplication to one record each
removes. Similar articles keep their rank only, not the cut-off the crawl used,
so they count once per hop recorded, from ``pubmed_similar``.

Screening. Each reviewer's latest decision counts (litbase.store.screening).
A record is included, excluded or left at "maybe" at a stage when every
reviewer who decided it agrees, or by the adjudicator's latest decision when
one is named and has decided it; otherwise it is in conflict, and reported so.
"""

from __future__ import annotations

from collections import Counter

from litbase import __version__
from litbase.model.screening import STAGES
from litbase.review.agreement import stage_agreement
from litbase.store.report import (
    REFERENCE_SOURCES,
    collection_row,
    links_among_members,
    membership,
    pubmed_file_versions,
    record_dates,
    request_log,
    source_answers,
)
from litbase.store.runs import collection_runs
from litbase.store.screening import current_decisions, screening_reasons
from litbase.store.site import collection_names

ORIGINS = ("seed", "search", "import")  # hop 0: how a record entered without a citation link
DIRECTIONS = ("backward", "forward", "similar", "co-cited", "co-citing")
ROLE_DIRECTION = {"reference": "backward", "citing": "forward", "similar": "similar"}
ORIGIN_SOURCES = {"seed": "seed", "search": "pubmed_search", "import": "import"}
SIMILAR_SOURCE = "pubmed_similar"
# A member whose role row no stored link explains any more (a link deleted since the crawl).
UNRECORDED_SOURCE = "not_recorded"
NO_REASON = "no reason given"

CONSENSUS_RULE = (
    "A record counts as included, excluded or 'maybe' at a stage when every reviewer who decided it"
    " agrees (each reviewer's latest decision counts){adjudication}; otherwise it is in conflict and"
    " reported as such. An exclusion's reason is the one given with the latest of the agreeing decisions."
    " Records included at title and abstract go on to full text; a record counts as included in the"
    " review when it is included at full text.")


class UnknownCollection(ValueError):
    pass


def first_hops(members: list[dict]) -> dict[int, int]:
    """Each member's hop: the shallowest depth any of its roles was recorded at."""
    hops: dict[int, int] = {}
    for row in members:
        hops[row["pmid"]] = min(row["depth"], hops.get(row["pmid"], row["depth"]))
    return hops


def identifications(members: list[dict], links: list[tuple]) -> set[tuple[int, str, int, str]]:
    """Every way a member was found: (pmid, direction or origin, hop, source); links are (citing, cited, source, ...)."""
    hop_of = first_hops(members)
    # Hop 0 is expanded from the seeds and any record named as the seed of what a crawl added; in a
    # collection without seeds (a search or an import) `refresh` expands every hop-0 record.
    seeds = {row["pmid"] for row in members if row["role"] == "seed"}
    if seeds:
        seeds |= {row["seed_pmid"] for row in members
                  if row["role"] in ROLE_DIRECTION and row["seed_pmid"] is not None}
    else:
        seeds = {pmid for pmid, hop in hop_of.items() if hop == 0}
    last = max(hop_of.values(), default=0)
    followed = {ROLE_DIRECTION[row["role"]] for row in members if row["role"] in ROLE_DIRECTION}
    # The crawl expands its seeds and each hop's new records, up to the hop before the last.
    expanded = {p: h for p, h in hop_of.items() if (h > 0 or p in seeds) and h < last}
    backward, forward = "backward" in followed, "forward" in followed
    ways = set()
    for citing, cited, source, *_ in links:
        if citing == cited:
            continue
        if backward and citing in expanded and source in REFERENCE_SOURCES:
            ways.add((cited, "backward", expanded[citing] + 1, source))
        if forward and cited in expanded:
            ways.add((citing, "forward", expanded[cited] + 1, source))
    explained = {(pmid, direction, hop) for pmid, direction, hop, _ in ways}
    for row in members:
        pmid, role, depth = row["pmid"], row["role"], row["depth"]
        if role == "similar":
            ways.add((pmid, "similar", depth, SIMILAR_SOURCE))
        elif role in ROLE_DIRECTION:
            if (pmid, ROLE_DIRECTION[role], depth) not in explained:
                ways.add((pmid, ROLE_DIRECTION[role], depth, UNRECORDED_SOURCE))
        else:
            ways.add((pmid, role, depth, ORIGIN_SOURCES.get(role, role)))
    return ways


def _counts(ways, key) -> dict:
    return dict(sorted(Counter(key(w) for w in ways).items()))


def identified_counts(ways: set[tuple[int, str, int, str]]) -> tuple[dict, dict]:
    """The ``identified`` and ``duplicates`` sections from the identifications."""
    order = {name: i for i, name in enumerate(ORIGINS + DIRECTIONS)}
    by_direction = {name: 0 for name in ORIGINS + DIRECTIONS}
    by_direction.update(Counter(direction for _, direction, _, _ in ways))
    records_by_direction = {name: len({w[0] for w in ways if w[1] == name}) for name in by_direction}
    cells = Counter((hop, direction, source) for _, direction, hop, source in ways)
    records = {w[0] for w in ways}
    identified = {
        "total": len(ways),
        "records": len(records),
        "by_direction": by_direction,
        "by_hop": {str(h): n for h, n in _counts(ways, lambda w: w[2]).items()},
        "by_source": _counts(ways, lambda w: w[3]),
        "records_by_direction": records_by_direction,
        "records_by_hop": {str(h): len({w[0] for w in ways if w[2] == h})
                           for h in sorted({w[2] for w in ways})},
        "ways": [{"hop": hop, "direction": direction, "source": source, "records": n}
                 for (hop, direction, source), n in sorted(
                     cells.items(), key=lambda kv: (kv[0][0], order.get(kv[0][1], 99), kv[0][2]))],
    }
    per_record: dict[int, list] = {}
    for way in ways:
        per_record.setdefault(way[0], []).append(way)

    def found_more_than_once(part: int) -> int:
        return sum(1 for found in per_record.values() if len({w[part] for w in found}) > 1)

    duplicates = {
        "total": len(ways) - len(records),
        "records_found_more_than_once": sum(1 for found in per_record.values() if len(found) > 1),
        "across_directions": found_more_than_once(1),
        "across_hops": found_more_than_once(2),
        "across_sources": found_more_than_once(3),
    }
    return identified, duplicates


def stage_outcomes(decisions: list[dict], adjudicator: str | None = None) -> dict[int, dict]:
    """pmid -> {"status": include|exclude|maybe|conflict, "reason"} for one stage's current decisions."""
    by_record: dict[int, list[dict]] = {}
    for row in decisions:
        by_record.setdefault(row["pmid"], []).append(row)
    outcomes = {}
    for pmid, rows in by_record.items():
        judged = [r for r in rows if adjudicator and r["reviewer"] == adjudicator]
        deciding = judged or rows
        choices = {r["decision"] for r in deciding}
        status = choices.pop() if len(choices) == 1 else "conflict"
        reason = None
        if status == "exclude":
            given = [r for r in sorted(deciding, key=lambda r: r["id"]) if r.get("reason")]
            reason = given[-1]["reason"] if given else NO_REASON
        outcomes[pmid] = {"status": status, "reason": reason}
    return outcomes


def _ordered_reasons(counts: Counter, known: list[str]) -> dict:
    rank = {reason: i for i, reason in enumerate(known)}
    return dict(sorted(counts.items(), key=lambda kv: (rank.get(kv[0], len(rank)), kv[0] == NO_REASON, kv[0])))


def screening_counts(decisions: list[dict], eligible: set[int], reasons: list[str],
                     adjudicator: str | None = None) -> dict:
    """The screened, excluded, included, conflicts and agreement sections, and the outcomes per stage."""
    outcomes = {stage: stage_outcomes([d for d in decisions if d["stage"] == stage], adjudicator)
                for stage in STAGES}
    status = {stage: Counter(o["status"] for o in outcomes[stage].values()) for stage in STAGES}
    with_status = {stage: {s: {p for p, o in outcomes[stage].items() if o["status"] == s}
                           for s in ("include", "exclude", "maybe", "conflict")} for stage in STAGES}
    first, last = STAGES[0], STAGES[-1]
    decided = set().union(*(set(outcomes[stage]) for stage in STAGES))
    screened = {
        "total": len(decided),
        "by_stage": {stage: len(outcomes[stage]) for stage in STAGES},
        "awaiting": {first: len(eligible - set(outcomes[first]) - set(outcomes[last])),
                     last: len(with_status[first]["include"] - set(outcomes[last]))},
        "undecided": {stage: {"maybe": status[stage]["maybe"], "conflict": status[stage]["conflict"]}
                      for stage in STAGES},
    }
    excluded_records = set().union(*(with_status[stage]["exclude"] for stage in STAGES))
    excluded = {
        "total": len(excluded_records),
        "by_stage": {stage: status[stage]["exclude"] for stage in STAGES},
        "by_reason": {stage: _ordered_reasons(Counter(o["reason"] for o in outcomes[stage].values()
                                                      if o["status"] == "exclude"), reasons)
                      for stage in STAGES},
    }
    included = {
        "total": len(with_status[last]["include"]),
        "by_stage": {stage: status[stage]["include"] for stage in STAGES},
    }
    conflicts = {
        "total": len(set().union(*(with_status[stage]["conflict"] for stage in STAGES))),
        "by_stage": {stage: status[stage]["conflict"] for stage in STAGES},
        "pmids": {stage: sorted(with_status[stage]["conflict"]) for stage in STAGES},
    }
    agreement = {}
    for stage in STAGES:
        rows = [d for d in decisions if d["stage"] == stage]
        if not rows:
            continue
        compared = [d for d in rows if d["reviewer"] != adjudicator]
        result = stage_agreement(compared)
        entry = result.as_dict() if result else {
            "reviewers": sorted({d["reviewer"] for d in compared}), "records": 0, "method": None,
            "observed": None, "expected": None, "kappa": None, "table": {}}
        entry["adjudicated"] = len({d["pmid"] for d in rows if d["reviewer"] == adjudicator})
        agreement[stage] = entry
    return {"screened": screened, "excluded": excluded, "included": included, "conflicts": conflicts,
            "agreement": agreement, "outcomes": outcomes}


def hop_yield(members: list[dict], outcomes: dict[str, dict[int, dict]] | None = None) -> list[dict]:
    """Per hop: the records first reached there and, once screening has started, how they fared."""
    hop_of = first_hops(members)
    outcomes = outcomes or {stage: {} for stage in STAGES}
    rows = []
    for hop in sorted(set(hop_of.values())):
        new = {p for p, h in hop_of.items() if h == hop}
        rows.append({
            "hop": hop,
            "new_records": len(new),
            "screened": len(new & set(outcomes[STAGES[0]])),
            "included": {stage: sum(1 for p in new if outcomes[stage].get(p, {}).get("status") == "include")
                         for stage in STAGES},
        })
    return rows


def collection_yield(conn, collection: str) -> dict:
    """Records per hop and their screening so far (the ``fetch`` summary's figures)."""
    members = membership(conn, collection)
    decisions = current_decisions(conn, collection)
    outcomes = {stage: stage_outcomes([d for d in decisions if d["stage"] == stage]) for stage in STAGES}
    return {"screening_started": bool(decisions), "hops": hop_yield(members, outcomes)}


def build_report(conn, collection: str, adjudicator: str | None = None) -> dict:
    """Every number of ``litbase report`` for a collection, with the log its methods paragraph needs."""
    row = collection_row(conn, collection)
    if row is None:
        known = ", ".join(collection_names(conn)) or "none"
        raise UnknownCollection(f"no collection named {collection!r} (known: {known})")
    members = membership(conn, collection)
    links = links_among_members(conn, collection)
    identified, duplicates = identified_counts(identifications(members, links))
    stored = {m["pmid"] for m in members if m["stored"]}
    without_record = len({m["pmid"] for m in members} - stored)
    decisions = current_decisions(conn, collection)
    screening = screening_counts(decisions, stored, screening_reasons(conn, collection), adjudicator)
    outcomes = screening.pop("outcomes")
    hops = hop_yield(members, outcomes)
    screening["included"]["by_hop"] = {str(h["hop"]): h["included"] for h in hops}
    runs = collection_runs(conn, collection)
    for run in runs:
        run["requests"] = request_log(conn, run["started_at"], run["finished_at"]) if run["finished_at"] else []
    return {
        "collection": collection,
        "litbase_version": __version__,
        "adjudicator": adjudicator,
        "rule": consensus_rule(adjudicator),
        "identified": identified,
        "duplicates": duplicates,
        "removed_before_screening": {"duplicates": duplicates["total"], "without_record": without_record},
        **screening,
        "yield": hops,
        "log": {
            "collection": {k: row.get(k) for k in ("source", "description", "seed_pmids", "query",
                                                   "query_count", "created_at", "updated_at")},
            "runs": runs,
            "records": record_dates(conn, collection),
            "links": link_dates(links),
            "sources": source_answers(conn, collection),
            "pubmed_files": pubmed_file_versions(conn),
            "decisions": {"count": len(decisions), "reviewers": sorted({d["reviewer"] for d in decisions}),
                          "first": min((d["decided_at"] for d in decisions), default=None),
                          "last": max((d["decided_at"] for d in decisions), default=None)},
        },
    }


def link_dates(links: list[tuple[int, int, str, str]]) -> list[dict]:
    """Per citation source: links among the members, first and last retrieval."""
    by_source: dict[str, list] = {}
    for _, _, source, retrieved_at in links:
        entry = by_source.setdefault(source, [0, None, None])
        entry[0] += 1
        if retrieved_at:
            entry[1] = min(entry[1] or retrieved_at, retrieved_at)
            entry[2] = max(entry[2] or retrieved_at, retrieved_at)
    return [{"source": s, "links": n, "first": first, "last": last}
            for s, (n, first, last) in sorted(by_source.items())]


def consensus_rule(adjudicator: str | None) -> str:
    """The rule in words, for the methods paragraph."""
    adjudication = (f", or by the latest decision of the adjudicator ({adjudicator}) when they decided it"
                    if adjudicator else "")
    return CONSENSUS_RULE.format(adjudication=adjudication)
