"""The spooled form of an accepted event, shared by the receivers and the worker.

Receivers parse once and spool the normalised event (fields, time, host, log source) with
its raw record, so the worker only decodes and matches. The event id is a content hash of
tenant and raw record (not of the receive time): a client re-sending the same batch, or a
replay after a crash, yields the same ids and the event store keeps one copy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from vigile.events.store import content_hash
from vigile.ingest.parsers.model import Event, LogSource


def raw_text(raw: bytes) -> str:
    """The raw record as the event store keeps it (invalid UTF-8 replaced)."""
    return raw.decode("utf-8", errors="replace")


def event_id(raw: bytes) -> str:
    """The id the event store gives this record (hex SHA-256 of its kept text)."""
    return content_hash(raw_text(raw))


@dataclass(frozen=True, slots=True)
class Envelope:
    """One accepted event as it travels through the spool."""

    id: str
    receiver: str
    received_at: datetime
    event: Event

    def encode(self) -> bytes:
        """Compact JSON bytes (non-JSON values such as bytes in fields become strings)."""
        ev = self.event
        ls = ev.logsource
        doc = {
            "id": self.id,
            "rx": self.receiver,
            "rcv": self.received_at.isoformat(),
            "st": ev.source_type,
            "ts": ev.timestamp.isoformat(),
            "host": ev.host,
            "ls": [ls.product, ls.category, ls.service] if ls is not None else None,
            "tr": ev.truncated,
            "f": ev.fields,
            "raw": raw_text(ev.raw),
        }
        return orjson.dumps(doc, default=str, option=orjson.OPT_NON_STR_KEYS)

    @classmethod
    def decode(cls, data: bytes) -> Envelope:
        """The envelope spooled as ``data`` (raises ValueError/KeyError when not one)."""
        doc: dict[str, Any] = orjson.loads(data)
        ls = doc.get("ls")
        event = Event(
            source_type=doc["st"],
            fields=doc["f"],
            timestamp=datetime.fromisoformat(doc["ts"]),
            host=doc.get("host"),
            raw=str(doc.get("raw", "")).encode("utf-8"),
            logsource=LogSource(*ls) if ls else None,
            truncated=bool(doc.get("tr")),
        )
        return cls(
            id=doc["id"],
            receiver=doc["rx"],
            received_at=datetime.fromisoformat(doc["rcv"]),
            event=event,
        )
