"""HTTP routes of the audit slice."""

from __future__ import annotations

from fastapi import APIRouter

from vigile.audit import service
from vigile.audit.schemas import AuditEntryOut, AuditVerification
from vigile.web.deps import PageDep, ScopeDep, SessionDep
from vigile.web.pages import Page

router = APIRouter(prefix="/audit", tags=["audit"])


@router.get("", summary="The audit trail, newest first")
def list_entries(session: SessionDep, scope: ScopeDep, page: PageDep) -> Page[AuditEntryOut]:
    scope.require_provider()
    rows, total = service.list_entries(session, scope, limit=page.limit, offset=page.offset)
    return Page.of([AuditEntryOut.model_validate(r) for r in rows], total, page)


@router.get("/verify", summary="Check the hash chain of the whole trail (admin)")
def verify(session: SessionDep, scope: ScopeDep) -> AuditVerification:
    scope.require_admin()
    count, problems = service.verify(session)
    return AuditVerification(
        entries=count, intact=not problems, problems=[f"#{p.seq}: {p.reason}" for p in problems]
    )
