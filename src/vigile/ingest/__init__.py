"""Ingest: receivers (syslog, HTTP) and ``parsers/`` that normalise raw records into events."""
