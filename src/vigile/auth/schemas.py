"""API and CLI types of the auth slice."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from vigile.auth.passwords import MIN_PASSWORD_LENGTH
from vigile.scope import Role, TokenKind


class UserCreate(BaseModel):
    """A new user. Clients need ``tenant``; analysts may be limited with ``tenants``."""

    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=150, pattern=r"^[A-Za-z0-9_.@+-]+$")
    password: str = Field(min_length=MIN_PASSWORD_LENGTH, max_length=1024)
    role: Role
    display_name: str = ""
    email: str | None = None
    tenant: str | None = Field(default=None, description="Slug of a client user's tenant.")
    tenants: list[str] = Field(
        default_factory=list, description="Slugs an analyst is limited to (empty: all)."
    )


class UserOut(BaseModel):
    """A user as the API shows it (never the password hash)."""

    id: int
    username: str
    display_name: str
    email: str | None
    role: Role
    tenant: str | None
    tenants: list[str]
    is_active: bool
    created_at: datetime


class TokenCreate(BaseModel):
    """A new token. Ingest tokens need ``tenant``; API tokens act as ``username`` or ``role``."""

    model_config = ConfigDict(extra="forbid")

    kind: TokenKind
    name: str = ""
    tenant: str | None = None
    username: str | None = Field(
        default=None, description="API token acting as this user (default: the caller)."
    )
    role: Role | None = Field(
        default=None, description="API token without a user: its role (client needs tenant)."
    )
    expires_in_days: int | None = Field(default=None, ge=1, le=3650)


class TokenOut(BaseModel):
    """A token as lists show it: its prefix, never the secret."""

    id: int
    kind: TokenKind
    name: str
    prefix: str
    role: Role
    username: str | None
    tenant: str | None
    created_by: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


class TokenCreated(TokenOut):
    """The answer to a token creation: the only time the secret is shown."""

    token: str


class LoginResult(BaseModel):
    """OAuth2 password-flow answer: a short-lived API token."""

    access_token: str
    token_type: str = "bearer"
    expires_at: datetime
