"""The hash chain of the audit trail. Pure: no database code.

Each entry's hash covers its own content and the previous entry's hash, so editing,
deleting or reordering any entry breaks every hash after it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import orjson

GENESIS_HASH = "0" * 64


@dataclass(frozen=True)
class ChainedEntry:
    """The fields of an audit entry that its hash covers."""

    seq: int
    at: datetime
    actor: str
    tenant_id: int | None
    action: str
    object_type: str
    object_id: str
    details: str
    prev_hash: str


def entry_hash(entry: ChainedEntry) -> str:
    """SHA-256 over a canonical JSON encoding of the entry (times in UTC, microseconds)."""
    payload = orjson.dumps(
        [
            entry.seq,
            entry.at.isoformat(timespec="microseconds"),
            entry.actor,
            entry.tenant_id,
            entry.action,
            entry.object_type,
            entry.object_id,
            entry.details,
            entry.prev_hash,
        ]
    )
    return hashlib.sha256(payload).hexdigest()


@dataclass(frozen=True)
class ChainProblem:
    """Where the chain breaks and why."""

    seq: int
    reason: str


def verify_chain(
    entries: Iterable[tuple[ChainedEntry, str]], head: tuple[int, str] | None
) -> list[ChainProblem]:
    """Check ``(entry, stored_hash)`` pairs in sequence order against each other and the head.

    Returns every problem found; an empty list means the trail is intact.
    """
    problems: list[ChainProblem] = []
    expected_prev = GENESIS_HASH
    expected_seq = 1
    last_seq, last_hash = 0, GENESIS_HASH
    for entry, stored_hash in entries:
        if entry.seq != expected_seq:
            problems.append(
                ChainProblem(entry.seq, f"sequence gap: expected {expected_seq}, found {entry.seq}")
            )
        if entry.prev_hash != expected_prev:
            problems.append(
                ChainProblem(entry.seq, "previous-hash link broken (row deleted or reordered)")
            )
        if entry_hash(entry) != stored_hash:
            problems.append(ChainProblem(entry.seq, "content does not match its hash (modified)"))
        expected_prev = stored_hash
        expected_seq = entry.seq + 1
        last_seq, last_hash = entry.seq, stored_hash
    if head is not None and (head[0], head[1]) != (last_seq, last_hash):
        problems.append(
            ChainProblem(
                last_seq,
                f"trail ends at #{last_seq} but the head records #{head[0]} (rows cut off the end)",
            )
        )
    return problems
