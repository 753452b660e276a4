"""What a screening decision is: its stages, its choices, and the one check every writer runs.

Kept in the model so the command line, the web page and a CSV import refuse
the same mistakes with the same words.
"""

from __future__ import annotations

from dataclasses import dataclass

STAGES = ("title_abstract", "full_text")
DECISIONS = ("include", "exclude", "maybe")


class ScreeningError(ValueError):
    """A decision that cannot be recorded; the message is one line for the user."""


@dataclass(frozen=True)
class Decision:
    collection: str
    pmid: int
    reviewer: str
    decision: str
    stage: str = "title_abstract"
    reason: str | None = None
    note: str | None = None
    decided_at: str | None = None  # UTC ISO 8601; None: when it is stored

    def checked(self) -> Decision:
        """This decision, or ScreeningError naming the field that is wrong."""
        if self.decision not in DECISIONS:
            raise ScreeningError(f"decision {self.decision!r} is not one of {', '.join(DECISIONS)}")
        if self.stage not in STAGES:
            raise ScreeningError(f"stage {self.stage!r} is not one of {', '.join(STAGES)}")
        if not (self.reviewer or "").strip():
            raise ScreeningError("a decision needs a reviewer name")
        if self.reason and self.decision == "include":
            # A reason explains an exclusion (PRISMA counts exclusions by reason).
            raise ScreeningError(f"PMID {self.pmid}: a reason goes with exclude or maybe, not include")
        return self

    def same_as(self, row: dict | None) -> bool:
        """Whether a stored decision row says exactly this (a rerun writes nothing new)."""
        return row is not None and (row["decision"], row["reason"] or None, row["note"] or None) == (
            self.decision, self.reason or None, self.note or None)


def check_reason(reason: str | None, reasons: list[str], collection: str) -> str | None:
    """The reason, if the collection has no list or the list has it; else ScreeningError."""
    reason = (reason or "").strip() or None
    if reason and reasons and reason not in reasons:
        raise ScreeningError(f"reason {reason!r} is not in the list of collection {collection!r}:"
                             f" {'; '.join(reasons)}")
    return reason
