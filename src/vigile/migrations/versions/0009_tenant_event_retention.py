"""tenant event retention

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 14:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ALTER TABLE, not batch mode, on SQLite too (ADD/DROP COLUMN since 3.35): a batch
# rebuild would drop `tenants` with foreign keys on, cascading to every tenant-owned row.


def upgrade() -> None:
    op.add_column("tenants", sa.Column("event_retention_days", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("tenants", "event_retention_days")
