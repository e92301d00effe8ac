"""Background loop of `vigile serve` that marks expired containment actions."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from vigile.db import transaction
from vigile.incidents import actions
from vigile.scope import CallerScope, Role

log = logging.getLogger("vigile.actions")
SYSTEM = CallerScope(principal="system:actions", role=Role.ADMIN, tenant_ids=None)


def expire_once(sessions: sessionmaker[Session], clock: Callable[[], datetime]) -> int:
    """One pass in its own transaction."""
    with transaction(sessions) as session:
        return actions.expire_due(session, SYSTEM, clock())


async def expire_forever(
    sessions: sessionmaker[Session], clock: Callable[[], datetime], interval: float
) -> None:
    """Run :func:`expire_once` every ``interval`` seconds until cancelled."""
    while True:
        try:
            done = await asyncio.to_thread(expire_once, sessions, clock)
            if done:
                log.info("containment: %d actions expired", done)
        except Exception:
            log.exception("containment expiry pass failed")
        await asyncio.sleep(interval)
