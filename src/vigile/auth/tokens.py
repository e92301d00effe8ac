"""Token secrets: generation and the hash that is stored instead of the secret.

Tokens are 256-bit random strings, so a plain SHA-256 is enough at rest (a slow hash is for
guessable passwords); the prefix tells the kind at a glance and identifies a token in lists.
"""

from __future__ import annotations

import hashlib
import secrets

from vigile.scope import TokenKind

_KIND_PREFIX = {TokenKind.API: "vga_", TokenKind.INGEST: "vgi_"}
DISPLAY_PREFIX_LENGTH = 12


def generate_token(kind: TokenKind) -> str:
    """A new secret token of ``kind``."""
    return _KIND_PREFIX[kind] + secrets.token_urlsafe(32)


def hash_token(secret: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(secret.encode()).hexdigest()


def display_prefix(secret: str) -> str:
    """The part of a token that may be shown in lists and logs."""
    return secret[:DISPLAY_PREFIX_LENGTH]
