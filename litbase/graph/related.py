"""Related literature for one article, with the reasons beside the rank.

Four signals, each scaled to 0..1 by its strongest candidate so that none
drowns the others, then summed with equal weight:

- co-citation: how many articles cite both (CoCites' measure);
- coupling: how many references the two share (Kessler's bibliographic coupling);
- PubMed's similarity score from elink's ``pubmed_pubmed`` neighbours;
- text: SQLite FTS5 bm25 of the candidate against the article's title,
  keywords and MeSH terms.
"""

from __future__ import annotations

import re

import sqlite_utils

from litbase.store import related as signals

COMPONENTS = ("cocitation", "coupling", "pubmed_similarity", "text")
TEXT_CANDIDATES = 200
# Words that would match half the collection and say nothing about topic.
STOPWORDS = frozenset(
    "a an and are as at be by for from in into is it its of on or that the their this to was were "
    "with within we our study during among between using use based".split()
)


def text_query(title: str | None, keywords: list[str], mesh_terms: list[str]) -> str | None:
    """An FTS5 query: any of the distinctive words, each quoted so none is read as syntax."""
    text = " ".join([title or "", *keywords, *mesh_terms]).lower()
    words = dict.fromkeys(w for w in re.findall(r"[a-z0-9]{3,}", text) if w not in STOPWORDS)
    return " OR ".join(f'"{w}"' for w in words) or None


def _text_scores(db, pmid: int) -> dict[int, float]:
    fields = signals.topic_fields(db, pmid)
    if fields is None:
        return {}
    query = text_query(fields["title"], fields["keywords"], fields["mesh_terms"])
    if not query:
        return {}
    # One more than wanted: the article itself is usually its own best match.
    matches = signals.text_matches(db, query, limit=TEXT_CANDIDATES + 1)
    return {other: score for other, score in matches.items() if other != pmid}


def _or(value, default):
    return default if value is None else value


def related(db: sqlite_utils.Database, pmid: int, limit: int = 20) -> list[dict]:
    """Ranked related articles with each component's raw value and scaled share."""
    raw = {
        "cocitation": signals.cocited_with(db, pmid),
        "coupling": signals.coupled_with(db, pmid),
        "pubmed_similarity": signals.pubmed_similarity(db, pmid),
        "text": _text_scores(db, pmid),
    }
    top = {name: max(values.values(), default=0) or 1 for name, values in raw.items()}
    candidates = set().union(*raw.values()) - {pmid}
    ranked = []
    for other in candidates:
        scaled = {name: raw[name].get(other, 0) / top[name] for name in COMPONENTS}
        ranked.append(
            {
                "pmid": other,
                "score": round(sum(scaled.values()), 4),
                **{name: raw[name].get(other, 0) for name in COMPONENTS},
                **{f"{name}_share": round(scaled[name], 4) for name in COMPONENTS},
            }
        )
    # iCite's Relative Citation Ratio measures influence, not topic, so it
    # never adds to the score; among equally related articles it puts the
    # more influential first (an article iCite has not scored goes last).
    rcr = signals.relative_citation_ratios(db, [r["pmid"] for r in ranked])
    for row in ranked:
        row["relative_citation_ratio"] = rcr.get(row["pmid"])
    ranked.sort(key=lambda r: (-r["score"], -_or(r["relative_citation_ratio"], -1.0), r["pmid"]))
    ranked = ranked[:limit]
    titles = signals.titles_and_years(db, [r["pmid"] for r in ranked])
    for rank, row in enumerate(ranked, start=1):
        row["rank"] = rank
        row["title"], row["year"] = titles.get(row["pmid"], (None, None))
        row["text"] = round(row["text"], 3)
    return ranked
