"""Merge the slices developed in parallel (rule sets, contract, committees, incidents).

Revision ID: 0008
Revises: 0004, 0005, 0006, 0007
Create Date: 2026-11-26 11:32:14.528733
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0008"
down_revision: str | Sequence[str] | None = ("0004", "0005", "0006", "0007")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Nothing to change: this revision only joins the four branches into one head."""


def downgrade() -> None:
    """Nothing to change."""
