"""A cohort report a clinician-researcher reads without SPARQL: per patient, the stage and why, the options the
sources give and the options a condition rules out, as one self-contained HTML page or as Markdown.

Everything shown comes from two stored queries run on the knowledge base plus the cases: ``case-stages`` (stage,
staging system and the reason) and ``case-treatment-options`` in both of its modes. This module only groups their
rows by patient and renders them; it decides nothing about applicability itself.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from rdflib import Graph

from .errors import InputError
from .namespaces import SARC
from .options import treatment_options
from .queries import QueryResult, table_rows
from .staging import NOT_STAGED, stage_graph

__all__ = [
    "CohortReport",
    "PatientSection",
    "ReportFormat",
    "ReportOption",
    "build_report",
    "render_report",
    "report_for_cases",
]

STAGE_ORDER = ("IA", "IB", "II", "IIIA", "IIIB", "IV", NOT_STAGED)
_RULED_OUT = "ruled out: "


class ReportFormat(StrEnum):
    """The report's file formats."""

    HTML = "html"
    MARKDOWN = "md"


@dataclass(frozen=True)
class ReportOption:
    """One sourced option for one patient: what, why (or why not), how the source rates it, and where it says so."""

    therapy: str
    conditions: str
    status: str
    evidence: str
    source_title: str
    source: str


@dataclass(frozen=True)
class PatientSection:
    """Everything the report says about one patient case."""

    case_id: str
    diagnosis: str
    primary_site: str
    stage: str
    staging_system: str
    reason: str
    options: tuple[ReportOption, ...]
    ruled_out: tuple[ReportOption, ...]


@dataclass(frozen=True)
class CohortReport:
    """The report of a cohort: a title, one section per patient (by case id) and the cohort's stage counts."""

    title: str
    sections: tuple[PatientSection, ...]

    @property
    def stage_counts(self) -> tuple[tuple[str, int], ...]:
        counts = Counter(section.stage for section in self.sections)
        return tuple((stage, counts.get(stage, 0)) for stage in STAGE_ORDER)


def _records(result: QueryResult) -> list[dict[str, str]]:
    return [dict(zip(result.columns, row, strict=True)) for row in table_rows(result)]


def _option(row: dict[str, str], *, ruled_out: bool) -> ReportOption:
    parts = row["conditions"].split("; ")
    if ruled_out:  # only what rules the option out: the rest is noise beside it
        parts = [p.removeprefix(_RULED_OUT) for p in parts if p.startswith(_RULED_OUT)]
    return ReportOption(
        therapy=row["therapyLabel"] or row["therapy"],
        conditions="; ".join(parts),
        status=row["recommendationStatus"],
        evidence=row["evidenceLevel"],
        source_title=row["sourceTitle"] or row["source"],
        source=row["source"],
    )


def _case_ids(cases: Graph) -> set[str]:
    return {str(value) for _case, value in cases.subject_objects(SARC.caseId)}


def build_report(graph: Graph, case_ids: Iterable[str], *, title: str) -> CohortReport:
    """The report of the cases ``case_ids`` in ``graph`` (the reasoned knowledge base plus those cases).

    Raises ``InputError`` when none of the cases is in the graph.
    """
    wanted = set(case_ids)
    stages = [r for r in _records(stage_graph(graph)) if r["case_id"] in wanted]
    if not stages:
        raise InputError("the cases file holds no patient case with a diagnosis and a primary site to report on")
    applicable: dict[str, list[ReportOption]] = {}
    excluded: dict[str, list[ReportOption]] = {}
    for target, ruled_out in ((applicable, False), (excluded, True)):
        for row in _records(treatment_options(graph, ruled_out=ruled_out)):
            if row["case_id"] in wanted:
                target.setdefault(row["case_id"], []).append(_option(row, ruled_out=ruled_out))
    sections = tuple(
        PatientSection(
            case_id=r["case_id"],
            diagnosis=r["diagnosis"],
            primary_site=r["primary_site"],
            stage=r["stage"],
            staging_system=r["staging_system"],
            reason=r["reason"],
            options=tuple(applicable.get(r["case_id"], ())),
            ruled_out=tuple(excluded.get(r["case_id"], ())),
        )
        for r in sorted(stages, key=lambda r: r["case_id"])
    )
    return CohortReport(title=title, sections=sections)


def report_for_cases(kb_and_cases: Graph, cases: Graph, *, title: str) -> CohortReport:
    """The report of every case of ``cases`` (a graph of imported cases), looked up in ``kb_and_cases``."""
    ids = _case_ids(cases)
    if not ids:
        raise InputError("the cases file holds no sarc:PatientCase with a sarc:caseId")
    return build_report(kb_and_cases, ids, title=title)


# ----------------------------------------------------------------------------------------------------- rendering

_CSS = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 72rem; padding: 0 1rem; color: #1d2329; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.25rem; margin-top: 2.2rem; border-bottom: 1px solid #ccd; }
h3 { font-size: 1rem; margin-bottom: .3rem; }
table { border-collapse: collapse; width: 100%; margin: .4rem 0 1rem; }
th, td { border: 1px solid #d5d9de; padding: .3rem .5rem; text-align: left; vertical-align: top; }
th { background: #eef1f4; } td.conditions { font-size: .9em; }
.facts { display: grid; grid-template-columns: max-content auto; gap: .1rem 1rem; }
.facts dt { font-weight: 600; } .facts dd { margin: 0; }
.stage { font-weight: 700; } .note { color: #555; font-size: .9em; }
nav ul { columns: 4; }
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _chart(counts: Sequence[tuple[str, int]]) -> str:
    """An inline SVG bar chart of the cohort's stages (no script, no external request)."""
    bar, gap, height, top = 56, 14, 160, 20
    most = max((n for _s, n in counts), default=0) or 1
    width = len(counts) * (bar + gap) + gap
    parts = [
        f'<svg role="img" aria-labelledby="chart-title" xmlns="http://www.w3.org/2000/svg" width="{width}" '
        f'height="{height + top + 40}" viewBox="0 0 {width} {height + top + 40}">',
        '<title id="chart-title">Patients per computed stage</title>',
    ]
    for i, (stage, n) in enumerate(counts):
        x = gap + i * (bar + gap)
        h = round(height * n / most)
        y = top + height - h
        parts.append(
            f'<g class="bar" data-stage="{_e(stage)}" data-count="{n}"><rect x="{x}" y="{y}" width="{bar}" '
            f'height="{h}" fill="#3c6e9f"/><text x="{x + bar / 2}" y="{y - 4}" text-anchor="middle" '
            f'font-size="12">{n}</text><text x="{x + bar / 2}" y="{top + height + 16}" text-anchor="middle" '
            f'font-size="12">{_e(stage)}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _option_table(options: Sequence[ReportOption], heading: str, condition_heading: str) -> str:
    rows = "".join(
        f'<tr><td>{_e(o.therapy)}</td><td class="conditions">{_e(o.conditions)}</td><td>{_e(o.status)}</td>'
        f"<td>{_e(o.evidence)}</td><td>{_e(o.source_title)}</td></tr>"
        for o in options
    )
    head = (f"<tr><th>option</th><th>{_e(condition_heading)}</th><th>status in the source</th>"
            "<th>level of evidence</th><th>source</th></tr>")  # fmt: skip
    body = f"<table>{head}{rows}</table>" if options else '<p class="note">none</p>'
    return f"<h3>{_e(heading)} ({len(options)})</h3>{body}"


def _html(report: CohortReport) -> str:
    sections = []
    for s in report.sections:
        stage = s.stage if s.stage == NOT_STAGED else f"stage {s.stage}"
        sections.append(
            f'<section id="case-{_e(s.case_id)}" class="patient"><h2>{_e(s.case_id)}: {_e(s.diagnosis)} of the '
            f'{_e(s.primary_site)}</h2><dl class="facts"><dt>stage</dt><dd class="stage">{_e(stage)}</dd>'
            f"<dt>staging system</dt><dd>{_e(s.staging_system or 'none')}</dd>"
            f"<dt>{'how staged' if s.stage != NOT_STAGED else 'why not staged'}</dt>"
            f'<dd class="reason">{_e(s.reason)}</dd>'
            "</dl>"
            + _option_table(s.options, "Options the sources give", "why it applies (and what is not known)")
            + _option_table(s.ruled_out, "Options ruled out", "ruled out because")
            + "</section>"
        )
    index = "".join(f'<li><a href="#case-{_e(s.case_id)}">{_e(s.case_id)}</a></li>' for s in report.sections)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(report.title)}</title><style>{_CSS}</style></head><body>"
        f"<h1>{_e(report.title)}</h1>"
        f'<p class="note">{len(report.sections)} patient(s). Stages by the PDQ tables (NCI PDQ soft tissue sarcoma '
        "treatment); options are the sourced statements of the sarcoma-kg knowledge base whose conditions the "
        "patient meets. A condition the case does not record is listed as not known. Not medical advice.</p>"
        f'<figure id="stage-chart">{_chart(report.stage_counts)}<figcaption>Patients per computed stage'
        "</figcaption></figure>"
        f"<nav><ul>{index}</ul></nav>{''.join(sections)}</body></html>\n"
    )


def _md_cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _md_table(options: Sequence[ReportOption], condition_heading: str) -> list[str]:
    if not options:
        return ["none", ""]
    lines = [f"| option | {condition_heading} | status in the source | level of evidence | source |",
             "|---|---|---|---|---|"]  # fmt: skip
    lines += [
        f"| {_md_cell(o.therapy)} | {_md_cell(o.conditions)} | {_md_cell(o.status)} | {_md_cell(o.evidence)} | "
        f"{_md_cell(o.source_title)} |"
        for o in options
    ]
    return [*lines, ""]


def _markdown(report: CohortReport) -> str:
    lines = [f"# {report.title}", "", f"{len(report.sections)} patient(s).", "", "| stage | patients |", "|---|---|"]
    lines += [f"| {stage} | {n} |" for stage, n in report.stage_counts]
    lines.append("")
    for s in report.sections:
        stage = s.stage if s.stage == NOT_STAGED else f"stage {s.stage}"
        lines += [f"## {s.case_id}: {s.diagnosis} of the {s.primary_site}", "",
                  f"- stage: **{stage}** ({s.staging_system or 'no staging system'})",
                  f"- {'how staged' if s.stage != NOT_STAGED else 'why not staged'}: {s.reason}", "",
                  f"### Options the sources give ({len(s.options)})", ""]  # fmt: skip
        lines += _md_table(s.options, "why it applies (and what is not known)")
        lines += [f"### Options ruled out ({len(s.ruled_out)})", ""]
        lines += _md_table(s.ruled_out, "ruled out because")
    return "\n".join(lines).rstrip("\n") + "\n"


def render_report(report: CohortReport, fmt: ReportFormat) -> bytes:
    """The report as UTF-8 bytes in ``fmt`` (same report, same bytes)."""
    text = _html(report) if fmt is ReportFormat.HTML else _markdown(report)
    return text.encode("utf-8")
