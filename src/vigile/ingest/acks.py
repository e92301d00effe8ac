"""HEC indexer acknowledgements: per channel, ack ids that turn true once events are durable.

A receiver answers only after the spool's fsync, so an ack id is marked durable before its
response leaves; the id still exists because HEC clients (Splunk forwarders, the Splunk
logging libraries) poll ``/services/collector/ack`` before dropping their copy. As in Splunk,
acks live in memory: after a restart they read false and the client re-sends, which the
content-hash ids make harmless. Bounded: old channels and ids are forgotten first.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable


class AckRegistry:
    """Thread-safe ack ids per (credential, channel)."""

    def __init__(self, max_channels: int = 10_000, max_pending: int = 100_000) -> None:
        self._lock = threading.Lock()
        self._next: dict[tuple[int, str], int] = {}
        self._durable: OrderedDict[tuple[int, str], set[int]] = OrderedDict()
        self._max_channels = max_channels
        self._max_pending = max_pending

    def issue(self, owner: int, channel: str) -> int:
        """A new ack id on the channel (not yet durable)."""
        key = (owner, channel)
        with self._lock:
            ack = self._next.get(key, 0)
            self._next[key] = ack + 1
            self._durable.setdefault(key, set())
            self._durable.move_to_end(key)
            while len(self._durable) > self._max_channels:
                old, _ = self._durable.popitem(last=False)
                self._next.pop(old, None)
            return ack

    def mark_durable(self, owner: int, channel: str, ack: int) -> None:
        """The events of ``ack`` are on disk."""
        with self._lock:
            pending = self._durable.setdefault((owner, channel), set())
            if len(pending) >= self._max_pending:
                pending.discard(min(pending))
            pending.add(ack)

    def query(self, owner: int, channel: str, acks: Iterable[int]) -> dict[str, bool]:
        """Status of each ack id; a true ack is then forgotten, as Splunk does."""
        with self._lock:
            pending = self._durable.get((owner, channel), set())
            out = {}
            for ack in acks:
                done = ack in pending
                out[str(ack)] = done
                if done:
                    pending.discard(ack)
            return out
