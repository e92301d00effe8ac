"""Turning received records into admitted records and rejections (pure: no I/O).

Every receiver (HEC, bulk, native NDJSON, syslog, file import) hands its records here as
:class:`Incoming`; each record is checked on its own (:func:`registry.admit`: well-formed,
of a known source type and shape), so one bad record never fails the others of its batch.
Admitted records are spooled raw and normalised by the pipeline (see
:mod:`vigile.ingest.envelope`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from vigile.ingest.envelope import Spooled, kept_id
from vigile.ingest.parsers import registry
from vigile.ingest.parsers.model import ParseError, ParseOptions


@dataclass(slots=True)
class Incoming:
    """A raw record and what its transport says about it (all optional). Not frozen: one is
    built per received record, and a frozen dataclass's ``__init__`` costs an
    ``object.__setattr__`` call per field."""

    raw: bytes
    source_type: str | None = None
    """Explicit source type (HEC ``sourcetype``, bulk ``source_type`` field, syslog binding)."""
    time: datetime | None = None
    """Event time given by the transport (HEC ``time``), used when the record has none."""
    host: str | None = None
    """Host given by the transport (HEC ``host``, syslog peer), used when the record has none."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Fields added by the transport (HEC indexed ``fields``); the record's own win."""


@dataclass(frozen=True, slots=True)
class Rejection:
    """A record that could not be accepted: its position in the batch and why."""

    index: int
    reason: str
    raw: bytes
    source_type: str | None


@dataclass(slots=True)
class Intake:
    """The outcome of checking a batch: admitted records in batch order, their positions in
    the batch, and the rejections."""

    accepted: list[Spooled] = field(default_factory=list)
    positions: list[int] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)


def parse_batch(
    records: Sequence[Incoming],
    *,
    receiver: str,
    received_at: datetime,
    default_source_type: str = registry.AUTO,
    max_record_bytes: int = 256 * 1024,
) -> Intake:
    """Admit each record; bad ones become rejections with their reason."""
    out = Intake()
    base = ParseOptions(received_at=received_at, max_record_bytes=max_record_bytes)
    for index, item in enumerate(records):
        try:
            admitted = _admit(item, base, default_source_type, receiver)
        except ParseError as exc:
            out.rejected.append(Rejection(index, exc.reason, item.raw, item.source_type))
            continue
        out.accepted.append(admitted)
        out.positions.append(index)
    return out


def _admit(item: Incoming, base: ParseOptions, default: str, receiver: str) -> Spooled:
    if not item.raw or item.raw.isspace():  # not strip(): no copy of the record
        raise ParseError("empty record")
    options = dataclasses.replace(base, received_at=item.time) if item.time else base
    source_type = registry.admit(item.raw, default, options, explicit=item.source_type)
    return Spooled(
        id=kept_id(item.raw, base.max_record_bytes),
        receiver=receiver,
        received_at=base.received_at,
        source_type=source_type,
        raw=item.raw,
        max_record_bytes=base.max_record_bytes,
        time=item.time,
        host=item.host,
        extra=item.extra or None,
    )
