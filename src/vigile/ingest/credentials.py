"""A short-lived cache of ingest credentials, so that receiving a batch needs no database.

Every SQLite transaction takes the database's one write lock up front; a receiver checking
its token in one waited for the pipeline's current alert transaction, which put the whole
batch's alert raising into the ack latency of every request. A token found valid is trusted
for ``ttl`` seconds: revoking (or expiring) an ingest token takes effect within that delay, as
with Splunk's own token caching. Unknown or refused credentials are never cached (a new token
works at once; a wrong one is looked up every time).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from vigile.auth.tokens import hash_token
from vigile.scope import CallerScope

# Entries kept at most (the oldest go first beyond it): a bound on memory whatever is sent.
MAX_ENTRIES = 10_000


@dataclass(frozen=True, slots=True)
class Credential:
    """What a receiver needs to know about a valid ingest token."""

    scope: CallerScope
    tenant_id: int
    tenant_slug: str


class CredentialCache:
    """Valid ingest credentials by their stored (hashed) form, for ``ttl`` seconds."""

    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[float, Credential]] = {}

    def get(self, secret: str, resolve: Callable[[], Credential]) -> Credential:
        """The cached credential of ``secret``, else ``resolve()`` (which raises for an
        invalid one), kept for ``ttl`` seconds."""
        if self.ttl <= 0:
            return resolve()
        key = hash_token(secret)  # the stored form: no secret kept in memory
        now = self._clock()
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry[0] > now:
                return entry[1]
        credential = resolve()
        with self._lock:
            if len(self._entries) >= MAX_ENTRIES:
                self._entries = {k: v for k, v in self._entries.items() if v[0] > now}
                while len(self._entries) >= MAX_ENTRIES:
                    self._entries.pop(next(iter(self._entries)))
            self._entries[key] = (now + self.ttl, credential)
        return credential

    def clear(self) -> None:
        """Forget every credential (e.g. after a revocation made in this process)."""
        with self._lock:
            self._entries.clear()
