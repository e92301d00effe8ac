"""The audit hash chain detects modified, deleted, reordered and cut-off entries."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from vigile.audit.chain import GENESIS_HASH, ChainedEntry, entry_hash, verify_chain


def make_chain(count: int) -> list[tuple[ChainedEntry, str]]:
    chain: list[tuple[ChainedEntry, str]] = []
    prev = GENESIS_HASH
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for seq in range(1, count + 1):
        entry = ChainedEntry(
            seq,
            start + timedelta(minutes=seq),
            "user:a",
            seq % 2 or None,
            "tenant.update",
            "tenant",
            f"t{seq}",
            f'{{"n": {seq}}}',
            prev,
        )
        prev = entry_hash(entry)
        chain.append((entry, prev))
    return chain


def head_of(chain: list[tuple[ChainedEntry, str]]) -> tuple[int, str]:
    return chain[-1][0].seq, chain[-1][1]


def test_intact_chain_has_no_problem() -> None:
    chain = make_chain(5)
    assert verify_chain(chain, head_of(chain)) == []
    assert verify_chain([], None) == []


def test_modified_entry_is_detected() -> None:
    chain = make_chain(5)
    entry, stored = chain[2]
    chain[2] = (dataclasses.replace(entry, details='{"n": 999}'), stored)
    problems = verify_chain(chain, head_of(make_chain(5)))
    assert [p.seq for p in problems] == [3]
    assert "modified" in problems[0].reason


def test_deleted_entry_is_detected() -> None:
    chain = make_chain(5)
    head = head_of(chain)
    del chain[1]
    problems = verify_chain(chain, head)
    assert problems and problems[0].seq == 3


def test_reordered_entries_are_detected() -> None:
    chain = make_chain(5)
    head = head_of(chain)
    chain[1], chain[2] = chain[2], chain[1]
    assert verify_chain(chain, head)


def test_rewritten_hashes_without_the_head_are_detected() -> None:
    # Someone edits an entry and recomputes every later hash, but cannot fix the head too
    # without also being caught by the head record.
    chain = make_chain(4)
    head = head_of(chain)
    prev = chain[1][1]
    rebuilt = chain[:2]
    for entry, _ in chain[2:]:
        forged = dataclasses.replace(entry, actor="user:mallory", prev_hash=prev)
        prev = entry_hash(forged)
        rebuilt.append((forged, prev))
    problems = verify_chain(rebuilt, head)
    assert problems and "head" in problems[-1].reason


def test_entries_cut_off_the_end_are_detected() -> None:
    chain = make_chain(5)
    head = head_of(chain)
    problems = verify_chain(chain[:3], head)
    assert problems and "cut off" in problems[0].reason
