"""HTTP routes of the referents slice (under ``/api/v1/tenants/{slug}/referents``)."""

from __future__ import annotations

from fastapi import APIRouter

from vigile.referents import service
from vigile.referents.schemas import ReferentIn, ReferentOut
from vigile.referents.types import ReferentRole
from vigile.web.deps import ClockDep, ScopeDep, SessionDep

router = APIRouter(prefix="/tenants", tags=["referents"])


@router.get("/{slug}/referents", summary="A tenant's referents (history=true: every period)")
def list_referents(
    session: SessionDep, scope: ScopeDep, slug: str, history: bool = False
) -> list[ReferentOut]:
    rows = service.list_referents(session, scope, slug, history=history)
    return [ReferentOut.model_validate(r) for r in rows]


@router.put("/{slug}/referents/{role}", summary="Declare the primary or backup referent")
def set_referent(
    session: SessionDep,
    scope: ScopeDep,
    clock: ClockDep,
    slug: str,
    role: ReferentRole,
    body: ReferentIn,
) -> ReferentOut:
    return ReferentOut.model_validate(service.set_referent(session, scope, slug, role, body, clock))
