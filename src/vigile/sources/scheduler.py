"""Background loop of `vigile serve` that checks silent sources every N seconds."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from vigile.alerts.policy import AlertPolicy
from vigile.config import Settings
from vigile.db import transaction
from vigile.sources.service import SilenceResult, watch_silence

log = logging.getLogger("vigile.source_watch")


def watch_once(
    sessions: sessionmaker[Session], clock: Callable[[], datetime], settings: Settings
) -> SilenceResult:
    """One pass of the silence watch in its own transaction."""
    policy = AlertPolicy.from_settings(settings)
    with transaction(sessions) as session:
        result = watch_silence(
            session, clock, policy, settings.source_silent_minutes, settings.source_silent_level
        )
    if result.silenced:
        log.warning("sources: %d fell silent", result.silenced)
    return result


async def watch_forever(
    sessions: sessionmaker[Session], clock: Callable[[], datetime], settings: Settings
) -> None:
    """Run :func:`watch_once` every ``source_watch_seconds`` until cancelled."""
    while True:
        try:
            await asyncio.to_thread(watch_once, sessions, clock, settings)
        except Exception:  # the next pass tries again (a failed pass rolls back)
            log.exception("source watch failed")
        await asyncio.sleep(settings.source_watch_seconds)
