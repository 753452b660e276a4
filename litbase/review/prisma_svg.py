"""The PRISMA 2020 flow diagram of a collection's report, as SVG drawn here (no dependency).

The boxes are PRISMA 2020's for a review whose records come from citation
searching: identification (by direction), records removed before screening
(duplicates, records without a PubMed record), records screened and excluded
with reasons, full texts assessed and excluded with reasons, studies
included. Every number comes from ``litbase.review.report.build_report``.

Text is wrapped to its box by an estimate of each character's width that is
generous for the usual sans-serif faces (DejaVu Sans, Liberation Sans,
Arial), so no line overflows its box; a browser test measures it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from xml.sax.saxutils import escape

from litbase.model.screening import STAGES

FONT_SIZE = 13
LINE_HEIGHT = 17
PADDING = 9
WIDTH = 860
BAND = 30  # the phase bands on the left (Identification, Screening, Included)
LEFT_X, LEFT_W = 50, 370
RIGHT_X, RIGHT_W = 470, 370
GAP = 26  # between rows, room for an arrow
BOLD = 1.1
TITLE_SCALE = 15 / FONT_SIZE
FONT = "DejaVu Sans, Liberation Sans, Arial, Helvetica, sans-serif"

DIRECTION_LABELS = {
    "seed": "Seed records",
    "search": "Database search (PubMed)",
    "import": "Imported reference lists",
    "backward": "Backward citation searching",
    "forward": "Forward citation searching",
    "similar": "Similar articles (PubMed)",
    "co-cited": "Co-cited records",
    "co-citing": "Co-citing records",
}

# Em widths, generous: DejaVu Sans is the widest common default.
_NARROW = set("iljtf.,;:!|'()[] ")
_WIDE = set("mwMW@%")


def text_width(text: str, size: float = FONT_SIZE) -> float:
    """An upper estimate of the rendered width of ``text`` in pixels."""
    em = 0.0
    for ch in text:
        if ch in _WIDE:
            em += 0.95
        elif ch in _NARROW:
            em += 0.38
        elif ch.isupper():
            em += 0.76
        else:
            em += 0.64
    return em * size


def wrap(text: str, width: float) -> list[str]:
    """Split ``text`` into lines no wider than ``width`` pixels (a word too long for one is cut)."""
    lines, current = [], ""
    # "(n = 12)" is never split over two lines.
    for word in re.findall(r"\S*\(n = \d+\)\S*|\S+", text):
        candidate = f"{current} {word}" if current else word
        if text_width(candidate) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        pieces = _cut(word, width)
        lines.extend(pieces[:-1])
        current = pieces[-1]
    return lines + [current] if current else lines


def _cut(word: str, width: float) -> list[str]:
    """A word in pieces that each fit ``width``, cut after a hyphen or underscore when one is near."""
    pieces = []
    while text_width(word) > width:
        end = 1
        while end < len(word) and text_width(word[:end + 1]) <= width:
            end += 1
        soft = max(word.rfind("-", 0, end), word.rfind("_", 0, end))
        end = soft + 1 if soft >= end // 2 else end
        pieces.append(word[:end])
        word = word[end:]
    return pieces + [word]


@dataclass
class Box:
    name: str
    x: float
    width: float
    lines: list[str]  # the first line is the box's heading
    y: float = 0.0

    @property
    def wrapped(self) -> list[tuple[str, bool]]:
        """(line, is_heading) after wrapping to the box's inner width."""
        inner = self.width - 2 * PADDING
        # Headings are bold, about a tenth wider.
        return [(part, i == 0) for i, line in enumerate(self.lines)
                for part in wrap(line, inner / BOLD if i == 0 else inner)]

    @property
    def height(self) -> float:
        return 2 * PADDING + LINE_HEIGHT * len(self.wrapped)


def n(value: int) -> str:
    return f"(n = {value})"


def diagram_boxes(report: dict) -> list[list[Box]]:
    """The diagram's rows of boxes (left box, then the box beside it if any), with their text."""
    identified, removed = report["identified"], report["removed_before_screening"]
    screened, excluded, included = report["screened"], report["excluded"], report["included"]
    first, last = STAGES[0], STAGES[-1]
    found = [f"{DIRECTION_LABELS.get(d, d)} {n(k)}" for d, k in identified["by_direction"].items() if k]
    hops = ", ".join(f"hop {h} {n(k)}" for h, k in identified["by_hop"].items())
    rows = [[
        Box("identified", LEFT_X, LEFT_W, [f"Records identified {n(identified['total'])}", *found,
                                           f"By hop: {hops}" if hops else "By hop: none"]),
        Box("removed", RIGHT_X, RIGHT_W, ["Records removed before screening:",
                                          f"Duplicate records {n(removed['duplicates'])}",
                                          f"Records without a PubMed record {n(removed['without_record'])}"]),
    ]]
    for stage, heading, excluded_heading in (
            (first, "Records screened", "Records excluded"),
            (last, "Full-text reports assessed for eligibility", "Reports excluded")):
        undecided = screened["undecided"][stage]
        notes = []
        if screened["awaiting"][stage]:
            notes.append(f"Not yet screened {n(screened['awaiting'][stage])}" if stage == first
                         else f"Awaiting assessment {n(screened['awaiting'][stage])}")
        if undecided["maybe"]:
            notes.append(f"Undecided (maybe) {n(undecided['maybe'])}")
        if undecided["conflict"]:
            notes.append(f"Reviewers in conflict {n(undecided['conflict'])}")
        reasons = [f"{reason} {n(k)}" for reason, k in excluded["by_reason"][stage].items()]
        rows.append([
            Box(f"screened_{stage}", LEFT_X, LEFT_W, [f"{heading} {n(screened['by_stage'][stage])}", *notes]),
            Box(f"excluded_{stage}", RIGHT_X, RIGHT_W,
                [f"{excluded_heading} {n(excluded['by_stage'][stage])}"
                 + (":" if reasons else ""), *reasons]),
        ])
    rows.append([Box("included", LEFT_X, LEFT_W, [f"Studies included in review {n(included['total'])}"])])
    return rows


def prisma_svg(report: dict) -> str:
    """The diagram as a standalone SVG document."""
    rows = diagram_boxes(report)
    title = f"PRISMA 2020 flow diagram: citation searching, collection {report['collection']}"
    bands = [("Identification", [0]), ("Screening", [1, 2]), ("Included", [3])]
    # A band is at least as tall as its label is long (it is written along the band).
    least = {i: (text_width(label) * BOLD + 2 * PADDING - GAP * (len(members) - 1)) / len(members)
             for label, members in bands for i in members}
    title_lines = wrap(title, (WIDTH - 40) / BOLD / TITLE_SCALE)
    y, spans = 28.0 + 20 * len(title_lines), []
    for i, row in enumerate(rows):
        height = max(least[i], *(box.height for box in row))
        for box in row:
            box.y = y
        spans.append((y, height))
        y += height + GAP
    total_height = y - GAP + 16
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{total_height:.0f}"'
        f' viewBox="0 0 {WIDTH} {total_height:.0f}" font-family="{FONT}" font-size="{FONT_SIZE}"'
        f' role="img" aria-label="{escape(title, {chr(34): "&quot;"})}" class="litbase-prisma">',
        "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\""
        " markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#333\"/>"
        "</marker></defs>",
        *(f'<text x="{WIDTH / 2:.0f}" y="{24 + 20 * i}" text-anchor="middle" font-size="15" font-weight="bold"'
          f' class="prisma-title">{escape(line)}</text>' for i, line in enumerate(title_lines)),
    ]
    for label, members in bands:
        top = spans[members[0]][0]
        bottom = spans[members[-1]][0] + spans[members[-1]][1]
        parts.append(_band(label, top, bottom - top))
    for i, row in enumerate(rows):
        for box in row:
            parts.append(_box(box))
        left = row[0]
        if len(row) > 1:
            mid = left.y + min(left.height, row[1].height) / 2
            parts.append(_arrow(left.x + left.width, mid, row[1].x, mid))
        if i + 1 < len(rows):
            x = left.x + left.width / 2
            parts.append(_arrow(x, left.y + left.height, x, rows[i + 1][0].y))
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _box(box: Box) -> str:
    lines = [f'<g class="prisma-box" data-box="{box.name}">',
             f'<rect x="{box.x}" y="{box.y:.0f}" width="{box.width}" height="{box.height:.0f}"'
             ' fill="#fff" stroke="#333" rx="3"/>']
    for i, (text, heading) in enumerate(box.wrapped):
        weight = ' font-weight="bold"' if heading else ""
        lines.append(f'<text x="{box.x + PADDING}" y="{box.y + PADDING + LINE_HEIGHT * (i + 1) - 4:.0f}"'
                     f'{weight}>{escape(text)}</text>')
    lines.append("</g>")
    return "".join(lines)


def _band(label: str, top: float, height: float) -> str:
    # Drawn along the band in the group's own frame, rotated, so rect and text share coordinates.
    return (f'<g class="prisma-band" data-box="band_{label.lower()}"'
            f' transform="translate(10 {top + height:.0f}) rotate(-90)">'
            f'<rect x="0" y="0" width="{height:.0f}" height="{BAND - 4}" fill="#cfe2f3" stroke="#333" rx="3"/>'
            f'<text x="{height / 2:.0f}" y="{BAND / 2 + 3:.0f}" text-anchor="middle"'
            f' font-weight="bold">{label}</text></g>')


def _arrow(x1: float, y1: float, x2: float, y2: float) -> str:
    return (f'<line x1="{x1:.0f}" y1="{y1:.0f}" x2="{x2:.0f}" y2="{y2:.0f}" stroke="#333"'
            ' marker-end="url(#arrow)"/>')
