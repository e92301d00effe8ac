"""API/IO types of the referents slice."""

from __future__ import annotations

import re
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from vigile.referents.types import Language, ReferentRole

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class ReferentIn(BaseModel):
    """A referent declared for one role (replaces the current one, dated)."""

    name: str = Field(min_length=1, max_length=200)
    email: str = Field(max_length=320)
    phone: str = Field(default="", max_length=40)
    language: Language = Language.FR

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        if not _EMAIL.match(value):
            raise ValueError("not an e-mail address")
        return value.strip()


class ReferentOut(BaseModel):
    """A referent and the period during which they held the role."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    role: ReferentRole
    name: str
    email: str
    phone: str
    language: Language
    valid_from: datetime
    valid_to: datetime | None
    declared_by: str
    ended_by: str | None
