"""The provider's calendar (report due dates), the report delay and the asset counting rules,
from settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from vigile.assets.types import Counting
from vigile.committees.dates import add_business_days
from vigile.config import Settings
from vigile.errors import InvalidInput
from vigile.service_levels import ServiceLevelError, TenantCalendar, parse_hours


@dataclass(frozen=True)
class CommitteePolicy:
    """Report due = committee date + ``report_days`` business days of ``calendar``."""

    calendar: TenantCalendar = field(default_factory=TenantCalendar)
    report_days: int = 10
    counting: Counting = field(default_factory=Counting)
    """How the assets indicator counts monitored assets (the assets slice's settings)."""

    @classmethod
    def from_settings(cls, settings: Settings) -> CommitteePolicy:
        try:
            calendar = TenantCalendar(
                timezone=settings.provider_timezone,
                hours=parse_hours(settings.provider_hours),
                public_holidays=settings.provider_holidays,
            )
            counting = Counting.parse(settings.assets_monitored_days, settings.assets_counted_kinds)
        except (ServiceLevelError, ValueError) as exc:
            raise InvalidInput(f"committee settings: {exc}") from exc
        return cls(calendar=calendar, report_days=settings.committee_report_days, counting=counting)

    def report_due(self, held_on: date) -> date:
        """The last day to send a committee's report to the client."""
        return add_business_days(self.calendar, held_on, self.report_days)

    def today(self, now: datetime) -> date:
        """The provider's local date at ``now``."""
        return self.calendar.local_date(now)
