"""Soft back-pressure on the HTTP receivers while this process's worker lags behind.

In `vigile serve` the receivers and the pipeline worker share one interpreter lock. Offered
more than it can process, the server spent its lock on acknowledging: the worker fell behind
and the detection processes, which it feeds, sat idle on a core the receivers cannot use.
The spool's lag bound (``ingest_spool_max_lag``, answered 429/503) only stops that once
millions of records wait. Pacing acts earlier and without an error: while the spool holds
more than ``ingest_pacing_lag`` records the worker has not committed, a new ingest request is
held before its body is read (up to ``ingest_pacing_max_seconds``, then let through), so the
sender slows down to the rate at which events are processed and the worker keeps its share
of the lock. Below the bound nothing waits: the ack latency of a server that keeps up is
unchanged.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

# The ASGI interface, spelled out (no web framework in this module; see the import contracts).
Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

HOLD_STEP_SECONDS = 0.005
"""How often a held request looks at the lag again (a few calls of a cheap counter)."""


def is_ingest_request(method: str, path: str) -> bool:
    """Whether a request sends events (bulk, HEC event/raw, native NDJSON). HEC acks and
    health checks are never held: they are how a sender learns the state of what it sent."""
    if method not in ("POST", "PUT"):
        return False
    if path.endswith("/_bulk") or path == "/api/v1/ingest":
        return True
    return path.startswith("/services/collector") and not path.startswith(
        ("/services/collector/ack", "/services/collector/health")
    )


class Pacer:
    """The bound and the lag source; inactive (holds nothing) until :meth:`start`."""

    def __init__(self, bound: int, max_seconds: float) -> None:
        self.bound, self.max_seconds = bound, max_seconds
        self._lag: Callable[[], int] | None = None
        self.held = 0
        """Requests held so far."""
        self.held_seconds = 0.0

    def start(self, lag: Callable[[], int]) -> None:
        """Pace against ``lag`` (records spooled and not yet processed), e.g. once the
        worker runs; a bound of 0 leaves pacing off."""
        self._lag = lag if self.bound > 0 else None

    def stop(self) -> None:
        self._lag = None

    @property
    def active(self) -> bool:
        """Whether requests may be held (started, with a bound)."""
        return self._lag is not None

    async def hold(self) -> None:
        """Return once the lag is within the bound, or after ``max_seconds``."""
        lag = self._lag
        if lag is None or lag() <= self.bound:
            return
        start = time.monotonic()
        deadline = start + self.max_seconds
        self.held += 1
        while lag() > self.bound and time.monotonic() < deadline and self._lag is not None:
            await asyncio.sleep(HOLD_STEP_SECONDS)
        self.held_seconds += time.monotonic() - start


class PacingMiddleware:
    """ASGI middleware holding ingest requests while :class:`Pacer` says the worker lags."""

    def __init__(self, app: ASGIApp, pacer: Pacer) -> None:
        self.app, self.pacer = app, pacer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and is_ingest_request(scope["method"], scope["path"]):
            await self.pacer.hold()
        await self.app(scope, receive, send)
