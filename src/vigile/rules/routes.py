"""HTTP routes of the rules slice (``/api/v1/rulesets``) and a tenant's rules in force.

Everyone with API access reads the rule sets applying to their tenants, with provenance and
scope; importing and switching rule sets on or off are the administrators'.
"""

from __future__ import annotations

from fastapi import APIRouter, status
from pydantic import BaseModel, Field

from vigile.errors import InvalidInput
from vigile.rules import files, service
from vigile.rules.schemas import (
    ImportResult,
    RuleSetOut,
    RuleSetVersionOut,
    TenantRules,
    ToggleIn,
)
from vigile.rules.types import Provenance
from vigile.web.deps import ClockDep, ScopeDep, SessionDep
from vigile.web.pages import Page

router = APIRouter(tags=["rules"])


class RuleSetImport(BaseModel):
    """A rule set sent as its files' texts."""

    name: str = Field(min_length=1, max_length=100)
    provenance: Provenance
    tenants: list[str] = Field(default_factory=list, description="Scope (empty: all tenants).")
    files: dict[str, str] = Field(min_length=1, description="Relative path → Sigma YAML text.")


@router.get("/rulesets", summary="Rule sets applying to the caller's tenants")
def list_rulesets(session: SessionDep, scope: ScopeDep) -> Page[RuleSetOut]:
    rows = service.list_rulesets(session, scope)
    items = [service.ruleset_out(session, scope, r) for r in rows]
    return Page(items=items, total=len(items), limit=max(len(items), 1), offset=0)


@router.post("/rulesets", status_code=status.HTTP_201_CREATED, summary="Import a rule set (admin)")
def import_ruleset(
    session: SessionDep, scope: ScopeDep, clock: ClockDep, body: RuleSetImport
) -> ImportResult:
    scope.require_admin()
    try:
        found = files.from_texts(body.files)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from exc
    return service.import_ruleset(
        session, scope, found, "api", body.name, body.provenance, body.tenants, clock
    )


@router.get("/rulesets/{name}", summary="One rule set")
def get_ruleset(session: SessionDep, scope: ScopeDep, name: str) -> RuleSetOut:
    return service.ruleset_out(session, scope, service.get_ruleset(session, scope, name))


@router.get("/rulesets/{name}/versions", summary="A rule set's versions, newest first")
def list_versions(session: SessionDep, scope: ScopeDep, name: str) -> list[RuleSetVersionOut]:
    return [
        RuleSetVersionOut.model_validate(v, from_attributes=True)
        for v in service.versions(session, scope, name)
    ]


@router.put("/rulesets/{name}/tenants/{slug}", summary="Switch a rule set on/off for a tenant")
def toggle(
    session: SessionDep, scope: ScopeDep, clock: ClockDep, name: str, slug: str, body: ToggleIn
) -> RuleSetOut:
    row = service.set_enabled(session, scope, name, slug, body.enabled, clock)
    return service.ruleset_out(session, scope, row)


@router.get("/tenants/{slug}/rules", summary="Rule sets and rules in force for a tenant")
def tenant_rules(session: SessionDep, scope: ScopeDep, slug: str) -> TenantRules:
    return service.tenant_rules(session, scope, slug)
