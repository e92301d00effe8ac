"""Background loop of `vigile serve` that runs the service-level watch every N seconds."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from vigile.alerts.policy import AlertPolicy
from vigile.alerts.sla_watch import WatchResult, mark_breaches
from vigile.db import transaction

log = logging.getLogger("vigile.sla_watch")


def watch_once(
    sessions: sessionmaker[Session], clock: Callable[[], datetime], policy: AlertPolicy
) -> WatchResult:
    """One pass of the watch in its own transaction."""
    with transaction(sessions) as session:
        result = mark_breaches(session, clock, policy)
    if result.breached or result.due_soon:
        log.info("service levels: %d breached, %d due soon", result.breached, result.due_soon)
    return result


async def watch_forever(
    sessions: sessionmaker[Session],
    clock: Callable[[], datetime],
    policy: AlertPolicy,
    interval: float,
) -> None:
    """Run :func:`watch_once` every ``interval`` seconds until cancelled; errors are logged
    and the next pass tries again (a failed pass rolls back, nothing is half-marked)."""
    while True:
        try:
            await asyncio.to_thread(watch_once, sessions, clock, policy)
        except Exception:  # keep watching: the database may be back at the next pass
            log.exception("service-level watch failed")
        await asyncio.sleep(interval)
