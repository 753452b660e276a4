"""How far reviewers agree: Cohen's kappa for two, Fleiss' kappa for more, with the counts behind them.

Kappa corrects the share of agreeing decisions for the agreement chance alone
would give. Only records every compared reviewer decided count: a record one
reviewer has not reached yet is not a disagreement.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from litbase.model.screening import DECISIONS, STAGES
from litbase.store.screening import current_decisions


@dataclass(frozen=True)
class Agreement:
    reviewers: tuple[str, ...]
    records: int  # decided by every reviewer compared
    observed: float | None  # share of agreement
    expected: float | None  # share expected by chance
    kappa: float | None  # None when undefined (no records, or chance agreement is certain)
    method: str  # "cohen" | "fleiss"
    table: dict = field(default_factory=dict)  # the counts behind the figure

    def as_dict(self) -> dict:
        return {"reviewers": list(self.reviewers), "records": self.records, "method": self.method,
                "observed": _round(self.observed), "expected": _round(self.expected),
                "kappa": _round(self.kappa), "table": self.table}


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


def _kappa(observed: float, expected: float) -> float | None:
    return None if expected >= 1 else (observed - expected) / (1 - expected)


def cohen_kappa(pairs: list[tuple[str, str]], reviewers: tuple[str, str] = ("A", "B"),
                categories: tuple[str, ...] = DECISIONS) -> Agreement:
    """Cohen's kappa for two reviewers' decisions on the same records, as (first, second) pairs."""
    n = len(pairs)
    table = {a: {b: 0 for b in categories} for a in categories}
    for a, b in pairs:
        table[a][b] += 1
    if n == 0:
        return Agreement(tuple(reviewers), 0, None, None, None, "cohen", table)
    observed = sum(table[c][c] for c in categories) / n
    first, second = Counter(a for a, _ in pairs), Counter(b for _, b in pairs)
    expected = sum(first[c] * second[c] for c in categories) / (n * n)
    return Agreement(tuple(reviewers), n, observed, expected, _kappa(observed, expected), "cohen", table)


def fleiss_kappa(counts: list[dict[str, int]], reviewers: tuple[str, ...] = (),
                 categories: tuple[str, ...] = DECISIONS) -> Agreement:
    """Fleiss' kappa from per-record counts ({category: reviewers who chose it}), same number of raters each."""
    counts = [c for c in counts if sum(c.values())]
    if not counts:
        return Agreement(tuple(reviewers), 0, None, None, None, "fleiss", {})
    raters = {sum(c.values()) for c in counts}
    if len(raters) != 1 or min(raters) < 2:
        raise ValueError("Fleiss' kappa needs the same number (two or more) of ratings for every record")
    m, n = raters.pop(), len(counts)
    totals = {c: sum(row.get(c, 0) for row in counts) for c in categories}
    observed = sum((sum(v * v for v in row.values()) - m) / (m * (m - 1)) for row in counts) / n
    expected = sum((totals[c] / (n * m)) ** 2 for c in categories)
    return Agreement(tuple(reviewers), n, observed, expected, _kappa(observed, expected), "fleiss",
                     {"ratings_per_category": totals, "raters_per_record": m})


def stage_agreement(decisions: list[dict]) -> Agreement | None:
    """Agreement among the reviewers of one stage, from their current decisions (pmid, reviewer, decision).

    Two reviewers: Cohen's kappa; more: Fleiss' kappa over the records all of
    them decided. None when fewer than two reviewers decided anything.
    """
    by_record: dict[int, dict[str, str]] = {}
    for row in decisions:
        by_record.setdefault(row["pmid"], {})[row["reviewer"]] = row["decision"]
    reviewers = tuple(sorted({row["reviewer"] for row in decisions}))
    if len(reviewers) < 2:
        return None
    complete = [record for record in by_record.values() if len(record) == len(reviewers)]
    if len(reviewers) == 2:
        a, b = reviewers
        return cohen_kappa([(record[a], record[b]) for record in complete], reviewers)
    return fleiss_kappa([dict(Counter(record.values())) for record in complete], reviewers)


def conflicts(decisions: list[dict]) -> list[int]:
    """PMIDs on which the reviewers' current decisions differ, in PMID order."""
    seen: dict[int, set[str]] = {}
    for row in decisions:
        seen.setdefault(row["pmid"], set()).add(row["decision"])
    return sorted(pmid for pmid, choices in seen.items() if len(choices) > 1)


def stage_summary(stage: str, rows: list[dict]) -> dict:
    """One stage's current decisions as decisions per reviewer and choice, agreement (with its table), conflicts."""
    per_reviewer: dict[str, dict[str, int]] = {}
    for row in rows:
        per_reviewer.setdefault(row["reviewer"], dict.fromkeys(DECISIONS, 0))[row["decision"]] += 1
    agreement = stage_agreement(rows)
    return {"stage": stage, "reviewers": per_reviewer, "agreement": agreement.as_dict() if agreement else None,
            "conflicts": conflicts(rows)}


def screening_summary(conn, collection: str) -> list[dict]:
    """Per stage with decisions: decisions per reviewer and choice, the agreement and the conflicts."""
    summary = []
    for stage in STAGES:
        rows = current_decisions(conn, collection, stage)
        if rows:
            summary.append(stage_summary(stage, rows))
    return summary
