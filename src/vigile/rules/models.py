"""Tables of the rules slice: named rule sets, their versions, rule texts, scope and toggles."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from vigile.db import Base, utcnow


class RuleSet(Base):
    """A named folder of Sigma rules with its provenance and scope (all tenants or a list)."""

    __tablename__ = "rule_sets"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    provenance: Mapped[str] = mapped_column(String(32))
    all_tenants: Mapped[bool] = mapped_column(Boolean, default=True)
    current_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class RuleSetVersion(Base):
    """One imported state of a rule set; ``digest`` hashes its rules' paths and contents."""

    __tablename__ = "rule_set_versions"
    __table_args__ = (UniqueConstraint("rule_set_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_set_id: Mapped[int] = mapped_column(ForeignKey("rule_sets.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    digest: Mapped[str] = mapped_column(String(64))
    rule_count: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))


class RuleSetRule(Base):
    """One rule file of a version: where it sits in the set, its Sigma id and content hash."""

    __tablename__ = "rule_set_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("rule_set_versions.id", ondelete="CASCADE"), index=True
    )
    path: Mapped[str] = mapped_column(String(1000))
    rule_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    title: Mapped[str | None] = mapped_column(String(500), nullable=True)
    level: Mapped[str | None] = mapped_column(String(32), nullable=True)
    content_hash: Mapped[str] = mapped_column(String(64))


class RuleText(Base):
    """A rule file's text, stored once per content hash (versions share unchanged rules)."""

    __tablename__ = "rule_texts"

    content_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    text: Mapped[str] = mapped_column(Text)


class RuleSetScope(Base):
    """A tenant a rule set applies to (rows only when the set is not for all tenants)."""

    __tablename__ = "rule_set_scopes"

    rule_set_id: Mapped[int] = mapped_column(
        ForeignKey("rule_sets.id", ondelete="CASCADE"), primary_key=True
    )
    tenant_id: Mapped[int] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )


class RuleSetToggle(Base):
    """A rule set switched on or off for one tenant (no row: enabled)."""

    __tablename__ = "rule_set_toggles"

    rule_set_id: Mapped[int] = mapped_column(
        ForeignKey("rule_sets.id", ondelete="CASCADE"), primary_key=True
    )
    tenant_id: Mapped[int] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    enabled: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(String(200))
