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
    accepted, positions, rejected = out.accepted, out.positions, out.rejected
    base = ParseOptions(received_at=received_at, max_record_bytes=max_record_bytes)
    admit = registry.admit
    for index, item in enumerate(records):
        # Inline (no call per record) and positional (a dataclass built with keywords costs
        # more per call): this loop runs for every received record.
        raw, when = item.raw, item.time
        try:
            if not raw or raw.isspace():  # not strip(): no copy of the record
                raise ParseError("empty record")
            options = dataclasses.replace(base, received_at=when) if when else base
            source_type = admit(raw, default_source_type, options, explicit=item.source_type)
        except ParseError as exc:
            rejected.append(Rejection(index, exc.reason, raw, item.source_type))
            continue
        accepted.append(
            Spooled(
                kept_id(raw, max_record_bytes),
                receiver,
                received_at,
                source_type,
                raw,
                max_record_bytes,
                when,
                item.host,
                item.extra or None,
            )
        )
        positions.append(index)
    return out
