"""how far the pipeline has observed each spool (source health counted once per batch)

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27 02:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import vigile.db

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ingest_observed",
        sa.Column("spool_id", sa.String(length=32), nullable=False),
        sa.Column("next_offset", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", vigile.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("spool_id", name=op.f("pk_ingest_observed")),
    )


def downgrade() -> None:
    op.drop_table("ingest_observed")
