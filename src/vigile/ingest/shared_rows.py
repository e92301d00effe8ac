"""Handing a detection process's event rows to the server through a shared-memory file.

A batch's rows are megabytes (~2.5 KB a corpus event). Returned through the process pool's
pipe they were serialised, copied into the pickle, written into the pipe 1 MiB at a time,
read back and copied again: ~7 µs of CPU per event on the two sides, a tenth of what the
whole pipeline spends. Written instead to a file of ``/dev/shm`` (tmpfs: memory, no disk) as
an Arrow IPC stream, they cost one copy in the detection process and none in the server,
which maps the file and hands its pages to Arrow as they are (~0.8 µs per event in all).

Lifecycle: the detection process creates the file (``O_EXCL``, mode 0600, a random name under
the server's prefix) and passes its name; the server maps it and unlinks the name at once
(the mapping keeps the pages until the last Arrow array over them is freed). Files whose
server died before that are removed by the next :func:`sweep` (at every start of a pool, for
prefixes of processes that no longer run) and a pool's own at its close (results never
collected). Without a usable directory (none, full, a small container ``/dev/shm``) rows go
through the pipe.
"""

from __future__ import annotations

import contextlib
import mmap
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa  # type: ignore[import-untyped]

from vigile.events.store import EventRows

SHARED_DIR = Path("/dev/shm")
PREFIX = "vigile-rows-"


def default_directory() -> Path | None:
    """``/dev/shm`` when this system has a writable one, else ``None`` (the pipe)."""
    if SHARED_DIR.is_dir() and os.access(SHARED_DIR, os.W_OK | os.X_OK):
        return SHARED_DIR
    return None


def owner_prefix(pid: int, pool: str) -> str:
    """The file-name prefix of a pool of process ``pid`` (``pool``: distinguishes its
    pools), naming the process by :func:`process_tag`."""
    return f"{PREFIX}{process_tag(pid) or pid}-{pool}-"


def process_tag(pid: int) -> str | None:
    """``<pid>.<start time>`` of a running process (Linux's ``/proc``; ``None`` elsewhere or
    when it has ended): a later process given the same pid (a server restarted as pid 1 in a
    container whose ``/dev/shm`` persists) gets another tag, so its predecessor's files are
    still recognised as left behind."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # Field 22 (starttime), counted after the command name, which may hold spaces and ")".
    after_name = stat.rsplit(")", 1)[-1].split()
    return f"{pid}.{after_name[19]}" if len(after_name) > 19 else None


@dataclass(frozen=True, slots=True)
class SharedRows:
    """Event rows written to a shared-memory file; :meth:`load` maps them in the receiver."""

    path: str

    def load(self) -> EventRows:
        """The rows, their Arrow buffers over the mapped file (no copy); the file's name is
        removed, so this can be called once."""
        fd = os.open(self.path, os.O_RDONLY | os.O_NOFOLLOW)
        try:
            os.unlink(self.path)
            flags = mmap.MAP_SHARED | getattr(mmap, "MAP_POPULATE", 0)
            mapped = mmap.mmap(fd, 0, flags=flags, prot=mmap.PROT_READ)
        finally:
            os.close(fd)
        return EventRows.of_stream(pa.py_buffer(mapped))


def share(rows: EventRows, directory: Path, prefix: str) -> SharedRows | None:
    """Write ``rows`` to a new file of ``directory`` (an Arrow IPC stream, straight from the
    arrays' buffers); ``None`` if that fails (the caller sends them through the pipe),
    leaving no file behind."""
    path = directory / f"{prefix}{secrets.token_hex(8)}"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except OSError:
        return None
    try:
        with os.fdopen(fd, "wb") as out:  # buffered: a write is whole or raises
            rows.write_stream(out)
    except (OSError, pa.ArrowException):  # ENOSPC on a small tmpfs, typically
        with contextlib.suppress(OSError):
            os.unlink(path)
        return None
    return SharedRows(str(path))


def sweep(directory: Path, *, own: str | None = None) -> int:
    """Remove the files of servers no longer running (and those of prefix ``own``, a pool
    being closed); the number removed."""
    removed = 0
    for entry in directory.glob(f"{PREFIX}*"):
        tag = entry.name[len(PREFIX) :].split("-", 1)[0]
        mine = own is not None and entry.name.startswith(own)
        if mine or _ended(tag):
            with contextlib.suppress(OSError):
                entry.unlink()
                removed += 1
    return removed


def _ended(tag: str) -> bool:
    """Whether the process a file's tag names (``pid.start`` or ``pid``) no longer runs;
    False for a name that is not such a tag."""
    pid_text, _, start = tag.partition(".")
    if not pid_text.isdigit() or not (start.isdigit() or not start):
        return False
    if start:
        return process_tag(int(pid_text)) != tag
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # another user's process
        return False
    return False
