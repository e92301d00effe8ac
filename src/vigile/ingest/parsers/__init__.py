"""Parsers: one raw record (bytes) in, one normalised :class:`~.model.Event` out.

Pure code: standard library, ``orjson`` and ``evtx`` only — no web, database or network.
Every parser either returns an event or raises :class:`~.model.ParseError`; the fuzz tests
hold them to it. Entry point: :func:`vigile.ingest.parsers.registry.parse`.
"""
