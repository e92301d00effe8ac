"""Alerts: lifecycle, deduplication, triage verdicts, service-level clock, rule quality."""
