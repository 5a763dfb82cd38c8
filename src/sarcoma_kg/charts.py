"""Charts as inline SVG: the cohort's computed-stage distribution (``serve``'s ``/cohort``, ``cases report``).

Plain SVG text with no script and no external reference, so a page or a report file shows it offline. Labels
are XML-escaped (they may come from users' data). Same counts, same bytes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from xml.sax.saxutils import escape

from .queries import QueryResult, compact_term

__all__ = ["STAGE_ORDER", "bar_chart_svg", "stage_counts", "stage_distribution_svg"]

#: The order stages are drawn in: PDQ stages, then cases no rule stages.
STAGE_ORDER = ("IA", "IB", "II", "IIIA", "IIIB", "IV", "not staged")


def stage_counts(result: QueryResult) -> dict[str, int]:
    """Cases per computed stage from the rows of the stored query ``case-stages`` (its ``stage`` column)."""
    column = result.columns.index("stage")
    counts = Counter(compact_term(row[column]) or "not staged" for row in result.rows)
    return _ordered(counts)


def _ordered(counts: Mapping[str, int]) -> dict[str, int]:
    staged = [s for s in STAGE_ORDER[:-1] if s in counts]
    others = sorted(s for s in counts if s not in STAGE_ORDER)
    tail = [STAGE_ORDER[-1]] if STAGE_ORDER[-1] in counts else []
    return {s: counts[s] for s in [*staged, *others, *tail]}


def bar_chart_svg(
    bars: Sequence[tuple[str, int]] | Iterable[tuple[str, int]],
    *,
    title: str,
    x_label: str = "",
    y_label: str = "cases",
    width: int = 560,
    height: int = 300,
) -> str:
    """A vertical bar chart of ``(label, count)`` pairs, as an ``<svg>`` element with a title for readers.

    >>> '<title>' in bar_chart_svg([("IA", 2)], title="Stages")
    True
    """
    bars = list(bars)
    left, right, top, bottom = 48, 16, 36, 56
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max([count for _, count in bars] + [1])
    step = plot_w / max(len(bars), 1)
    bar_w = min(64.0, step * 0.7)
    total = sum(count for _, count in bars)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="Helvetica, Arial, sans-serif">',
        f"<title>{escape(title)}: {total} cases</title>",
        f'<text x="{left}" y="20" font-size="14" font-weight="bold">{escape(title)}</text>',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#333"/>',
    ]
    for tick in sorted({0, peak // 2, peak}):
        y = top + plot_h - plot_h * tick / peak
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="10" text-anchor="end">{tick}</text>')
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#ddd"/>')
    for index, (label, count) in enumerate(bars):
        h = plot_h * count / peak
        x = left + step * index + (step - bar_w) / 2
        y = top + plot_h - h
        parts.append(
            f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" fill="#3b6ea8">'
            f"<title>{escape(label)}: {count}</title></rect>"
        )
        parts.append(
            f'<text x="{x + bar_w / 2:.1f}" y="{y - 4:.1f}" font-size="11" text-anchor="middle">{count}</text>'
        )
        parts.append(
            f'<text x="{x + bar_w / 2:.1f}" y="{top + plot_h + 16}" font-size="11" text-anchor="middle">'
            f"{escape(label)}</text>"
        )
    if x_label:
        parts.append(
            f'<text x="{left + plot_w / 2:.1f}" y="{height - 12}" font-size="11" text-anchor="middle">'
            f"{escape(x_label)}</text>"
        )
    parts.append(
        f'<text x="12" y="{top + plot_h / 2:.1f}" font-size="11" text-anchor="middle" '
        f'transform="rotate(-90 12 {top + plot_h / 2:.1f})">{escape(y_label)}</text>'
    )
    parts.append("</svg>")
    return "\n".join(parts)


def stage_distribution_svg(counts: Mapping[str, int]) -> str:
    """The computed-stage distribution (from :func:`stage_counts`) as a bar chart."""
    return bar_chart_svg(list(_ordered(counts).items()), title="Computed PDQ stage", x_label="stage")
