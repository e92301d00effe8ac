"""The rules the pipeline applies, and to which tenants (the worker's ``in_force`` hook).

The worker compiles one engine rule set: the current version of every imported rule set,
written once to ``<data dir>/rulesets/<digest>/`` (content-addressed, so the engine's compile
cache applies), plus the files of ``VIGILE_RULES``. Precedence: a rule of ``VIGILE_RULES`` is
in force for every tenant unless an imported rule set has a rule with the same id (the
rule set then governs it: its scope and toggles decide); a rule of an imported rule set is in
force for the tenants in the set's scope that did not switch it off. Rule exceptions are
applied when the alert is raised (suppressed there), as for every detection.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from vigile.config import Settings
from vigile.db import transaction
from vigile.detection.engine import RuleSet as EngineRuleSet
from vigile.detection.engine import load_ruleset, ruleset_from_yaml
from vigile.detection.model import Rule
from vigile.rules.models import (
    RuleSet,
    RuleSetRule,
    RuleSetScope,
    RuleSetToggle,
    RuleSetVersion,
    RuleText,
)
from vigile.rules.types import DEFAULT_SOURCE

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Compiled:
    """A rule set version to compile: (set id, name, version, version row id, digest)."""

    set_id: int
    name: str
    version: int
    version_id: int
    digest: str


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What the database says is imported, and for whom it is in force."""

    compiled: tuple[Compiled, ...] = ()
    everyone: frozenset[int] = frozenset()
    scoped: dict[int, frozenset[int]] = field(default_factory=dict)
    off: frozenset[tuple[int, int]] = frozenset()

    def applies(self, set_id: int, tenant_id: int) -> bool:
        """Whether a rule set is in force for a tenant (in scope, not switched off)."""
        in_scope = set_id in self.everyone or tenant_id in self.scoped.get(set_id, ())
        return in_scope and (set_id, tenant_id) not in self.off


def snapshot(session: Session) -> Snapshot:
    """The current versions, scopes and toggles (a few small queries)."""
    rows = session.execute(
        select(
            RuleSet.id,
            RuleSet.name,
            RuleSet.all_tenants,
            RuleSetVersion.version,
            RuleSetVersion.id,
            RuleSetVersion.digest,
        )
        .join(
            RuleSetVersion,
            (RuleSetVersion.rule_set_id == RuleSet.id)
            & (RuleSetVersion.version == RuleSet.current_version),
        )
        .order_by(RuleSet.name)
    ).all()
    scoped: dict[int, set[int]] = {}
    for set_id, tenant_id in session.execute(
        select(RuleSetScope.rule_set_id, RuleSetScope.tenant_id)
    ):
        scoped.setdefault(set_id, set()).add(tenant_id)
    off = session.execute(
        select(RuleSetToggle.rule_set_id, RuleSetToggle.tenant_id).where(
            RuleSetToggle.enabled.is_(False)
        )
    )
    return Snapshot(
        compiled=tuple(Compiled(r[0], r[1], r[3], r[4], r[5]) for r in rows),
        everyone=frozenset(r[0] for r in rows if r[2]),
        scoped={k: frozenset(v) for k, v in scoped.items()},
        off=frozenset((s, t) for s, t in off),
    )


def materialise(session: Session, root: Path, item: Compiled) -> Path:
    """The version's files under ``root/<digest>`` (written once, atomically)."""
    target = root / item.digest[:32]
    if target.is_dir():
        return target
    tmp = root / f".{item.digest[:32]}.{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    rows = session.execute(
        select(RuleSetRule.path, RuleText.text)
        .join(RuleText, RuleText.content_hash == RuleSetRule.content_hash)
        .where(RuleSetRule.version_id == item.version_id)
    )
    for rel, text in rows:
        parts = PurePosixPath(rel).parts
        if PurePosixPath(rel).is_absolute() or ".." in parts or not parts:
            raise ValueError(f"rule set {item.name!r}: unsafe rule path {rel!r}")
        path = tmp.joinpath(*parts)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    tmp.mkdir(parents=True, exist_ok=True)
    try:
        tmp.rename(target)
    except OSError:  # another process wrote it first: same content
        shutil.rmtree(tmp, ignore_errors=True)
    return target


class ActiveRules:
    """The compiled union and the per-tenant decision; :meth:`refresh` follows the database."""

    def __init__(self, settings: Settings, sessions: sessionmaker[Session]) -> None:
        self.settings, self.sessions = settings, sessions
        self.snap = Snapshot()
        self.ruleset: EngineRuleSet | None = None
        self._owner: list[Compiled | None] = []
        self._shadowed: list[bool] = []
        self._hashes: dict[str, str] = {}

    def build(self) -> EngineRuleSet:
        """Compile (or load from the cache) the rules of the current snapshot."""
        root = self.settings.data_dir / "rulesets"
        root.mkdir(parents=True, exist_ok=True)
        with transaction(self.sessions) as session:
            snap = snapshot(session)
            dirs = {item: materialise(session, root, item) for item in snap.compiled}
        default = [p for p in self.settings.effective_rules if p.exists()]
        paths = default + list(dirs.values())
        if paths:
            ruleset = load_ruleset(paths, cache_dir=self.settings.data_dir / "cache")
            log.info(ruleset.report.summary())
        else:
            log.warning("no rules: events are stored, nothing is detected")
            ruleset = ruleset_from_yaml([])
        prefixes = [(str(d) + os.sep, item) for item, d in dirs.items()]
        owner = [
            next((i for p, i in prefixes if r.path.startswith(p)), None) for r in ruleset.rules
        ]
        imported = {r.id for r, o in zip(ruleset.rules, owner, strict=True) if o is not None}
        self._shadowed = [
            o is None and r.id in imported for r, o in zip(ruleset.rules, owner, strict=True)
        ]
        self.snap, self.ruleset, self._owner = snap, ruleset, owner
        return ruleset

    def refresh(self) -> bool:
        """Re-read scopes and toggles; True when the compiled versions changed (rebuild)."""
        with transaction(self.sessions) as session:
            snap = snapshot(session)
        if snap.compiled != self.snap.compiled:
            return True
        self.snap = snap
        return False

    def in_force(self, tenant_id: int, rule: Rule) -> bool:
        """Whether a matching rule raises for this tenant (exceptions aside)."""
        owner = self._owner[rule.index]
        if owner is None:
            return not self._shadowed[rule.index]
        return self.snap.applies(owner.set_id, tenant_id)

    def rule_version(self, rule: Rule) -> str:
        """``<rule set>@<version>#<rule content hash>`` (``default#…`` for VIGILE_RULES)."""
        owner = self._owner[rule.index]
        digest = self._hashes.get(rule.path)
        if digest is None:
            try:
                digest = hashlib.sha256(Path(rule.path).read_bytes()).hexdigest()
            except OSError:
                digest = "?"
            self._hashes[rule.path] = digest
        label = DEFAULT_SOURCE if owner is None else f"{owner.name[:40]}@{owner.version}"
        return f"{label}#{digest[:12]}"[:64]
