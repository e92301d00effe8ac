"""Rule sets: import and versions, scope, toggles, the tenant's rules in force."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from tests.rules.conftest import NET_ID, WHOAMI_ID, write_rules
from tests.web.conftest import build_world
from vigile.alerts import rules as exceptions
from vigile.alerts.schemas import RuleExceptionIn
from vigile.config import Settings
from vigile.errors import InvalidInput, NotFound, PermissionDenied
from vigile.rules import service
from vigile.rules.schemas import ImportResult
from vigile.rules.types import Provenance
from vigile.scope import CallerScope, Role, local_operator

OP = local_operator("test")


def _import(
    session: Session,
    folder: Path,
    name: str,
    tenants: list[str],
    clock: Callable[[], datetime],
    provenance: Provenance = Provenance.PROVIDER,
) -> ImportResult:
    found = service.read_folder(folder)
    return service.import_ruleset(session, OP, found, str(folder), name, provenance, tenants, clock)


def test_reimport_versions_by_content(
    settings: Settings, session: Session, clock: Callable[[], datetime], tmp_path: Path
) -> None:
    build_world(settings, clock)
    folder = write_rules(tmp_path / "base")
    first = _import(session, folder, "base", [], clock)
    assert first.created and first.new_version and first.rule_set.version == 1
    assert first.rule_set.rule_count == 2 and first.rule_set.all_tenants
    same = _import(session, folder, "base", [], clock)
    assert not same.created and not same.new_version and same.rule_set.version == 1
    write_rules(folder, level="critical")  # one rule changed
    (folder / "extra.yaml").write_text((folder / "net.yml").read_text().replace(NET_ID, "x-1"))
    changed = _import(session, folder, "base", [], clock)
    assert changed.new_version and changed.rule_set.version == 2
    assert (changed.added, changed.changed, changed.removed) == (1, 1, 0)
    history = service.versions(session, OP, "base")
    assert [v.version for v in history] == [2, 1]
    assert history[0].digest != history[1].digest
    with pytest.raises(InvalidInput):
        service.read_folder(tmp_path / "missing")


_BROKEN = """title: broken
id: 00000000-0000-0000-0000-00000000b0b0
logsource: {product: windows, category: process_creation}
detection:
    selection: {Image|endswith: '\\x.exe'}
    condition: selection and missing_identifier
level: high
"""
_UNMAPPED = """title: unmapped
id: 00000000-0000-0000-0000-00000000b0b1
logsource: {product: windows, category: file_access}
detection:
    selection: {FileName|endswith: '.kdbx'}
    condition: selection
level: low
"""


def test_import_reports_rules_that_do_not_compile(
    settings: Settings, session: Session, clock: Callable[[], datetime], tmp_path: Path
) -> None:
    build_world(settings, clock)
    folder = write_rules(tmp_path / "mixed")
    (folder / "sub").mkdir()
    (folder / "sub" / "broken.yml").write_text(_BROKEN)
    (folder / "unmapped.yml").write_text(_UNMAPPED)
    result = _import(session, folder, "mixed", [], clock)
    # Every file is imported (a failing rule never stops the others) and reported.
    assert result.rule_set.rule_count == 4
    assert result.compiled == 3  # the two good ones and the unmapped one (not applied)
    assert [(i.path, i.applied) for i in result.issues] == [
        ("sub/broken.yml", False),
        ("unmapped.yml", False),
    ]
    assert all(i.reason and i.detail for i in result.issues)
    assert result.issues[0].rule_id == "00000000-0000-0000-0000-00000000b0b0"


def test_scope_toggles_and_rules_in_force(
    settings: Settings, session: Session, clock: Callable[[], datetime], tmp_path: Path
) -> None:
    world = build_world(settings, clock)
    _import(session, write_rules(tmp_path / "a"), "vendor-pack", [], clock, Provenance.VENDOR)
    _import(
        session,
        write_rules(tmp_path / "b"),
        "beta-only",
        ["beta"],
        clock,
        Provenance.CLIENT_SPECIFIC,
    )
    alpha_client = CallerScope("c", Role.CLIENT, frozenset({world.tenant_ids["alpha"]}))
    # Clients see the rule sets applying to them, with provenance, and no other tenant.
    names = [r.name for r in service.list_rulesets(session, alpha_client)]
    assert names == ["vendor-pack"]
    with pytest.raises(NotFound):
        service.get_ruleset(session, alpha_client, "beta-only")
    beta_view = service.ruleset_out(session, OP, service.get_ruleset(session, OP, "beta-only"))
    assert beta_view.tenants == ["beta"] and beta_view.provenance is Provenance.CLIENT_SPECIFIC
    # A set out of a tenant's scope cannot be toggled for it; clients cannot toggle.
    with pytest.raises(InvalidInput):
        service.set_enabled(session, OP, "beta-only", "alpha", False, clock)
    with pytest.raises(PermissionDenied):
        service.set_enabled(session, alpha_client, "vendor-pack", "alpha", False, clock)
    exceptions.create_exception(
        session, OP, RuleExceptionIn(tenant="beta", rule_id=NET_ID, reason="noisy"), clock
    )
    beta = service.tenant_rules(session, OP, "beta")
    assert sorted(r.rule_set for r in beta.rules) == ["beta-only", "vendor-pack"]
    assert {r.rule_id for r in beta.rules} == {WHOAMI_ID} and beta.excepted_rule_ids == [NET_ID]
    service.set_enabled(session, OP, "vendor-pack", "beta", False, clock)
    beta = service.tenant_rules(session, OP, "beta")
    assert beta.disabled_rule_sets == ["vendor-pack"]
    assert [r.rule_set for r in beta.rules] == ["beta-only"]
    alpha = service.tenant_rules(session, alpha_client, "alpha")
    assert len(alpha.rules) == 2 and alpha.disabled_rule_sets == []
    with pytest.raises(NotFound):
        service.tenant_rules(session, alpha_client, "beta")
