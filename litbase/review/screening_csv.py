"""Screening decisions in and out as CSV, the file a spreadsheet, Rayyan or ASReview exchanges.

Columns: ``pmid, decision, reason, note, reviewer`` (plus ``stage`` and
``decided_at``, which litbase writes and reads back). Reading also takes
ASReview's ``included`` column (1 include, 0 exclude, empty or -1 not
screened) and Rayyan's words (Included, Excluded, Maybe). A row that cannot
be read is skipped and named (file, line, why); the rest are stored, and a
row identical to the reviewer's current decision is not stored again.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import sqlite_utils

from litbase.model.screening import STAGES, Decision, ScreeningError
from litbase.store.screening import collection_member_pmids, current_decisions, record_decisions

COLUMNS = ("pmid", "decision", "reason", "note", "reviewer", "stage", "decided_at")

# Header names other tools use for the same field (compared lower-cased).
PMID_HEADERS = ("pmid", "pubmed_id", "pubmed id")
WORDS = {"include": "include", "included": "include", "exclude": "exclude", "excluded": "exclude",
         "maybe": "maybe", "undecided": None, "": None}
ASREVIEW_LABELS = {"1": "include", "0": "exclude", "-1": None, "": None}


@dataclass
class ImportReport:
    written: int = 0
    unchanged: int = 0
    not_screened: int = 0  # rows that carry no decision (ASReview's unlabelled records)
    problems: list[str] = field(default_factory=list)


def read_decisions(text: str, collection: str, reviewer: str | None, stage: str,
                   members: set[int], name: str = "decisions.csv") -> tuple[list[Decision], ImportReport]:
    """The decisions of a CSV text, checked row by row; the report names each row skipped."""
    report = ImportReport()
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    headers = {(h or "").strip().lower(): h for h in reader.fieldnames or []}
    pmid_header = next((headers[h] for h in PMID_HEADERS if h in headers), None)
    if pmid_header is None:
        raise ScreeningError(f"{name}: no pmid column (the header has {', '.join(reader.fieldnames or []) or 'nothing'})")
    if "decision" not in headers and "included" not in headers:
        raise ScreeningError(f"{name}: no decision column (nor ASReview's included)")

    def cell(row, column):
        header = headers.get(column)
        return (row.get(header) or "").strip() if header else ""

    decisions = []
    for row in reader:
        try:
            decision = _row_decision(row, cell, pmid_header, "decision" in headers, collection, reviewer,
                                     stage, members)
        except ScreeningError as error:
            report.problems.append(f"{name} line {reader.line_num}: {error}")
            continue
        if decision is None:
            report.not_screened += 1
        else:
            decisions.append(decision)
    return decisions, report


def _row_decision(row, cell, pmid_header, has_decision, collection, reviewer, stage,
                  members) -> Decision | None:
    raw_pmid = (row.get(pmid_header) or "").strip()
    if not raw_pmid.isdigit() or int(raw_pmid) == 0:
        raise ScreeningError(f"pmid {raw_pmid!r} is not a PMID")
    pmid = int(raw_pmid)
    if has_decision:
        word = cell(row, "decision").lower()
        if word not in WORDS:
            raise ScreeningError(f"decision {cell(row, 'decision')!r} is not one of include, exclude, maybe")
        decision = WORDS[word]
    else:
        label = cell(row, "included")
        if label not in ASREVIEW_LABELS:
            raise ScreeningError(f"included {label!r} is not 1, 0 or empty")
        decision = ASREVIEW_LABELS[label]
    if decision is None:
        return None
    if pmid not in members:
        raise ScreeningError(f"PMID {pmid} is not in collection {collection!r}")
    decided_at = cell(row, "decided_at") or None
    if decided_at:
        try:
            datetime.fromisoformat(decided_at)
        except ValueError:
            raise ScreeningError(f"decided_at {decided_at!r} is not an ISO 8601 time")
    row_stage = cell(row, "stage") or stage
    if row_stage not in STAGES:
        raise ScreeningError(f"stage {row_stage!r} is not one of {', '.join(STAGES)}")
    return Decision(collection, pmid, cell(row, "reviewer") or reviewer or "", decision, row_stage,
                    cell(row, "reason") or None, cell(row, "note") or None, decided_at).checked()


def import_decisions(db: sqlite_utils.Database, path, collection: str, reviewer: str | None,
                     stage: str = "title_abstract") -> ImportReport:
    """Store the readable rows of a decisions CSV (in one transaction); report the rest."""
    members = collection_member_pmids(db.conn, collection)
    if members is None:
        raise ScreeningError(f"no collection named {collection!r}")
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise ScreeningError(f"{path.name}: not UTF-8 text (byte {error.start})")
    decisions, report = read_decisions(text, collection, reviewer, stage, members, path.name)
    report.written = record_decisions(db, decisions)
    report.unchanged = len(decisions) - report.written
    return report


def export_decisions(conn, collection: str, stage: str | None = None, reviewer: str | None = None) -> str:
    """Each reviewer's current decisions as CSV text, by stage, PMID and reviewer."""
    out = io.StringIO()
    writer = csv.DictWriter(out, COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(current_decisions(conn, collection, stage, reviewer))
    return out.getvalue()
