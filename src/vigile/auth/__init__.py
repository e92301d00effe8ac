"""Authentication: users, roles, API and ingest tokens, and the caller scope they give."""
