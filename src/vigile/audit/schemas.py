"""API types of the audit slice."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator


class AuditEntryOut(BaseModel):
    """One audit entry."""

    model_config = ConfigDict(from_attributes=True)

    seq: int
    at: datetime
    actor: str
    tenant_id: int | None
    action: str
    object_type: str
    object_id: str
    details: dict[str, Any]
    hash: str

    @field_validator("details", mode="before")
    @classmethod
    def _decode(cls, value: object) -> object:
        import orjson

        return orjson.loads(value) if isinstance(value, str) else value


class AuditVerification(BaseModel):
    """The result of checking the hash chain."""

    entries: int
    intact: bool
    problems: list[str]
