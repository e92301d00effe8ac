"""Rendering a committee report: HTML (Jinja2 templates, package data) and PDF (WeasyPrint).

Rendering takes the report's data and its current status only, so a sent report always
renders the same content; charts are inline SVG, so the HTML needs no script nor network.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from vigile.committees import charts, i18n
from vigile.committees.schemas import IndicatorResult, ReportData
from vigile.committees.types import Lang, ReportStatus


@dataclass(frozen=True)
class StatusLine:
    """Where the report stands, shown on its first page."""

    status: ReportStatus
    sent_at: datetime | None = None
    sent_by: str | None = None
    validated_at: datetime | None = None
    validated_by: str | None = None


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("vigile.committees", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _indicator(lang: Lang, result: IndicatorResult) -> dict[str, Any]:
    title = i18n.t(lang, result.key.value)
    if not result.available:
        reason = i18n.t(lang, result.reason or "")
        return {"title": title, "missing": i18n.t(lang, "not_available", reason=reason)}
    svg = ""
    chart = result.chart
    if chart is not None:
        unit = chart.unit

        def fmt(value: float) -> str:
            return i18n.cell(lang, unit, value)

        svg = charts.bar_chart(
            [i18n.cell(lang, chart.label_kind, label) for label in chart.labels],
            [(i18n.t(lang, s.key), s.values) for s in chart.series],
            stacked=chart.stacked,
            fmt=fmt,
            title=title,
        )
    return {
        "title": title,
        "missing": None,
        "columns": [i18n.t(lang, c.key) for c in result.columns],
        "numeric": [c.kind not in ("text", "level", "code") for c in result.columns],
        "rows": [
            [i18n.cell(lang, c.kind, value) for c, value in zip(result.columns, row, strict=True)]
            for row in result.rows
        ],
        "chart": Markup(svg),  # safe: built from escaped parts (charts.bar_chart)
    }


def _status(lang: Lang, line: StatusLine, zone: ZoneInfo) -> str:
    if line.status is ReportStatus.VALIDATED:
        return i18n.t(
            lang,
            "status_validated",
            at=i18n.moment(lang, line.validated_at, zone),
            by=line.validated_by or "—",
        )
    if line.status is ReportStatus.SENT:
        at = i18n.moment(lang, line.sent_at, zone)
        return i18n.t(lang, "status_sent", at=at, by=line.sent_by or "—")
    return i18n.t(lang, "status_draft")


def html(data: ReportData, line: StatusLine, lang: Lang) -> str:
    """The report as a standalone HTML page in ``lang``."""
    zone = ZoneInfo(data.timezone)
    template = _environment().get_template("report.html.j2")
    return template.render(
        r=data,
        lang=lang.value,
        t=lambda key, **values: i18n.t(lang, key, **values),
        day=lambda value: i18n.day(lang, value),
        moment=lambda value: i18n.moment(lang, value, zone),
        level=lambda value: i18n.level(lang, value),
        status=_status(lang, line, zone),
        draft=line.status is ReportStatus.DRAFT,
        indicators=[_indicator(lang, result) for result in data.indicators],
    )


def pdf(data: ReportData, line: StatusLine, lang: Lang) -> bytes:
    """The report as PDF (WeasyPrint renders the HTML, SVG charts included)."""
    from weasyprint import HTML  # heavy import, only when a PDF is asked for

    document: bytes = HTML(string=html(data, line, lang)).write_pdf()
    return document
