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


def not_available(key: Indicator, reason: str) -> IndicatorResult:
    """An indicator the product cannot compute yet, said so (never made up)."""
    return IndicatorResult(key=key, available=False, reason=reason)
