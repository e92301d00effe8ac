"""Backend-neutral spool types: the protocol a backend implements, records, errors.

Offsets are a per-spool sequence (0, 1, 2 …) that never goes backwards; a JetStream backend
maps them to stream sequence numbers. A consumer group commits the offset of the *next*
record it wants (``Batch.next_offset``), as Kafka does, so "nothing processed yet" is the
first offset and not -1.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from vigile.errors import VigileError

Offset = int


def record_id(tenant_id: str, data: bytes) -> str:
    """Content-hash id of a record (hex SHA-256 of tenant and bytes), stable across replays.

    The tenant is part of the hash so two tenants sending the same line get distinct ids; a
    store keyed on this id turns a replay (after a crash, or a client re-sending) into a no-op.
    """
    h = hashlib.sha256(tenant_id.encode("utf-8"))
    h.update(b"\x00")
    h.update(data)
    return h.hexdigest()


@dataclass(slots=True)
class Record:
    """One spooled record as delivered to a consumer (read-only by convention; not frozen:
    the pipeline reads thousands per batch while holding the GIL, and a frozen dataclass's
    ``__init__`` costs an ``object.__setattr__`` call per field, 3x the construction)."""

    offset: Offset
    tenant_id: str
    data: bytes

    @property
    def id(self) -> str:
        """:func:`record_id` of the record, computed when asked: the pipeline does not use
        it, so neither appends nor reads hash every record."""
        return record_id(self.tenant_id, self.data)


@dataclass(frozen=True, slots=True)
class Batch:
    """Records read for a consumer group; commit ``next_offset`` once they are processed."""

    records: list[Record]
    next_offset: Offset


class SpoolError(VigileError):
    """The spool cannot do what was asked (closed, failed disk, corrupt data…)."""

    status = 503
    title = "Service unavailable"


class SpoolFull(SpoolError):
    """Back-pressure: the size or lag bound is reached; retry after consumers catch up."""


class SpoolCorrupt(SpoolError):
    """A record already acknowledged failed its checksum (disk corruption, not a torn tail)."""


class SpoolBackend(Protocol):
    """What ingest writes to and detection reads from (embedded log, NATS JetStream…)."""

    identity: str
    """Names this spool's sequence of offsets: another spool (even at the same place, created
    anew from offset 0) has another identity."""

    def append_batch(self, tenant_id: str, records: Sequence[bytes]) -> list[Offset]:
        """Store the records durably, in order; return their offsets once durable.

        Raises :class:`SpoolFull` (nothing stored) when a bound is reached.
        """
        ...

    def read(self, group: str, max_records: int, timeout: float = 0.0) -> Batch:
        """The next durable records for ``group`` after what it already read in this process
        (after a restart: after its committed offset); waits up to ``timeout`` seconds."""
        ...

    def commit(self, group: str, offset: Offset) -> None:
        """Durably record that ``group`` has processed every record before ``offset``."""
        ...

    def committed(self, group: str) -> Offset | None:
        """The committed offset of ``group`` (``None``: it never committed one)."""
        ...

    def close(self) -> None:
        """Release files and locks; pending appends have returned or raised."""
        ...
