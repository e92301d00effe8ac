"""The identity of an embedded spool: a random name kept in its directory (``ID``).

Offsets are a spool's own sequence: a spool created anew (its directory emptied, or another
data dir over the same database) counts from 0 again. What records progress in offsets
outside the spool (the pipeline's observed batches, in the database) keeps the identity with
them, so that offsets of another spool are never compared with them.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from vigile.spool.groups import replace_file

FILE = "ID"


def spool_identity(directory: Path, *, fsync: bool) -> str:
    """The identity of the spool in ``directory``, created (and made durable) if it has none
    yet. Called with the spool's lock held: no two processes create it at once."""
    path = directory / FILE
    try:
        known = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        known = ""
    if len(known) == 32 and all(c in "0123456789abcdef" for c in known):
        return known
    made = uuid.uuid4().hex
    replace_file(directory, FILE, f"{made}\n".encode("ascii"), fsync=fsync)
    return made
