"""API/IO types of the notify slice."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class NotificationOut(BaseModel):
    """A notification and its delivery state (the recipient is shown to its own tenant)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    tenant_id: int | None
    audience: str
    channel: str
    recipient: str
    recipient_role: str
    language: str
    template: str
    subject_type: str
    subject_id: int
    status: str
    attempts: int
    created_at: datetime
    sent_at: datetime | None
    last_error: str | None
    acknowledged_at: datetime | None
    acknowledged_by: str | None
