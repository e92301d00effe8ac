"""Background loop of `vigile serve` that runs the outbox sender every N seconds."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from vigile.config import Settings
from vigile.notify.sender import deliver_pass

log = logging.getLogger("vigile.notify")


async def send_forever(
    sessions: sessionmaker[Session], settings: Settings, clock: Callable[[], datetime]
) -> None:
    """Deliver the outbox every ``notify_send_seconds`` until cancelled; a failed pass is
    logged and retried (claims of a crashed pass expire with their lease)."""
    while True:
        try:
            await asyncio.to_thread(deliver_pass, sessions, settings, clock)
        except Exception:
            log.exception("notification pass failed")
        await asyncio.sleep(settings.notify_send_seconds)
