"""API types of the ingest slice: native ingest results and quarantined records."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class RejectedOut(BaseModel):
    """A record of the request that was not accepted (it is in the quarantine)."""

    line: int = Field(description="1-based line of the record in the request body.")
    reason: str


class IngestResult(BaseModel):
    """What `POST /api/v1/ingest` did: accepted records are durable in the spool."""

    accepted: int
    rejected: list[RejectedOut]
    ids: list[str] = Field(description="Event ids of the accepted records, in request order.")


class QuarantineOut(BaseModel):
    """A quarantined record: what came in, when, through which receiver, and why it failed."""

    id: int
    tenant: str
    received_at: datetime
    receiver: str
    source_type: str | None
    reason: str
    raw: str = Field(description="The record as received (cut when `truncated`).")
    raw_bytes: int
    truncated: bool
