"""Property tests against a brute-force, minute-by-minute oracle.

The oracle shares no code with the module: it steps through UTC minutes, reads the local wall
clock, and keeps its high-water mark ``H`` (the latest wall time shown so far). A minute is open
when ``H`` lies in an opening interval of ``H``'s date. This is the documented DST rule said
another way: a wall time "happens" the first time the clock shows it or later, so a time in a
spring gap happens at the jump and a repeated autumn time happens at its first occurrence.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import holidays
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from vigile.service_levels import (
    REASON_BEFORE_GO_LIVE,
    REASON_NO_GO_LIVE,
    Level,
    ServiceTerms,
    TenantCalendar,
    WeeklyHours,
    compute_deadline,
)

ZONES = (
    "Europe/Paris",
    "Europe/London",
    "America/New_York",
    "America/Sao_Paulo",  # DST changes at midnight until 2019: a day can start in a gap
    "Australia/Lord_Howe",  # 30-minute DST shift
    "Asia/Kolkata",  # no DST, half-hour offset
    "Pacific/Apia",  # skipped 30 December 2011 entirely
    "UTC",
)
HOLIDAY_SPECS = (None, "FR", "FR-57", "FR-6AE", "US")
MINUTE = timedelta(minutes=1)
ORACLE_LIMIT = 60 * 24 * 60  # minutes walked at most (60 days) before giving up an example
SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


# -- the oracle ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Spec:
    zone: str
    week: tuple[tuple[tuple[int, int], ...], ...]
    holidays: str | None
    closed: frozenset[date]
    opened: frozenset[date]
    extra: tuple[tuple[int, int], ...] | None


@cache
def _holiday_dates(spec: str, year: int) -> frozenset[date]:
    country, _, subdivision = spec.partition("-")
    return frozenset(holidays.country_holidays(country, subdiv=subdivision or None, years=year))


def oracle_hours(spec: Spec, day: date) -> tuple[tuple[int, int], ...]:
    weekly = spec.week[day.weekday()]
    if day in spec.closed:
        return ()
    if day in spec.opened:
        if weekly:
            return weekly
        if spec.extra is not None:
            return spec.extra
        return next((d for d in spec.week if d), ((540, 1080),))
    if spec.holidays is not None and day in _holiday_dates(spec.holidays, day.year):
        return ()
    return weekly


class Oracle:
    """Walks UTC minutes one at a time from some instant on; says which are open."""

    def __init__(self, spec: Spec, start: datetime) -> None:
        self.spec = spec
        self.zone = ZoneInfo(spec.zone)
        # Start the high-water mark a day early so that a fold before ``start`` is known.
        self.moment = start - timedelta(days=1)
        self.high: datetime = self._wall(self.moment)
        while self.moment < start:
            self.step()

    def _wall(self, moment: datetime) -> datetime:
        return moment.astimezone(self.zone).replace(tzinfo=None)

    def step(self) -> None:
        self.moment += MINUTE
        self.high = max(self.high, self._wall(self.moment))

    def open_now(self) -> bool:
        minute = self.high.hour * 60 + self.high.minute
        return any(s <= minute < e for s, e in oracle_hours(self.spec, self.high.date()))


def oracle_add(spec: Spec, start: datetime, minutes: int) -> datetime | None:
    """End of the ``minutes``-th open minute from ``start``; None if beyond the limit."""
    oracle = Oracle(spec, start)
    counted = 0
    for _ in range(ORACLE_LIMIT):
        if oracle.open_now():
            counted += 1
            if counted == minutes:
                return oracle.moment + MINUTE
        oracle.step()
    return None


def oracle_next_opening(spec: Spec, start: datetime) -> datetime | None:
    oracle = Oracle(spec, start)
    for _ in range(ORACLE_LIMIT):
        if oracle.open_now():
            return oracle.moment
        oracle.step()
    return None


# -- strategies ---------------------------------------------------------------------------


# Minutes where DST changes happen in ZONES (00:00-04:00, and 23:00-24:00 in Sao Paulo).
SMALL_HOURS = [*range(0, 241, 15), *range(1380, 1441, 15)]


@st.composite
def day_hours(draw: st.DrawFn, small_hours: bool = False) -> tuple[tuple[int, int], ...]:
    if small_hours:
        points = draw(st.lists(st.sampled_from(SMALL_HOURS), max_size=6, unique=True))
    else:
        step = draw(st.sampled_from((1, 15, 30, 60)))
        points = [
            p * step for p in draw(st.lists(st.integers(0, 1440 // step), max_size=6, unique=True))
        ]
    points = sorted(points)[: len(points) // 2 * 2]
    return tuple(zip(points[::2], points[1::2], strict=True))


@st.composite
def specs(draw: st.DrawFn, around: date, kind: str | None = None) -> Spec:
    if kind is None:
        kind = draw(st.sampled_from(("random", "office", "night", "always", "small hours")))
    if kind == "office":
        week = (((540, 1080),),) * 5 + ((),) * 2
    elif kind == "night":
        week = tuple(draw(st.sampled_from((((0, 360),), ((1200, 1440),), ()))) for _ in range(7))
    elif kind == "always":
        week = (((0, 1440),),) * 7
    else:
        # Interval edges inside the DST night make gaps and folds cut opening intervals.
        week = tuple(draw(day_hours(small_hours=kind == "small hours")) for _ in range(7))
    # Keep examples where the oracle finishes: at least 2 open hours a week.
    assume(sum(e - s for day in week for s, e in day) >= 120)
    nearby = st.integers(-10, 30).map(lambda n: around + timedelta(days=n))
    closed = frozenset(draw(st.lists(nearby, max_size=4)))
    opened = frozenset(draw(st.lists(nearby, max_size=3))) - closed
    extra = draw(st.one_of(st.none(), day_hours().filter(bool)))
    return Spec(
        zone=draw(st.sampled_from(ZONES)),
        week=week,
        holidays=draw(st.sampled_from(HOLIDAY_SPECS)),
        closed=closed,
        opened=opened,
        extra=extra,
    )


@cache
def _transitions(zone_name: str) -> tuple[datetime, ...]:
    """UTC noons of days on which the zone's offset changes (2000-2037)."""
    zone, found = ZoneInfo(zone_name), []
    moment = datetime(2000, 1, 1, 12, tzinfo=UTC)
    previous = moment.astimezone(zone).utcoffset()
    while moment.year < 2038:
        moment += timedelta(days=1)
        offset = moment.astimezone(zone).utcoffset()
        if offset != previous:
            found.append(moment)
        previous = offset
    return tuple(found) or (datetime(2026, 3, 29, 12, tzinfo=UTC),)


@st.composite
def cases(draw: st.DrawFn) -> tuple[Spec, datetime]:
    """A calendar and a minute-aligned UTC raise time, biased to DST days and interval edges."""
    anchor = draw(st.dates(date(2000, 1, 1), date(2037, 12, 31)))
    spec = draw(specs(anchor))
    zone = ZoneInfo(spec.zone)
    how = draw(st.sampled_from(("anywhere", "dst", "edge")))
    if how == "dst":
        noon = draw(st.sampled_from(_transitions(spec.zone)))
        raised = noon + timedelta(minutes=draw(st.integers(-3 * 1440, 2 * 1440)))
    else:
        day = anchor + timedelta(days=draw(st.integers(0, 6)))
        edges = [m for s, e in oracle_hours(spec, day) for m in (s, e)] or [0]
        minute = draw(st.sampled_from(edges)) if how == "edge" else draw(st.integers(0, 1439))
        minute += draw(st.sampled_from((0, 0, -1, 1))) if how == "edge" else 0
        wall = datetime.combine(day, datetime.min.time()) + timedelta(minutes=minute)
        raised = wall.replace(tzinfo=zone, fold=draw(st.integers(0, 1))).astimezone(UTC)
    return spec, raised.replace(second=0, microsecond=0)


@st.composite
def dst_cases(draw: st.DrawFn) -> tuple[Spec, datetime]:
    """Small-hours openings in a zone with DST, raised within days of a change."""
    zone = draw(st.sampled_from(ZONES[:5]))
    noon = draw(st.sampled_from(_transitions(zone)))
    spec = draw(specs(noon.date(), kind="small hours"))
    spec = Spec(zone, spec.week, spec.holidays, spec.closed, spec.opened, spec.extra)
    raised = noon + timedelta(minutes=draw(st.integers(-36 * 60, 12 * 60)))
    return spec, raised.replace(second=0, microsecond=0)


def calendar_of(spec: Spec) -> TenantCalendar:
    return TenantCalendar(
        timezone=spec.zone,
        hours=WeeklyHours(spec.week),
        public_holidays=spec.holidays,
        closed_days=spec.closed,
        open_days=spec.opened,
        extra_open_day_hours=spec.extra,
    )


# -- properties ---------------------------------------------------------------------------


@SETTINGS
@given(cases() | dst_cases(), st.sampled_from(list(Level)))
def test_business_deadline_matches_oracle(case, level):
    spec, raised = case
    expected = oracle_add(spec, raised, int(level.delay / MINUTE))
    assume(expected is not None)
    terms = ServiceTerms(calendar=calendar_of(spec), go_live=date(1990, 1, 1))
    deadline = compute_deadline(terms, level, raised)
    assert deadline.due_at == expected
    # Counting the open time back from the raise gives exactly the delay.
    assert terms.calendar.open_time_between(raised, expected) == level.delay


@SETTINGS
@given(cases(), st.sampled_from(list(Level)), st.booleans(), st.integers(-3, 3) | st.none())
def test_terms_match_oracle(case, level, around_the_clock, go_live_shift):
    spec, raised = case
    local_day = raised.astimezone(ZoneInfo(spec.zone)).date()
    go_live = None if go_live_shift is None else local_day + timedelta(days=go_live_shift)
    terms = ServiceTerms(calendar_of(spec), around_the_clock=around_the_clock, go_live=go_live)
    deadline = compute_deadline(terms, level, raised)
    if go_live is None:
        assert (deadline.due_at, deadline.reason) == (None, REASON_NO_GO_LIVE)
    elif local_day < go_live:
        assert (deadline.due_at, deadline.reason) == (None, REASON_BEFORE_GO_LIVE)
    elif around_the_clock and level == 4:
        assert deadline.due_at == raised + timedelta(minutes=90)
    else:
        expected = oracle_add(spec, raised, int(level.delay / MINUTE))
        assume(expected is not None)
        assert deadline.due_at == expected


@SETTINGS
@given(cases() | dst_cases())
def test_is_open_and_next_opening_match_oracle(case):
    spec, moment = case
    calendar = calendar_of(spec)
    oracle = Oracle(spec, moment)
    assert calendar.is_open(moment) == oracle.open_now()
    expected = oracle_next_opening(spec, moment)
    assume(expected is not None)
    assert calendar.next_opening(moment) == expected


@SETTINGS
@given(cases() | dst_cases(), st.integers(0, 5 * 1440))
def test_open_time_between_matches_oracle(case, span):
    spec, start = case
    oracle = Oracle(spec, start)
    expected = 0
    for _ in range(span):
        expected += oracle.open_now()
        oracle.step()
    calendar = calendar_of(spec)
    end = start + span * MINUTE
    assert calendar.open_time_between(start, end) == expected * MINUTE


@settings(max_examples=100, deadline=None)
@given(cases(), st.integers(0, 2000), st.integers(1, 2000))
def test_adding_open_time_is_additive(case, first, second):
    spec, start = case
    calendar = calendar_of(spec)
    middle = calendar.add_open_time(start, first * MINUTE)
    total = calendar.add_open_time(start, (first + second) * MINUTE)
    assert calendar.add_open_time(middle, second * MINUTE) == total
