"""Text that events supply, made storable by every supported database."""

from __future__ import annotations


def sql_text(text: str) -> str:
    """``text`` with NUL, which PostgreSQL text refuses (failing the whole transaction),
    replaced by U+FFFD."""
    return text.replace("\x00", "\ufffd") if "\x00" in text else text
