"""Committee indicators computed from the alerts slice's figures. Pure functions.

- alerts per level: every alert raised in the period, with or without a service level;
- service-level compliance: per level, alerts acknowledged on time, breaches (late, or not
  acknowledged past the deadline) and pending ones; the rate is on time ÷ (on time + breaches),
  none when nothing was decided yet;
- time to acknowledge: median and 90th percentile (nearest rank), business and wall-clock minutes;
- true-positive rate: true positives ÷ alerts with a verdict other than duplicate;
- top rules: by alert volume and by false positives (ties by volume, then rule id).
"""

from __future__ import annotations

from collections.abc import Sequence

from vigile.alerts.schemas import ComplianceReport, RuleQualityRow
from vigile.committees.schemas import Chart, Column, IndicatorResult, Series
from vigile.committees.types import Indicator

TOP_RULES = 10


def alerts_per_level(report: ComplianceReport) -> IndicatorResult:
    """Alerts raised per level (4 first), with and without a service level."""
    rows: list[list[int | float | str | None]] = [
        [lv.level, lv.alerts + lv.without_sla, lv.without_sla] for lv in report.levels
    ]
    return IndicatorResult(
        key=Indicator.ALERTS_PER_LEVEL,
        columns=[
            Column(key="level", kind="level"),
            Column(key="alerts", kind="int"),
            Column(key="without_sla", kind="int"),
        ],
        rows=rows,
        chart=Chart(
            labels=[lv.level for lv in report.levels],
            label_kind="level",
            series=[Series(key="alerts", values=[float(r[1] or 0) for r in rows])],
        ),
    )


def compliance_rate(on_time: int, breaches: int) -> float | None:
    """Share of decided alerts acknowledged on time (None when none is decided)."""
    decided = on_time + breaches
    return round(on_time / decided, 4) if decided else None


def sla_compliance(report: ComplianceReport) -> IndicatorResult:
    """Per level: alerts under a service level, on time, breaches, pending, rate."""
    rows: list[list[int | float | str | None]] = [
        [
            lv.level,
            lv.alerts,
            lv.acknowledged_on_time,
            lv.breaches,
            lv.pending,
            compliance_rate(lv.acknowledged_on_time, lv.breaches),
        ]
        for lv in report.levels
    ]
    return IndicatorResult(
        key=Indicator.SLA_COMPLIANCE,
        columns=[
            Column(key="level", kind="level"),
            Column(key="alerts_with_sla", kind="int"),
            Column(key="on_time", kind="int"),
            Column(key="breaches", kind="int"),
            Column(key="pending", kind="int"),
            Column(key="compliance", kind="pct"),
        ],
        rows=rows,
        chart=Chart(
            labels=[lv.level for lv in report.levels],
            label_kind="level",
            stacked=True,
            series=[
                Series(
                    key="on_time", values=[float(lv.acknowledged_on_time) for lv in report.levels]
                ),
                Series(key="breaches", values=[float(lv.breaches) for lv in report.levels]),
                Series(key="pending", values=[float(lv.pending) for lv in report.levels]),
            ],
        ),
    )


def ack_times(report: ComplianceReport) -> IndicatorResult:
    """Median and p90 time to acknowledge per level, in business and wall-clock minutes."""
    levels = report.levels
    return IndicatorResult(
        key=Indicator.ACK_TIMES,
        columns=[
            Column(key="level", kind="level"),
            Column(key="acknowledged", kind="int"),
            Column(key="median_business", kind="minutes"),
            Column(key="p90_business", kind="minutes"),
            Column(key="median_wall", kind="minutes"),
            Column(key="p90_wall", kind="minutes"),
        ],
        rows=[
            [
                lv.level,
                lv.acknowledged,
                lv.median_ack_business_minutes,
                lv.p90_ack_business_minutes,
                lv.median_ack_wall_minutes,
                lv.p90_ack_wall_minutes,
            ]
            for lv in levels
        ],
        chart=Chart(
            labels=[lv.level for lv in levels],
            label_kind="level",
            unit="minutes",
            series=[
                Series(
                    key="median_business",
                    values=[lv.median_ack_business_minutes or 0.0 for lv in levels],
                ),
                Series(
                    key="p90_business", values=[lv.p90_ack_business_minutes or 0.0 for lv in levels]
                ),
            ],
        ),
    )


def true_positive_rate(rows: Sequence[RuleQualityRow]) -> IndicatorResult:
    """Verdicts of the period's alerts, and true positives ÷ alerts with a verdict."""
    tp = sum(r.true_positive for r in rows)
    bp = sum(r.benign_positive for r in rows)
    fp = sum(r.false_positive for r in rows)
    judged = tp + bp + fp
    rate = round(tp / judged, 4) if judged else None
    return IndicatorResult(
        key=Indicator.TRUE_POSITIVE_RATE,
        columns=[
            Column(key="judged", kind="int"),
            Column(key="true_positive", kind="int"),
            Column(key="benign_positive", kind="int"),
            Column(key="false_positive", kind="int"),
            Column(key="true_positive_rate", kind="pct"),
        ],
        rows=[[judged, tp, bp, fp, rate]],
        chart=Chart(
            labels=["verdicts"],
            label_kind="code",
            stacked=True,
            series=[
                Series(key="true_positive", values=[float(tp)]),
                Series(key="benign_positive", values=[float(bp)]),
                Series(key="false_positive", values=[float(fp)]),
            ],
        ),
    )


def top_rules(
    rows: Sequence[RuleQualityRow], *, by_false_positives: bool, limit: int = TOP_RULES
) -> IndicatorResult:
    """The rules with most alerts (or most false positives), at most ``limit``."""
    if by_false_positives:
        chosen = sorted(
            (r for r in rows if r.false_positive),
            key=lambda r: (-r.false_positive, -r.alerts, r.rule_id),
        )
        key = Indicator.TOP_RULES_FALSE_POSITIVES
    else:
        chosen = sorted(rows, key=lambda r: (-r.alerts, -r.false_positive, r.rule_id))
        key = Indicator.TOP_RULES_VOLUME
    chosen = chosen[:limit]
    value = "false_positive" if by_false_positives else "alerts"
    return IndicatorResult(
        key=key,
        columns=[
            Column(key="rule", kind="text"),
            Column(key="alerts", kind="int"),
            Column(key="true_positive", kind="int"),
            Column(key="false_positive", kind="int"),
            Column(key="false_positive_rate", kind="pct"),
        ],
        rows=[
            [r.rule_title, r.alerts, r.true_positive, r.false_positive, r.false_positive_rate]
            for r in chosen
        ],
        chart=Chart(
            labels=[r.rule_title for r in chosen],
            label_kind="text",
            series=[
                Series(
                    key=value,
                    values=[
                        float(r.false_positive if by_false_positives else r.alerts) for r in chosen
                    ],
                )
            ],
        )
        if chosen
        else None,
    )


def incidents_by_category(
    closed: Sequence[tuple[str | None, bool]],
) -> IndicatorResult:
    """Incidents closed in the period per category (``other`` when none), and how many were
    true positives; most frequent first. ``closed``: (category, true positive) per incident."""
    counts: dict[str, list[int]] = {}
    for category, true_positive in closed:
        row = counts.setdefault(category or "other", [0, 0])
        row[0] += 1
        row[1] += int(true_positive)
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1][0], kv[0]))
    return IndicatorResult(
        key=Indicator.INCIDENTS_BY_CATEGORY,
        columns=[
            Column(key="category", kind="code"),
            Column(key="incidents_closed", kind="int"),
            Column(key="true_positive", kind="int"),
        ],
        rows=[[f"category_{name}", total, tp] for name, (total, tp) in ordered],
        chart=Chart(
            labels=[f"category_{name}" for name, _ in ordered],
            label_kind="code",
            series=[Series(key="incidents_closed", values=[float(v[0]) for _, v in ordered])],
        )
        if ordered
        else None,
    )


def assets_vs_subscribed(monitored: int, subscribed: int | None, inventory: int) -> IndicatorResult:
    """Monitored assets at the end of the period against the subscription."""
    above = None if subscribed is None else max(0, monitored - subscribed)
    return IndicatorResult(
        key=Indicator.ASSETS_VS_SUBSCRIBED,
        columns=[
            Column(key="monitored", kind="int"),
            Column(key="subscribed", kind="int"),
            Column(key="above_subscription", kind="int"),
            Column(key="inventory", kind="int"),
        ],
        rows=[[monitored, subscribed, above, inventory]],
        chart=Chart(
            labels=["monitored", "subscribed"],
            label_kind="code",
            series=[Series(key="assets", values=[float(monitored), float(subscribed or 0)])],
        ),
    )


def source_health(sources: Sequence[tuple[str, str, int, bool]]) -> IndicatorResult:
    """Sources at report time: (host, source type, events, silent), silent ones first."""
    ordered = sorted(sources, key=lambda s: (not s[3], s[0], s[1]))
    return IndicatorResult(
        key=Indicator.SOURCE_HEALTH,
        columns=[
            Column(key="source", kind="text"),
            Column(key="source_type", kind="text"),
            Column(key="events", kind="int"),
            Column(key="source_state", kind="code"),
        ],
        rows=[
            [host, kind, events, "state_silent" if silent else "state_ok"]
            for host, kind, events, silent in ordered
        ],
        chart=Chart(
            labels=["state_ok", "state_silent"],
            label_kind="code",
            series=[
                Series(
                    key="sources",
                    values=[
                        float(sum(1 for s in sources if not s[3])),
                        float(sum(1 for s in sources if s[3])),
                    ],
                )
            ],
        )
        if sources
        else None,
    )


def not_available(key: Indicator, reason: str) -> IndicatorResult:
    """An indicator the product cannot compute yet, said so (never made up)."""
    return IndicatorResult(key=key, available=False, reason=reason)
