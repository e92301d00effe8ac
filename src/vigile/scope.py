"""The caller scope: who is asking, with which role, over which tenants.

Every service function takes a scope and filters by it. The scope comes from the
credential (user login, API token, ingest token, local CLI), never from a request payload.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from vigile.errors import NotFound, PermissionDenied


class Role(StrEnum):
    """Who a caller is. Provider side: admin, analyst. Client side: client (one tenant)."""

    ADMIN = "admin"
    ANALYST = "analyst"
    CLIENT = "client"


class TokenKind(StrEnum):
    """API tokens act as a user or role over the API; ingest tokens only send events."""

    API = "api"
    INGEST = "ingest"


@dataclass(frozen=True)
class CallerScope:
    """An authenticated caller. ``tenant_ids`` None means every tenant (provider-wide)."""

    principal: str
    role: Role
    tenant_ids: frozenset[int] | None
    user_id: int | None = None
    token_id: int | None = None
    token_kind: TokenKind | None = None

    def __post_init__(self) -> None:
        if self.role is Role.CLIENT and (self.tenant_ids is None or len(self.tenant_ids) != 1):
            raise ValueError("a client scope covers exactly one tenant")

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    @property
    def is_client(self) -> bool:
        return self.role is Role.CLIENT

    @property
    def is_provider(self) -> bool:
        return self.role in (Role.ADMIN, Role.ANALYST)

    @property
    def is_ingest_only(self) -> bool:
        return self.token_kind is TokenKind.INGEST

    def can_access(self, tenant_id: int) -> bool:
        """Whether objects of ``tenant_id`` exist for this caller."""
        return self.tenant_ids is None or tenant_id in self.tenant_ids

    def check_tenant(self, tenant_id: int, what: str = "object") -> None:
        """Raise NotFound (never Forbidden: no existence leak) outside the caller's tenants."""
        if not self.can_access(tenant_id):
            raise NotFound(f"{what} not found")

    def require_provider(self) -> None:
        """Provider staff only (admin or analyst)."""
        if not self.is_provider or self.is_ingest_only:
            raise PermissionDenied("this action is reserved to the provider's staff")

    def require_admin(self) -> None:
        """Administrators only."""
        if not self.is_admin or self.is_ingest_only:
            raise PermissionDenied("this action is reserved to administrators")

    def require_api(self) -> None:
        """Refuse ingest tokens outside the ingest endpoints."""
        if self.is_ingest_only:
            raise PermissionDenied("an ingest token can only send events")


def local_operator(name: str) -> CallerScope:
    """The scope of someone running the CLI on the server: full rights, named in the audit."""
    return CallerScope(principal=f"cli:{name}", role=Role.ADMIN, tenant_ids=None)
