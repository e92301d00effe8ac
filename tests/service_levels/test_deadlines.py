"""Deadlines to the minute: hand-checked cases from the contract's point of view."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from vigile.service_levels import (
    REASON_BEFORE_GO_LIVE,
    REASON_NO_GO_LIVE,
    Level,
    NaiveDatetimeError,
    NoOpenTimeError,
    ServiceTerms,
    TenantCalendar,
    compute_deadline,
    parse_hours,
    recompute_deadline,
    share_used,
    time_left,
    time_used,
)

PARIS = ZoneInfo("Europe/Paris")
LIVE = date(2020, 1, 1)


def terms(hours: str = "mon-fri 09:00-18:00", **options: object) -> ServiceTerms:
    calendar_options = {k: options.pop(k) for k in list(options) if k != "around_the_clock"}
    calendar = TenantCalendar(hours=parse_hours(hours), **calendar_options)  # type: ignore[arg-type]
    return ServiceTerms(calendar=calendar, go_live=LIVE, **options)  # type: ignore[arg-type]


def due(service: ServiceTerms, level: int, raised: str) -> str:
    """Deadline shown in the tenant's zone, like ``vigile sla due`` prints it."""
    deadline = compute_deadline(service, level, datetime.fromisoformat(raised))
    assert deadline.due_at is not None, deadline.reason
    assert deadline.due_at.tzinfo is UTC
    return service.calendar.to_local(deadline.due_at).isoformat()


DEFAULT = terms()


@pytest.mark.parametrize(
    ("level", "raised", "expected"),
    [
        # Friday 17:00 level 1: 1 h on Friday, 7 h on Monday (after the March DST change).
        (1, "2026-03-27T17:00:00+01:00", "2026-03-30T16:00:00+02:00"),
        # The same in October: the night gains an hour, closed, nothing changes.
        (1, "2026-10-23T17:00:00+02:00", "2026-10-26T16:00:00+01:00"),
        # Raised exactly at opening.
        (4, "2026-12-07T09:00:00+01:00", "2026-12-07T10:30:00+01:00"),
        # Raised exactly at closing: the clock starts next morning.
        (4, "2026-12-07T18:00:00+01:00", "2026-12-08T10:30:00+01:00"),
        # A delay that uses the day's last minute ends at closing time, not next morning.
        (4, "2026-12-07T16:30:00+01:00", "2026-12-07T18:00:00+01:00"),
        (3, "2026-12-07T16:30:00+01:00", "2026-12-08T10:30:00+01:00"),
        (2, "2026-12-07T12:00:00+01:00", "2026-12-07T17:00:00+01:00"),
        # Raised at night, before opening.
        (4, "2026-12-08T03:00:00+01:00", "2026-12-08T10:30:00+01:00"),
        # Raised on Saturday: Monday morning.
        (3, "2026-12-05T11:00:00+01:00", "2026-12-07T12:00:00+01:00"),
        # Raised on a public holiday (Friday 1 May 2026): Monday 4 May.
        (4, "2026-05-01T10:00:00+02:00", "2026-05-04T10:30:00+02:00"),
        # Ascension Thursday then a normal Friday.
        (1, "2026-05-13T17:00:00+02:00", "2026-05-15T16:00:00+02:00"),
        # Christmas Eve evening: Friday 25 is Christmas, then the weekend.
        (1, "2026-12-24T17:00:00+01:00", "2026-12-28T16:00:00+01:00"),
        (4, "2026-12-24T17:30:00+01:00", "2026-12-28T10:00:00+01:00"),
        # New Year: 31 Dec 2026 is a Thursday, 1 Jan a Friday.
        (2, "2026-12-31T16:00:00+01:00", "2027-01-04T12:00:00+01:00"),
        # UTC input ('Z') is fine, output is in UTC shown here with the tenant offset.
        (4, "2026-12-07T08:00:00+00:00", "2026-12-07T10:30:00+01:00"),
        # Seconds are kept.
        (4, "2026-12-07T09:00:30+01:00", "2026-12-07T10:30:30+01:00"),
    ],
)
def test_default_calendar(level, raised, expected):
    assert due(DEFAULT, level, raised) == expected


@pytest.mark.parametrize("spec", ["FR-57", "FR-6AE"])
def test_alsace_moselle_good_friday(spec):
    # Thursday 2 April 2026, 17:00, level 3: 1 h on Thursday, then 2 h.
    raised = "2026-04-02T17:00:00+02:00"
    assert due(terms(), 3, raised) == "2026-04-03T11:00:00+02:00"
    # Good Friday and Easter Monday closed: Tuesday.
    assert due(terms(public_holidays=spec), 3, raised) == "2026-04-07T11:00:00+02:00"


@pytest.mark.parametrize("spec", ["FR-57", "FR-6AE"])
def test_alsace_moselle_26_december(spec):
    # Wednesday 24 Dec 2025, 17:00, level 1; Friday 26 is open in France, not in Alsace-Moselle.
    raised = "2025-12-24T17:00:00+01:00"
    assert due(terms(), 1, raised) == "2025-12-26T16:00:00+01:00"
    assert due(terms(public_holidays=spec), 1, raised) == "2025-12-29T16:00:00+01:00"


def test_dst_march_open_sunday():
    service = terms("mon-sun 09:00-18:00")
    # Sunday 29 March 2026 (spring forward at 02:00): daytime hours unaffected.
    assert due(service, 4, "2026-03-29T09:00:00+02:00") == "2026-03-29T10:30:00+02:00"
    assert due(service, 1, "2026-03-28T17:00:00+01:00") == "2026-03-29T16:00:00+02:00"
    assert due(service, 1, "2026-10-24T17:00:00+02:00") == "2026-10-25T16:00:00+01:00"


def test_dst_night_opening_counts_real_minutes():
    service = terms("sun 00:00-06:00")
    # March: the 00:00-06:00 opening lasts 5 real hours; level 2 (5 h) ends at closing.
    assert due(service, 2, "2026-03-28T23:00:00+01:00") == "2026-03-29T06:00:00+02:00"
    assert due(service, 4, "2026-03-29T01:30:00+01:00") == "2026-03-29T04:00:00+02:00"
    # October: it lasts 7 real hours; 5 h after 00:00 CEST is 04:00 CET.
    assert due(service, 2, "2026-10-25T00:00:00+02:00") == "2026-10-25T04:00:00+01:00"
    # Level 1 (8 h): 7 h that night, then 1 h on Sunday 8 November (1 November, the next
    # Sunday, is All Saints' Day).
    assert due(service, 1, "2026-10-25T00:00:00+02:00") == "2026-11-08T01:00:00+01:00"


def test_dst_interval_edges_inside_the_change():
    # 02:30 does not exist on 29 March 2026: the opening happens at the jump (03:00 CEST).
    spring = terms("sun 02:30-05:00")
    assert due(spring, 4, "2026-03-29T00:00:00+01:00") == "2026-03-29T04:30:00+02:00"
    assert spring.calendar.open_intervals_on(date(2026, 3, 29)) == (
        (datetime(2026, 3, 29, 1, 0, tzinfo=UTC), datetime(2026, 3, 29, 3, 0, tzinfo=UTC)),
    )
    # 02:30 happens twice on 25 October 2026: the opening happens at the first one and runs
    # to 04:00 CET, 2 h 30 of real time.
    autumn = terms("sun 02:30-04:00")
    assert autumn.calendar.open_time_between(
        datetime(2026, 10, 24, tzinfo=UTC), datetime(2026, 10, 26, tzinfo=UTC)
    ) == timedelta(hours=2, minutes=30)
    assert due(autumn, 4, "2026-10-25T00:00:00+02:00") == "2026-10-25T03:00:00+01:00"
    # Level 3: 2 h 30 that night, All Saints' Day skipped, 30 min on 8 November.
    assert due(autumn, 3, "2026-10-25T00:00:00+02:00") == "2026-11-08T03:00:00+01:00"
    # Raised during the repeated hour (second 02:15, CET): the opening is under way.
    assert due(autumn, 4, "2026-10-25T02:15:00+01:00") == "2026-10-25T03:45:00+01:00"


def test_24_7_level_4_is_wall_clock():
    service = terms(around_the_clock=True)
    # Saturday night.
    assert due(service, 4, "2026-12-05T03:00:00+01:00") == "2026-12-05T04:30:00+01:00"
    # Other levels keep business hours.
    assert due(service, 3, "2026-12-05T03:00:00+01:00") == "2026-12-07T12:00:00+01:00"
    # During business hours too (wall clock is never longer there).
    assert due(service, 4, "2026-12-07T17:00:00+01:00") == "2026-12-07T18:30:00+01:00"
    # Even on Christmas night, and across the DST night: 1 h 30 of real time.
    assert due(service, 4, "2026-12-25T02:00:00+01:00") == "2026-12-25T03:30:00+01:00"
    assert due(service, 4, "2026-03-29T01:30:00+01:00") == "2026-03-29T04:00:00+02:00"
    deadline = compute_deadline(
        service, Level.CRITICAL, datetime.fromisoformat("2026-12-05T03:00Z")
    )
    assert deadline.wall_clock
    # Without 24/7 the night alert waits for Monday.
    assert due(DEFAULT, 4, "2026-12-05T03:00:00+01:00") == "2026-12-07T10:30:00+01:00"


def test_several_intervals_per_day_and_24_00():
    service = terms("mon-fri 08:30-12:00,13:30-18:00; sat 09:00-12:00")
    assert due(service, 3, "2026-12-07T11:00:00+01:00") == "2026-12-07T15:30:00+01:00"
    assert due(service, 4, "2026-12-07T12:30:00+01:00") == "2026-12-07T15:00:00+01:00"
    # Friday 17-18 (1 h), Saturday 09-12 (3 h), Monday 08:30-12:00 (3 h 30), then 30 min.
    assert due(service, 1, "2026-12-04T17:00:00+01:00") == "2026-12-07T14:00:00+01:00"
    night = terms("mon-fri 20:00-24:00; sat 00:00-02:00")
    assert due(night, 2, "2026-12-04T23:00:00+01:00") == "2026-12-07T22:00:00+01:00"
    assert due(night, 4, "2026-12-04T23:00:00+01:00") == "2026-12-05T00:30:00+01:00"
    always = terms("mon-sun 00:00-24:00", public_holidays=None)
    assert due(always, 1, "2026-12-24T20:00:00+01:00") == "2026-12-25T04:00:00+01:00"


def test_extra_days():
    service = terms(
        closed_days=frozenset({date(2026, 12, 7)}), open_days=frozenset({date(2026, 12, 5)})
    )
    # Extra open Saturday uses Monday's hours; extra closed Monday is skipped.
    assert due(service, 1, "2026-12-04T17:00:00+01:00") == "2026-12-05T16:00:00+01:00"
    assert due(service, 4, "2026-12-06T12:00:00+01:00") == "2026-12-08T10:30:00+01:00"


def test_other_time_zone():
    service = terms(timezone="America/New_York", public_holidays="US")
    # Thanksgiving 2026 is Thursday 26 November.
    assert due(service, 1, "2026-11-25T17:00:00-05:00") == "2026-11-27T16:00:00-05:00"


def test_go_live():
    calendar = TenantCalendar()
    raised = datetime.fromisoformat("2026-12-07T10:00:00+01:00")
    none = compute_deadline(ServiceTerms(calendar=calendar), 4, raised)
    assert (none.due_at, none.reason, none.applies) == (None, REASON_NO_GO_LIVE, False)
    service = ServiceTerms(calendar=calendar, go_live=date(2026, 12, 8))
    before = compute_deadline(service, 4, raised)
    assert (before.due_at, before.reason) == (None, REASON_BEFORE_GO_LIVE)
    assert time_left(service, before, raised) is None
    assert time_used(service, before, raised) is None
    # 24/7 does not bypass go-live.
    assert compute_deadline(ServiceTerms(around_the_clock=True), 4, raised).reason == (
        REASON_NO_GO_LIVE
    )


def test_go_live_boundary_is_local_date():
    service = ServiceTerms(go_live=date(2026, 12, 1))
    # 23:30 Paris on 30 November (22:30 UTC): before go-live.
    late = compute_deadline(service, 4, datetime(2026, 11, 30, 22, 30, tzinfo=UTC))
    assert late.reason == REASON_BEFORE_GO_LIVE
    # 23:30 UTC on 30 November is already 1 December in Paris: the service level applies.
    early = compute_deadline(service, 4, datetime(2026, 11, 30, 23, 30, tzinfo=UTC))
    assert early.due_at == datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    # Midnight exactly on the go-live date applies.
    midnight = datetime.fromisoformat("2026-12-01T00:00:00+01:00")
    assert compute_deadline(service, 4, midnight).applies
    assert not compute_deadline(service, 4, midnight - timedelta(microseconds=1)).applies


def test_recompute_from_original_raise():
    service = terms(around_the_clock=True)
    first = compute_deadline(service, 1, datetime.fromisoformat("2026-12-05T03:00:00+01:00"))
    assert service.calendar.to_local(first.due_at).isoformat() == "2026-12-07T17:00:00+01:00"
    raised = recompute_deadline(service, first, Level.CRITICAL)
    assert raised.raised_at == first.raised_at
    assert raised.due_at == datetime(2026, 12, 5, 3, 30, tzinfo=UTC)
    lowered = recompute_deadline(service, raised, 3)
    assert lowered.due_at == datetime(2026, 12, 7, 11, 0, tzinfo=UTC)
    assert lowered.level is Level.HIGH and not lowered.wall_clock


def test_time_used_and_left():
    deadline = compute_deadline(DEFAULT, 1, datetime.fromisoformat("2026-12-04T17:00:00+01:00"))
    at = datetime.fromisoformat
    assert time_used(DEFAULT, deadline, at("2026-12-07T10:00:00+01:00")) == timedelta(hours=2)
    assert time_left(DEFAULT, deadline, at("2026-12-07T10:00:00+01:00")) == timedelta(hours=6)
    assert share_used(DEFAULT, deadline, at("2026-12-07T13:00:00+01:00")) == 0.625
    # Over the weekend nothing is used.
    assert time_left(DEFAULT, deadline, at("2026-12-06T10:00:00+01:00")) == timedelta(hours=7)
    # Overdue: negative, in business time.
    assert time_left(DEFAULT, deadline, at("2026-12-08T09:30:00+01:00")) == -timedelta(
        hours=2, minutes=30
    )
    # Wall clock for 24/7 level 4.
    service = terms(around_the_clock=True)
    night = compute_deadline(service, 4, at("2026-12-05T03:00:00+01:00"))
    assert time_left(service, night, at("2026-12-05T04:00:00+01:00")) == timedelta(minutes=30)
    assert time_used(service, night, at("2026-12-05T02:00:00+01:00")) == timedelta(0)
    assert share_used(service, night, at("2026-12-05T06:00:00+01:00")) == 2.0


def test_errors():
    with pytest.raises(NaiveDatetimeError, match="no UTC offset"):
        compute_deadline(DEFAULT, 4, datetime(2026, 12, 7, 10))
    with pytest.raises(NoOpenTimeError):
        compute_deadline(terms("closed"), 3, datetime(2026, 12, 7, 10, tzinfo=UTC))
    # 24/7 level 4 needs no business hours at all.
    service = terms("closed", around_the_clock=True)
    assert compute_deadline(service, 4, datetime(2026, 12, 7, 10, tzinfo=UTC)).applies
