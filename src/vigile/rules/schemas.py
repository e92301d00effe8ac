"""API and IO types of the rules slice."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from vigile.rules.types import Provenance


class RuleSetOut(BaseModel):
    """A rule set as a caller may see it: clients see only their own tenant in its scope."""

    name: str
    provenance: Provenance
    all_tenants: bool = Field(description="In scope for every tenant (else `tenants`).")
    tenants: list[str] = Field(description="Tenants in scope (the caller's only, for clients).")
    disabled_for: list[str] = Field(description="Tenants in scope that switched it off.")
    version: int
    digest: str
    rule_count: int
    updated_at: datetime
    updated_by: str


class RuleSetVersionOut(BaseModel):
    version: int
    digest: str
    rule_count: int
    source: str
    created_at: datetime
    created_by: str


class RuleInForce(BaseModel):
    rule_id: str | None
    title: str | None
    level: str | None
    rule_set: str
    provenance: Provenance
    version: int
    content_hash: str


class TenantRules(BaseModel):
    """What is in force for one tenant: enabled rule sets in scope, minus its exceptions."""

    tenant: str
    rule_sets: list[RuleSetOut]
    disabled_rule_sets: list[str]
    rules: list[RuleInForce]
    excepted_rule_ids: list[str]


class RuleIssue(BaseModel):
    """A rule file of an import that does not compile, or compiles but is not applied."""

    path: str
    rule_id: str | None
    reason: str
    detail: str
    applied: bool = Field(description="False: the rule never fires (it failed, or is inactive).")


class ImportResult(BaseModel):
    rule_set: RuleSetOut
    created: bool = Field(description="A new rule set.")
    new_version: bool = Field(description="The files changed: a new version was recorded.")
    added: int
    changed: int
    removed: int
    compiled: int = Field(description="Rules the detection engine compiled.")
    issues: list[RuleIssue] = Field(
        default_factory=list,
        description="Files that failed to compile or are not applied, with the reason; the "
        "others are imported and used all the same.",
    )


class ToggleIn(BaseModel):
    enabled: bool
