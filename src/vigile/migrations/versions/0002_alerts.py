"""alerts (evidence, timeline/outbox, rule exceptions) and tenants' extra closed/open days

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 10:34:25.988656
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import vigile.db

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.String(length=200), nullable=False),
        sa.Column("rule_title", sa.String(length=500), nullable=False),
        sa.Column("rule_version", sa.String(length=64), nullable=True),
        sa.Column("sigma_level", sa.String(length=16), nullable=True),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("original_level", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("dedup_key", sa.String(length=64), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=True),
        sa.Column("assets", sa.Text(), nullable=False),
        sa.Column("raised_at", vigile.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", vigile.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("match_count", sa.Integer(), nullable=False),
        sa.Column("due_at", vigile.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("sla_reason", sa.String(length=64), nullable=True),
        sa.Column("wall_clock", sa.Boolean(), nullable=False),
        sa.Column("due_soon_at", vigile.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("breached_at", vigile.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_at", vigile.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=200), nullable=True),
        sa.Column("assignee", sa.String(length=150), nullable=True),
        sa.Column("verdict", sa.String(length=32), nullable=True),
        sa.Column("closed_at", vigile.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=200), nullable=True),
        sa.Column("close_comment", sa.Text(), nullable=True),
        sa.Column("created_at", vigile.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", vigile.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_alerts_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
    )
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_alerts_dedup", ["tenant_id", "rule_id", "dedup_key", "state"], unique=False
        )
        batch_op.create_index("ix_alerts_due", ["due_at", "acknowledged_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_alerts_raised_at"), ["raised_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_alerts_rule_id"), ["rule_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_alerts_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "rule_exceptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", vigile.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("revoked_at", vigile.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.String(length=200), nullable=True),
        sa.Column("revoke_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_rule_exceptions_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rule_exceptions")),
    )
    with op.batch_alter_table("rule_exceptions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_rule_exceptions_active", ["tenant_id", "rule_id", "revoked_at"], unique=False
        )

    op.create_table(
        "tenant_days",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("created_at", vigile.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_tenant_days_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenant_days")),
        sa.UniqueConstraint("tenant_id", "day", name=op.f("uq_tenant_days_tenant_id")),
    )
    with op.batch_alter_table("tenant_days", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tenant_days_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "alert_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("at", vigile.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("notified_at", vigile.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["alerts.id"],
            name=op.f("fk_alert_events_alert_id_alerts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_events")),
    )
    with op.batch_alter_table("alert_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alert_events_alert_id"), ["alert_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_alert_events_notified_at"), ["notified_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_alert_events_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "alert_evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("event", sa.Text(), nullable=False),
        sa.Column("seen_at", vigile.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["alerts.id"],
            name=op.f("fk_alert_evidence_alert_id_alerts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_evidence")),
        sa.UniqueConstraint("alert_id", "content_hash", name=op.f("uq_alert_evidence_alert_id")),
    )
    with op.batch_alter_table("alert_evidence", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alert_evidence_alert_id"), ["alert_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("alert_evidence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alert_evidence_alert_id"))

    op.drop_table("alert_evidence")
    with op.batch_alter_table("alert_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alert_events_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_alert_events_notified_at"))
        batch_op.drop_index(batch_op.f("ix_alert_events_alert_id"))

    op.drop_table("alert_events")
    with op.batch_alter_table("tenant_days", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tenant_days_tenant_id"))

    op.drop_table("tenant_days")
    with op.batch_alter_table("rule_exceptions", schema=None) as batch_op:
        batch_op.drop_index("ix_rule_exceptions_active")

    op.drop_table("rule_exceptions")
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alerts_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_alerts_rule_id"))
        batch_op.drop_index(batch_op.f("ix_alerts_raised_at"))
        batch_op.drop_index("ix_alerts_due")
        batch_op.drop_index("ix_alerts_dedup")

    op.drop_table("alerts")
