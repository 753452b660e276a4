"""Screening decisions in and out as CSV, the file a spreadsheet, Rayyan or ASReview exchanges.

Columns: ``pmid, decision, reason, note, reviewer`` (plus ``stage`` and
``decided_at``, which litbase writes and reads back). Reading also takes
ASReview's ``included`` column (1 include, 0 exclude, empty or -1 not
screened), Rayyan's words (Included, Excluded, Maybe) and Rayyan's own
articles.csv, whose ``notes`` hold every reviewer's decision. A row that cannot
be read is skipped and named (file, line, why); the rest are stored, and a
row identical to the reviewer's current decision is not stored again.
"""

from __future__ import annotations

import csv
import io
import re
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
    if "decision" in headers:
        choices = _decision_column
    elif "included" in headers:
        choices = _asreview_column
    elif "notes" in headers:
        choices = _rayyan_notes
    else:
        raise ScreeningError(f"{name}: no decision column (nor ASReview's included, nor Rayyan's notes)")

    def cell(row, column):
        header = headers.get(column)
        return (row.get(header) or "").strip() if header else ""

    decisions = []
    for row in reader:
        try:
            found = _row_decisions(row, cell, choices, pmid_header, collection, reviewer, stage, members)
        except ScreeningError as error:
            report.problems.append(f"{name} line {reader.line_num}: {error}")
            continue
        if not found:
            report.not_screened += 1
        decisions.extend(found)
    return decisions, report


def _decision_column(cell, row, reviewer) -> list[tuple[str, str, str | None]]:
    word = cell(row, "decision").lower()
    if word not in WORDS:
        raise ScreeningError(f"decision {cell(row, 'decision')!r} is not one of include, exclude, maybe")
    return [(cell(row, "reviewer") or reviewer or "", WORDS[word], cell(row, "reason") or None)] if WORDS[word] else []


def _asreview_column(cell, row, reviewer) -> list[tuple[str, str, str | None]]:
    label = cell(row, "included")
    if label not in ASREVIEW_LABELS:
        raise ScreeningError(f"included {label!r} is not 1, 0 or empty")
    decision = ASREVIEW_LABELS[label]
    return [(cell(row, "reviewer") or reviewer or "", decision, cell(row, "reason") or None)] if decision else []


# Rayyan's articles.csv keeps every reviewer's decision in its notes column:
# RAYYAN-INCLUSION: {"Ana"=>"Included", "Ben"=>"Excluded"} | RAYYAN-EXCLUSION-REASONS: wrong population
RAYYAN_DECISION = re.compile(r'"([^"]+)"=>"(Included|Excluded|Maybe|Undecided)"', re.I)
RAYYAN_REASONS = re.compile(r"RAYYAN-EXCLUSION-REASONS:\s*([^|]*)")


def _rayyan_notes(cell, row, reviewer) -> list[tuple[str, str, str | None]]:
    notes = cell(row, "notes")
    inclusion = notes.partition("RAYYAN-INCLUSION:")[2].partition("|")[0]
    reasons = RAYYAN_REASONS.search(notes)
    # Rayyan exports a record's exclusion reasons, not whose they are: each exclusion carries them.
    reason = "; ".join(r.strip() for r in reasons.group(1).split(",") if r.strip()) if reasons else None
    found = []
    for name, word in RAYYAN_DECISION.findall(inclusion):
        decision = WORDS[word.lower()]
        if decision:
            found.append((name.strip(), decision, reason if decision != "include" else None))
    return found


def _row_decisions(row, cell, choices, pmid_header, collection, reviewer, stage, members) -> list[Decision]:
    raw_pmid = (row.get(pmid_header) or "").strip()
    if not raw_pmid.isdigit() or int(raw_pmid) == 0:
        raise ScreeningError(f"pmid {raw_pmid!r} is not a PMID")
    pmid = int(raw_pmid)
    found = choices(cell, row, reviewer)
    if not found:
        return []
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
    note = cell(row, "note") or None
    return [Decision(collection, pmid, name, decision, row_stage, reason, note, decided_at).checked()
            for name, decision, reason in found]


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
