"""Durable spool between ingest and detection: acknowledged records are on disk.

``vigile.spool.api`` holds the backend-neutral types (``SpoolBackend`` protocol, records,
errors); ``vigile.spool.local`` the embedded implementation (segmented, checksummed,
group-committed log on local disk). A NATS JetStream backend implements the same protocol.
"""
