"""Errors of the service-level module; all are ``ValueError``, so callers can catch one type."""

from __future__ import annotations


class ServiceLevelError(ValueError):
    """Base class: an input to the service-level computations is invalid."""


class UnknownLevelError(ServiceLevelError):
    """A criticality level (number, name or Sigma level) is not recognised."""


class OpeningHoursError(ServiceLevelError):
    """Opening-hours text or intervals are malformed."""


class CalendarError(ServiceLevelError):
    """A tenant calendar is misconfigured (time zone, holidays, extra days)."""


class NoOpenTimeError(CalendarError):
    """The calendar has no open time ahead, so a business-hours deadline cannot exist."""


class NaiveDatetimeError(ServiceLevelError):
    """A datetime without a UTC offset was given; every instant must be timezone-aware."""
