"""Tenants: client organisations and their service settings."""
