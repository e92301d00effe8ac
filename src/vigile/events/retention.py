"""Retention: how long a tenant's events are kept, and which days have expired. Pure."""

from __future__ import annotations

from datetime import date, datetime, timedelta

DEFAULT_RETENTION_DAYS = 365


def retention_cutoff(now: datetime, days: int) -> tuple[date, datetime]:
    """The first day kept and the received-time bound for a retention of ``days`` at ``now``.

    Days before the cutoff are deleted, but only events *received* more than ``days`` ago:
    an event stamped far in the past (a wrong clock, or an attacker's) still stays for the
    whole retention after it reached us.
    """
    if days < 1:
        raise ValueError("retention is at least one day")
    horizon = now - timedelta(days=days)
    return now.date() - timedelta(days=days), horizon
