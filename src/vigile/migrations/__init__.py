"""Alembic migrations of the Vigile schema."""
