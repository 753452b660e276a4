"""Publications per year as a server-rendered SVG bar chart (no JavaScript, no CDN)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from markupsafe import escape

WIDTH = 760
HEIGHT = 240
MARGIN = {"left": 40, "right": 12, "top": 24, "bottom": 36}


def year_ticks(first: int, last: int) -> list[int]:
    """Years to label on the axis: every year for short spans, round years otherwise."""
    span = last - first
    step = 1 if span <= 12 else 5 if span <= 60 else 10
    ticks = [y for y in range(first, last + 1) if y % step == 0]
    return sorted({first, *ticks, last}) if step > 1 else ticks


def year_chart_svg(counts: Mapping[int, int], link: Callable[[int], str] | None = None,
                   title: str = "Publications per year") -> str:
    """An SVG bar per year from the first to the last year in ``counts``.

    Years with no publication get an empty slot, so gaps in the literature
    show. ``link(year)`` makes each bar a link (to the articles of that year).

    >>> "<svg" in year_chart_svg({2016: 3, 2018: 1})
    True
    """
    counts = {int(y): int(n) for y, n in counts.items() if y is not None}
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="litbase-chart" viewBox="0 0 {WIDTH} {HEIGHT}"'
        f' width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
    ]
    if not counts:
        parts.append(f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle">No dated articles</text></svg>')
        return "".join(parts)
    first, last = min(counts), max(counts)
    years = list(range(first, last + 1))
    plot_w = WIDTH - MARGIN["left"] - MARGIN["right"]
    plot_h = HEIGHT - MARGIN["top"] - MARGIN["bottom"]
    slot = plot_w / len(years)
    top = max(counts.values())
    base_y = MARGIN["top"] + plot_h
    parts.append(
        f'<line x1="{MARGIN["left"]}" y1="{base_y}" x2="{WIDTH - MARGIN["right"]}" y2="{base_y}" stroke="#555"/>'
        f'<text x="{MARGIN["left"] - 6}" y="{MARGIN["top"] + 4}" text-anchor="end" font-size="11">{top}</text>'
        f'<text x="{MARGIN["left"] - 6}" y="{base_y}" text-anchor="end" font-size="11">0</text>'
    )
    for i, year in enumerate(years):
        n = counts.get(year, 0)
        x = MARGIN["left"] + i * slot
        if n:
            h = plot_h * n / top
            label = f"{year}: {n} article{'s' if n != 1 else ''}"
            bar = (
                f'<rect x="{x + slot * 0.1:.1f}" y="{base_y - h:.1f}" width="{slot * 0.8:.1f}"'
                f' height="{h:.1f}" fill="#3b6ea5"><title>{label}</title></rect>'
            )
            if slot >= 14:
                bar += (f'<text x="{x + slot / 2:.1f}" y="{base_y - h - 3:.1f}" text-anchor="middle"'
                        f' font-size="10">{n}</text>')
            if link:
                bar = f'<a href="{escape(link(year))}">{bar}</a>'
            parts.append(bar)
    for year in year_ticks(first, last):
        x = MARGIN["left"] + (year - first + 0.5) * slot
        parts.append(
            f'<text x="{x:.1f}" y="{base_y + 16}" text-anchor="middle" font-size="11">{year}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
