"""Audit: an append-only, hash-chained trail of every change."""
