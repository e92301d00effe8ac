"""Rule sets: import (versioned by content), scope, per-tenant toggles; tenant-scoped views.

A rule set is a named folder of Sigma rules with a provenance and a scope (all tenants or a
list). Re-importing changed files records a new version (each rule file is identified by the
SHA-256 of its text; versions share unchanged texts). The rules in force for a tenant are those
of the rule sets in its scope that are not switched off for it, minus its rule exceptions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from vigile.alerts import rules as exceptions
from vigile.audit import service as audit
from vigile.errors import InvalidInput, NotFound
from vigile.pagination import PageRequest
from vigile.rules import files
from vigile.rules.models import (
    RuleSet,
    RuleSetRule,
    RuleSetScope,
    RuleSetToggle,
    RuleSetVersion,
    RuleText,
)
from vigile.rules.schemas import ImportResult, RuleInForce, RuleIssue, RuleSetOut, TenantRules
from vigile.rules.types import Provenance
from vigile.scope import CallerScope
from vigile.tenants import service as tenants

Clock = Callable[[], datetime]


def read_folder(root: Path) -> list[files.RuleFile]:
    """The rule files of a folder, or InvalidInput saying why not."""
    try:
        found = files.read_folder(root)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InvalidInput(f"cannot read rules: {exc}") from exc
    if not found:
        raise InvalidInput(f"no .yml/.yaml rule files under {root}")
    return found


def compile_check(found: Sequence[files.RuleFile]) -> tuple[int, list[RuleIssue]]:
    """Compile the files as the pipeline will: how many compile, and each file that fails or
    is not applied, with the engine's reason (an import keeps them all: a rule that fails
    never stops the others, and a fixed version replaces it)."""
    # Imported here: pySigma and Hyperscan load only when rules are imported.
    from vigile.detection.engine import ruleset_from_yaml

    compiled = ruleset_from_yaml([f.text for f in found])
    by_temp_name = {f"rule{i:05d}.yml": f.path for i, f in enumerate(found)}
    issues = [
        RuleIssue(
            path=by_temp_name.get(Path(problem.path).name, problem.path),
            rule_id=problem.rule_id,
            reason=problem.reason,
            detail=problem.detail,
            applied=False,
        )
        for problem in [*compiled.report.failed, *compiled.report.inactive]
    ]
    return compiled.report.compiled, sorted(issues, key=lambda i: i.path)


def import_ruleset(
    session: Session,
    scope: CallerScope,
    found: list[files.RuleFile],
    source: str,
    name: str,
    provenance: Provenance,
    tenant_slugs: Sequence[str],
    clock: Clock,
) -> ImportResult:
    """Import (or re-import) rule files as rule set ``name`` (administrators). The scope is
    all tenants without ``tenant_slugs``; provenance and scope are those of the latest import."""
    scope.require_admin()
    name = name.strip()
    if not name or len(name) > 100:
        raise InvalidInput("a rule set name has 1 to 100 characters")
    if not found:
        raise InvalidInput("a rule set needs at least one rule file")
    tenant_ids = sorted({tenants.get_tenant(session, scope, s).id for s in tenant_slugs})
    now, digest = clock(), files.digest(found)
    row = session.scalar(select(RuleSet).where(RuleSet.name == name))
    created = row is None
    before: dict[str, str] = {}
    if row is None:
        row = RuleSet(
            name=name,
            provenance=provenance.value,
            current_version=0,
            created_at=now,
            created_by=scope.principal,
            updated_at=now,
        )
        session.add(row)
        session.flush()
    else:
        current = _version(session, row)
        before = {r.path: r.content_hash for r in _rules(session, current.id)}
    after = {f.path: f.content_hash for f in found}
    new_version = created or before != after
    if new_version:
        _add_version(session, row, found, digest, source, scope.principal, now)
    row.provenance, row.all_tenants, row.updated_at = provenance.value, not tenant_ids, now
    session.execute(delete(RuleSetScope).where(RuleSetScope.rule_set_id == row.id))
    session.add_all(RuleSetScope(rule_set_id=row.id, tenant_id=t) for t in tenant_ids)
    session.flush()
    compiled, issues = compile_check(found)
    result = ImportResult(
        rule_set=ruleset_out(session, scope, row),
        created=created,
        new_version=new_version,
        added=len(after.keys() - before.keys()),
        changed=sum(1 for p in after.keys() & before.keys() if after[p] != before[p]),
        removed=len(before.keys() - after.keys()),
        compiled=compiled,
        issues=issues,
    )
    details = result.model_dump(mode="json", exclude={"rule_set", "issues"})
    details["issues"] = len(issues)
    details |= {"version": row.current_version, "digest": digest, "tenants": list(tenant_slugs)}
    audit.record(
        session,
        scope,
        "ruleset.import",
        "rule_set",
        row.name,
        tenant_id=None,
        details=details | {"provenance": provenance.value},
    )
    return result


def _add_version(
    session: Session,
    row: RuleSet,
    found: list[files.RuleFile],
    digest: str,
    source: str,
    who: str,
    now: datetime,
) -> None:
    row.current_version += 1
    version = RuleSetVersion(
        rule_set_id=row.id,
        version=row.current_version,
        digest=digest,
        rule_count=len(found),
        source=source[:1000],
        created_at=now,
        created_by=who,
    )
    session.add(version)
    session.flush()
    hashes = {f.content_hash for f in found}
    known = set(
        session.scalars(select(RuleText.content_hash).where(RuleText.content_hash.in_(hashes)))
    )
    texts = {f.content_hash: f.text for f in found if f.content_hash not in known}
    session.add_all(RuleText(content_hash=h, text=t) for h, t in texts.items())
    session.add_all(
        RuleSetRule(
            version_id=version.id,
            path=f.path[:1000],
            rule_id=f.rule_id,
            title=f.title,
            level=f.level,
            content_hash=f.content_hash,
        )
        for f in found
    )
    session.flush()


def get_ruleset(session: Session, scope: CallerScope, name: str) -> RuleSet:
    """One rule set the caller may see (clients: those applying to their tenant)."""
    scope.require_api()
    row = session.scalar(select(RuleSet).where(RuleSet.name == name))
    if row is None or not _visible(session, scope, row):
        raise NotFound(f"rule set {name!r} not found")
    return row


def list_rulesets(session: Session, scope: CallerScope) -> list[RuleSet]:
    """The rule sets the caller may see, by name."""
    scope.require_api()
    rows = session.scalars(select(RuleSet).order_by(RuleSet.name))
    return [r for r in rows if _visible(session, scope, r)]


def set_enabled(
    session: Session, scope: CallerScope, name: str, tenant_slug: str, enabled: bool, clock: Clock
) -> RuleSet:
    """Switch a rule set on or off for one tenant in its scope (administrators)."""
    tenant = tenants.get_tenant(session, scope, tenant_slug)
    row = get_ruleset(session, scope, name)
    scope.require_admin()
    if tenant.id not in scope_tenants(session, row, [tenant.id]):
        raise InvalidInput(f"rule set {name!r} does not apply to {tenant.slug!r}")
    toggle = session.get(RuleSetToggle, (row.id, tenant.id))
    if toggle is None:
        toggle = RuleSetToggle(
            rule_set_id=row.id,
            tenant_id=tenant.id,
            enabled=enabled,
            updated_at=clock(),
            updated_by=scope.principal,
        )
        session.add(toggle)
    toggle.enabled, toggle.updated_at, toggle.updated_by = enabled, clock(), scope.principal
    session.flush()
    action = "ruleset.enable" if enabled else "ruleset.disable"
    audit.record(
        session,
        scope,
        action,
        "rule_set",
        row.name,
        tenant_id=tenant.id,
        details={"tenant": tenant.slug},
    )
    return row


def scope_tenants(session: Session, row: RuleSet, candidates: Sequence[int]) -> set[int]:
    """Which of ``candidates`` are in the rule set's scope."""
    if row.all_tenants:
        return set(candidates)
    query = select(RuleSetScope.tenant_id).where(RuleSetScope.rule_set_id == row.id)
    return set(session.scalars(query)) & set(candidates)


def tenant_rules(session: Session, scope: CallerScope, tenant_slug: str) -> TenantRules:
    """The rule sets and rules in force for one tenant (its clients may read it)."""
    scope.require_api()
    tenant = tenants.get_tenant(session, scope, tenant_slug)
    applying = [r for r in list_rulesets(session, scope) if scope_tenants(session, r, [tenant.id])]
    off = {t.rule_set_id for t in _toggles(session, tenant.id) if not t.enabled}
    active, _ = exceptions.list_exceptions(
        session, scope, PageRequest(limit=100_000), tenant=tenant.slug, active=True
    )
    excepted = {e.rule_id for e in active}
    in_force: list[RuleInForce] = []
    for row in applying:
        if row.id in off:
            continue
        current = _version(session, row)
        in_force += [
            RuleInForce(
                rule_id=r.rule_id,
                title=r.title,
                level=r.level,
                rule_set=row.name,
                provenance=Provenance(row.provenance),
                version=current.version,
                content_hash=r.content_hash,
            )
            for r in _rules(session, current.id)
            if r.rule_id not in excepted
        ]
    return TenantRules(
        tenant=tenant.slug,
        rule_sets=[ruleset_out(session, scope, r) for r in applying if r.id not in off],
        disabled_rule_sets=[r.name for r in applying if r.id in off],
        rules=in_force,
        excepted_rule_ids=sorted(excepted),
    )


def ruleset_out(session: Session, scope: CallerScope, row: RuleSet) -> RuleSetOut:
    """The API view; a client sees its own tenant only in the scope and the toggles."""
    current = _version(session, row)
    scoped = set(
        session.scalars(select(RuleSetScope.tenant_id).where(RuleSetScope.rule_set_id == row.id))
    )
    off = {
        t.tenant_id
        for t in session.scalars(
            select(RuleSetToggle).where(
                RuleSetToggle.rule_set_id == row.id, RuleSetToggle.enabled.is_(False)
            )
        )
    }
    if scope.tenant_ids is not None:
        scoped, off = scoped & scope.tenant_ids, off & scope.tenant_ids
    slugs = tenants.slugs_by_id(session, scoped | off)
    return RuleSetOut(
        name=row.name,
        provenance=Provenance(row.provenance),
        all_tenants=row.all_tenants,
        tenants=sorted(slugs[t] for t in scoped if t in slugs),
        disabled_for=sorted(slugs[t] for t in off if t in slugs),
        version=current.version,
        digest=current.digest,
        rule_count=current.rule_count,
        updated_at=row.updated_at,
        updated_by=current.created_by,
    )


def versions(session: Session, scope: CallerScope, name: str) -> list[RuleSetVersion]:
    """Every version of a rule set, newest first."""
    row = get_ruleset(session, scope, name)
    query = select(RuleSetVersion).where(RuleSetVersion.rule_set_id == row.id)
    return list(session.scalars(query.order_by(RuleSetVersion.version.desc())))


def _visible(session: Session, scope: CallerScope, row: RuleSet) -> bool:
    if scope.tenant_ids is None:
        return True
    return bool(scope_tenants(session, row, sorted(scope.tenant_ids)))


def _version(session: Session, row: RuleSet) -> RuleSetVersion:
    found = session.scalar(
        select(RuleSetVersion).where(
            RuleSetVersion.rule_set_id == row.id, RuleSetVersion.version == row.current_version
        )
    )
    if found is None:
        raise NotFound(f"rule set {row.name!r} has no version {row.current_version}")
    return found


def _rules(session: Session, version_id: int) -> list[RuleSetRule]:
    query = select(RuleSetRule).where(RuleSetRule.version_id == version_id)
    return list(session.scalars(query.order_by(RuleSetRule.path)))


def _toggles(session: Session, tenant_id: int) -> list[RuleSetToggle]:
    return list(session.scalars(select(RuleSetToggle).where(RuleSetToggle.tenant_id == tenant_id)))
