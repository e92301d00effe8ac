"""Report due dates in business days of the provider's calendar, and the schedule."""

from __future__ import annotations

from datetime import date

import pytest

from vigile.committees.dates import add_business_days, add_months, schedule
from vigile.committees.policy import CommitteePolicy
from vigile.committees.types import Recurrence
from vigile.config import Settings
from vigile.service_levels import TenantCalendar, parse_hours

PROVIDER = CommitteePolicy().calendar  # Europe/Paris, FR holidays, Monday to Friday


@pytest.mark.parametrize(
    ("held_on", "due_on"),
    [
        # Friday before Christmas: 21-24 Dec (4), 25 Dec holiday, 28-31 Dec (8),
        # 1 Jan holiday, 4 and 5 Jan (10).
        (date(2026, 12, 18), date(2027, 1, 5)),
        # An ordinary fortnight: two working weeks.
        (date(2026, 11, 20), date(2026, 12, 4)),
        # Held on a Saturday: the Saturday does not count, Monday is day 1.
        (date(2026, 11, 21), date(2026, 12, 4)),
        # Ascension (14 May 2026) and Whit Monday (25 May 2026) are skipped.
        (date(2026, 5, 12), date(2026, 5, 28)),
        # 11 November (Armistice) is skipped.
        (date(2026, 11, 6), date(2026, 11, 23)),
    ],
)
def test_report_due_after_ten_business_days(held_on: date, due_on: date) -> None:
    assert CommitteePolicy().report_due(held_on) == due_on


def test_alsace_moselle_calendar_skips_boxing_day() -> None:
    calendar = TenantCalendar(public_holidays="FR-57", hours=parse_hours("mon-fri 09:00-18:00"))
    # Friday 26 December 2025 is also off in Moselle: one more day to count.
    assert add_business_days(PROVIDER, date(2025, 12, 19), 10) == date(2026, 1, 6)
    assert add_business_days(calendar, date(2025, 12, 19), 10) == date(2026, 1, 7)


def test_policy_reads_the_provider_calendar_from_settings() -> None:
    settings = Settings(provider_hours="mon-sat 09:00-12:00", committee_report_days=3)
    policy = CommitteePolicy.from_settings(settings)
    # Saturdays count for this provider: Sat 19, Mon 21, Tue 22.
    assert policy.report_due(date(2026, 12, 18)) == date(2026, 12, 22)


def test_add_months_clamps_to_month_end() -> None:
    assert add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)
    assert add_months(date(2026, 12, 18), -1) == date(2026, 11, 18)


def test_schedule_from_the_first_date() -> None:
    first = date(2026, 1, 31)
    assert schedule(first, Recurrence.MONTHLY, after=date(2026, 2, 10), count=3) == [
        date(2026, 2, 28),
        date(2026, 3, 31),
        date(2026, 4, 30),
    ]
    assert schedule(first, Recurrence.QUARTERLY, after=date(2026, 12, 1), count=2) == [
        date(2027, 1, 31),
        date(2027, 4, 30),
    ]
    assert schedule(first, Recurrence.YEARLY, after=date(2025, 6, 1), count=1) == [first]
