"""Event store: events kept per tenant for hunting and evidence (embedded DuckDB)."""
