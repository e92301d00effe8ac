"""The embedded spool: an append-only, segmented, checksummed log in one directory.

Recent appends are also kept in memory, up to a bound (``tail_bytes``), until every group has
committed past them: a consumer that keeps up (the pipeline, in the same process) reads them
from there, not back from the page cache with every frame's checksum checked again; one that
lags reads the disk until it reaches them. Both give the same records (tested).

Files: ``<offset>.seg`` segments, ``<group>.offset`` committed offsets, ``LOCK`` (one process
at a time), ``ID`` (:mod:`vigile.spool.identity`). Appends are written under a lock (order =
offset order) and made durable outside it by group commit (:mod:`vigile.spool.sync`), so
writers keep filling the page cache while a leader fsyncs. Consumers only ever see durable
records. On open, every segment is verified; the log is cut at the first invalid frame — with
``fsync`` on, nothing past it was ever acknowledged, because an acknowledgement needs a
finished fsync round covering all earlier bytes — and later segments are dropped.
"""

from __future__ import annotations

import bisect
import fcntl
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from vigile.spool import groups
from vigile.spool.api import Batch, Offset, Record, SpoolCorrupt, SpoolError, SpoolFull
from vigile.spool.frames import (
    BASE_SIZE,
    MAX_DATA,
    MAX_TENANT,
    BadFrame,
    decode_run,
    encode_batch,
    frame_size,
)
from vigile.spool.identity import spool_identity
from vigile.spool.segments import list_segments, locate, scan, segment_path
from vigile.spool.sync import GroupSync, Pending


@dataclass(slots=True)
class Recovery:
    """What opening the spool found and repaired."""

    truncated_bytes: int = 0
    dropped_segments: int = 0
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Stats:
    """Counters since open: appended batches/records, fsync rounds, disk use, lag, and
    records read from memory (the held appends) rather than the disk."""

    appends: int
    records: int
    sync_rounds: int
    bytes_on_disk: int
    next_offset: Offset
    lag: int
    read_from_memory: int


HELD_RECORD_COST = 64
"""Bytes a held record counts for besides its frame (its bytes object and references)."""


@dataclass(frozen=True, slots=True)
class _Appended:
    """The records of one append, held for readers (see :class:`Spool`'s ``tail_bytes``)."""

    first: Offset
    tenant: str
    records: tuple[bytes, ...]
    base: int
    """The segment its frames are in (one append never spans two)."""
    pos: int
    """File position of its first frame."""
    frame_bytes: int
    """Bytes of its frames (the file position after it: ``pos + frame_bytes``)."""
    cost: int
    """What it counts against the bound: its frames' bytes and :data:`HELD_RECORD_COST` per
    record (the record objects: many small appends weigh more than their bytes)."""

    @property
    def end(self) -> Offset:
        return self.first + len(self.records)


@dataclass(slots=True)
class _Cursor:
    offset: Offset
    base: int = -1  # segment in which ``pos`` is valid
    pos: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


class Spool:
    """Embedded :class:`~vigile.spool.api.SpoolBackend`; thread-safe, one process per dir."""

    def __init__(
        self,
        directory: Path | str,
        *,
        segment_bytes: int = 64 * 1024 * 1024,
        fsync: bool = True,
        max_bytes: int = 4 * 1024 * 1024 * 1024,
        max_lag: int | None = None,
        tail_bytes: int = 64 * 1024 * 1024,
    ) -> None:
        """``tail_bytes``: bound on the records of recent appends kept in memory for the
        readers of this process (0: every read goes to the disk)."""
        if segment_bytes < 4096 or max_bytes < 2 * segment_bytes:
            raise ValueError("need segment_bytes >= 4096 and max_bytes >= 2 * segment_bytes")
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self._segment_bytes, self._fsync = segment_bytes, fsync
        self._max_bytes, self._max_lag = max_bytes, max_lag
        self._lockfd = os.open(self.dir / "LOCK", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self._lockfd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._lockfd)
            raise SpoolError(f"spool {self.dir} is open in another process") from None
        self._lock = threading.Lock()  # appends, segment list, sizes
        self._glock = threading.Lock()  # consumer groups: committed offsets and cursors
        self._closed = False
        self._appends = self._records = 0
        self._retired: list[int] = []
        self._dir_dirty = False
        self._tail: list[_Appended] = []  # oldest first; consecutive unless one did not fit
        self._tail_used, self._tail_bytes = 0, tail_bytes
        self._from_memory = 0
        self.recovery = Recovery()
        self.identity = spool_identity(self.dir, fsync=fsync)
        self._committed = groups.load(self.dir)
        self._bases, self._sizes, self._next = self._recover()
        self._active_fd = os.open(
            segment_path(self.dir, self._bases[-1]), os.O_WRONLY | os.O_APPEND
        )
        self._sync = GroupSync(self._pending, lambda: groups.fsync_dir(self.dir))
        self._sync.durable = self._next
        self._cursors: dict[str, _Cursor] = {}
        for group, offset in list(self._committed.items()):
            clamped = min(max(offset, self._bases[0]), self._next)
            if clamped != offset:
                self.recovery.problems.append(f"group {group}: offset {offset} -> {clamped}")
                self._committed[group] = clamped
                groups.store(self.dir, group, clamped, fsync=fsync)
        # Lowest committed offset, kept as one int so appenders read it without _glock.
        self._low: int | None = min(self._committed.values(), default=None)

    # -- recovery -------------------------------------------------------------------------
    def _recover(self) -> tuple[list[int], dict[int, int], int]:
        bases = list_segments(self.dir)
        if not bases:
            # Keep offsets monotonic even if every segment was removed by hand.
            start = max(self._committed.values(), default=0)
            segment_path(self.dir, start).touch()
            groups.fsync_dir(self.dir)
            return [start], {start: 0}, start
        sizes: dict[int, int] = {}
        for i, base in enumerate(bases):
            path = segment_path(self.dir, base)
            result = scan(path, base)
            problem = result.problem
            nxt = base + result.count
            if problem is None and i + 1 < len(bases) and bases[i + 1] != nxt:
                problem = f"segment {bases[i + 1]} does not follow offset {nxt}"
            sizes[base] = result.end
            if problem is None:
                continue
            self.recovery.problems.append(f"{path.name}: {problem}")
            self.recovery.truncated_bytes += result.size - result.end
            os.truncate(path, result.end)
            for later in bases[i + 1 :]:
                later_path = segment_path(self.dir, later)
                self.recovery.truncated_bytes += later_path.stat().st_size
                later_path.unlink()
                self.recovery.dropped_segments += 1
            self._fsync_path(path)
            groups.fsync_dir(self.dir)
            return bases[: i + 1], sizes, nxt
        return bases, sizes, nxt

    def _fsync_path(self, path: Path) -> None:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    # -- appending ------------------------------------------------------------------------
    def append_batch(self, tenant_id: str, records: Sequence[bytes]) -> list[Offset]:
        """Append records of one tenant; return their offsets once durable (fsync'd).

        Raises :class:`SpoolFull` (nothing written) past ``max_bytes`` / ``max_lag``.
        """
        tenant = tenant_id.encode("utf-8")
        if not 0 < len(tenant) <= MAX_TENANT:
            raise ValueError("tenant id must be 1-255 bytes of utf-8")
        if not records:
            return []
        if (largest := max(map(len, records))) > MAX_DATA:
            raise ValueError(f"record of {largest} bytes exceeds {MAX_DATA}")
        with self._lock:
            if self._closed:
                raise SpoolError("spool is closed")
            if self._sync.error is not None:
                raise SpoolError("spool failed; reopen to recover") from self._sync.error
            first = self._next
            frames = b"".join(encode_batch(first, tenant, records))
            self._check_bounds(len(frames), len(records))
            if self._sizes[self._bases[-1]] >= self._segment_bytes:
                self._rotate(first)
            self._write(frames)
            base = self._bases[-1]
            self._hold(first, tenant_id, records, base, self._sizes[base], len(frames))
            self._next = end = first + len(records)
            self._sizes[base] += len(frames)
            self._appends += 1
            self._records += len(records)
        if self._fsync:
            try:
                self._sync.wait_durable(end)
            except OSError as exc:
                raise SpoolError("fsync failed; reopen to recover") from exc
        else:
            self._sync.mark_written(end)
        return list(range(first, end))

    def _hold(
        self,
        first: Offset,
        tenant: str,
        records: Sequence[bytes],
        base: int,
        pos: int,
        frame_bytes: int,
    ) -> None:
        """Keep an append's records for the readers (under ``_lock``), if a reader of this
        process exists and they fit: past the bound, new appends are left to the disk, and
        the held ones (those the readers reach first) stay."""
        cost = frame_bytes + HELD_RECORD_COST * len(records)
        if not self._cursors or self._tail_used + cost > self._tail_bytes:
            return
        self._tail.append(_Appended(first, tenant, tuple(records), base, pos, frame_bytes, cost))
        self._tail_used += cost

    def _release(self, low: Offset) -> None:
        """Drop the held appends every group has committed (under ``_lock``)."""
        tail = self._tail
        done = 0
        while done < len(tail) and tail[done].end <= low:
            self._tail_used -= tail[done].cost
            done += 1
        if done:
            del tail[:done]

    def _check_bounds(self, nbytes: int, nrecords: int) -> None:
        used = sum(self._sizes.values())
        if used + nbytes > self._max_bytes:
            raise SpoolFull(f"spool holds {used} bytes, bound {self._max_bytes}")
        if self._max_lag is not None:
            low = self._low if self._low is not None else self._bases[0]
            if self._next - low + nrecords > self._max_lag:
                raise SpoolFull(f"consumers lag {self._next - low} records, bound {self._max_lag}")

    def _write(self, frames: bytes) -> None:
        view = memoryview(frames)
        done = 0
        try:
            while done < len(view):
                done += os.write(self._active_fd, view[done:])
        except OSError as exc:
            # Leave no half frame behind a successful later append (disk full, I/O error).
            try:
                os.ftruncate(self._active_fd, self._sizes[self._bases[-1]])
            except OSError:
                self._sync.error = exc  # cannot repair: poison until reopened
            raise SpoolError(f"write failed: {exc}") from exc

    def _rotate(self, base: int) -> None:
        path = segment_path(self.dir, base)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_EXCL, 0o644)
        self._retired.append(self._active_fd)  # the next sync round fsyncs and closes it
        self._active_fd = fd
        self._bases.append(base)
        self._sizes[base] = 0
        self._dir_dirty = True

    def _pending(self) -> Pending:
        with self._lock:
            retired, self._retired = self._retired, []
            sync_dir, self._dir_dirty = self._dir_dirty, False
            return Pending(self._next, [*retired, self._active_fd], retired, sync_dir)

    # -- consuming ------------------------------------------------------------------------
    def _cursor(self, group: str) -> _Cursor:
        groups.check_name(group)
        with self._glock:
            cur = self._cursors.get(group)
            if cur is None:
                if group not in self._committed:
                    # A new group starts at the oldest retained record and is persisted at
                    # once, so retention keeps what it has not read yet.
                    with self._lock:
                        start = self._bases[0]
                    groups.store(self.dir, group, start, fsync=self._fsync)
                    self._committed[group] = start
                    self._low = min(self._committed.values())
                cur = self._cursors[group] = _Cursor(self._committed[group])
            return cur

    def read(self, group: str, max_records: int, timeout: float = 0.0) -> Batch:
        """Next durable records for ``group`` (one reader per group at a time)."""
        if max_records < 1:
            raise ValueError("max_records must be >= 1")
        cur = self._cursor(group)
        with cur.lock:
            with self._sync.cond:
                if self._sync.durable <= cur.offset and timeout > 0 and not self._closed:
                    self._sync.cond.wait_for(
                        lambda: self._sync.durable > cur.offset or self._closed, timeout
                    )
                limit = min(self._sync.durable, cur.offset + max_records)
            with self._lock:
                if self._closed:
                    raise SpoolError("spool is closed")
                bases = list(self._bases)
            out: list[Record] = []
            while cur.offset < limit:
                held = self._read_held(cur, limit, out)
                if cur.offset >= limit:
                    break
                i = bisect.bisect_right(bases, cur.offset) - 1
                stop = min(limit, bases[i + 1]) if i + 1 < len(bases) else limit
                if held is not None:
                    stop = min(stop, held)
                self._read_segment(cur, bases[i], stop, out)
            return Batch(out, cur.offset)

    def _read_held(self, cur: _Cursor, limit: Offset, out: list[Record]) -> Offset | None:
        """Records from the cursor up to ``limit`` taken from the held appends while they
        hold the next one; returns the first held offset past the cursor (None: none), where
        a disk read from the cursor should stop."""
        with self._lock:
            tail = self._tail
            # The append holding the cursor's record or, if none does, the next one; then
            # those up to the limit (found by offset: small appends can be many).
            i = max(0, bisect.bisect_right(tail, cur.offset, key=_first_offset) - 1)
            held: list[_Appended] = []
            while i < len(tail) and tail[i].first < limit:
                if tail[i].end > cur.offset:
                    held.append(tail[i])
                i += 1
        start, gap = cur.offset, None
        for appended in held:
            if appended.first > cur.offset:
                gap = appended.first  # an append that did not fit: the disk first
                break
            skip = cur.offset - appended.first
            take = min(appended.end, limit) - cur.offset
            tenant, offset = appended.tenant, cur.offset
            out += [
                Record(offset + i, tenant, data)
                for i, data in enumerate(appended.records[skip : skip + take])
            ]
            # The file position after the last record taken, for a later disk read.
            if skip + take == len(appended.records):
                pos = appended.pos + appended.frame_bytes
            else:
                pos = _frames_end(appended, skip + take)
            cur.offset, cur.base, cur.pos = offset + take, appended.base, pos
        if cur.offset > start:
            with self._lock:
                self._from_memory += cur.offset - start
        return gap

    def _read_segment(self, cur: _Cursor, base: int, stop: int, out: list[Record]) -> None:
        path = segment_path(self.dir, base)
        try:
            if cur.base != base:
                cur.pos, cur.base = locate(path, base, cur.offset), base
            fd = os.open(path, os.O_RDONLY)
            try:
                _read_frames(fd, cur, stop, out)
            finally:
                os.close(fd)
        except BadFrame as exc:
            raise SpoolCorrupt(f"{path.name}: {exc} (offset {cur.offset})") from exc
        if cur.offset < stop:
            raise SpoolCorrupt(f"{path.name}: ends before acknowledged offset {cur.offset}")

    def commit(self, group: str, offset: Offset) -> None:
        """Durably record that ``group`` processed every record below ``offset``."""
        cur = self._cursor(group)
        with self._glock:
            if offset > self._sync.durable:
                raise ValueError(f"offset {offset} is past the durable end {self._sync.durable}")
            if offset < self._committed[group]:
                raise ValueError(
                    f"offset {offset} is before the committed {self._committed[group]}"
                )
            groups.store(self.dir, group, offset, fsync=self._fsync)
            self._committed[group] = offset
            self._low = low = min(self._committed.values())
        with self._lock:
            self._release(low)
        with cur.lock:
            if cur.offset < offset:
                cur.offset, cur.base = offset, -1
        self._retain(low)

    def committed(self, group: str) -> Offset | None:
        """The committed offset of ``group``, or ``None`` for an unknown group."""
        with self._glock:
            return self._committed.get(group)

    def _retain(self, low: Offset) -> None:
        """Delete segments whose every record is below every group's committed offset."""
        with self._lock:
            doomed = [b for b, nxt in zip(self._bases, self._bases[1:], strict=False) if nxt <= low]
            for base in doomed:
                self._bases.remove(base)
                del self._sizes[base]
        for base in doomed:
            segment_path(self.dir, base).unlink(missing_ok=True)

    # -- misc -----------------------------------------------------------------------------
    def stats(self) -> Stats:
        """A snapshot of the counters."""
        with self._lock:
            low = self._low if self._low is not None else self._bases[0]
            return Stats(
                self._appends,
                self._records,
                self._sync.rounds,
                sum(self._sizes.values()),
                self._next,
                self._next - low,
                self._from_memory,
            )

    def close(self) -> None:
        """Close files and release the directory lock (idempotent)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._sync.idle()
        with self._sync.cond:
            self._sync.cond.notify_all()  # wake blocked readers
        with self._lock:
            for fd in [*self._retired, self._active_fd]:
                os.close(fd)
            self._retired = []
            self._tail, self._tail_used = [], 0
        fcntl.flock(self._lockfd, fcntl.LOCK_UN)
        os.close(self._lockfd)

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


READ_CHUNK = 4 * 1024 * 1024


def _first_offset(appended: _Appended) -> Offset:
    return appended.first


def _frames_end(appended: _Appended, count: int) -> int:
    """File position after the first ``count`` frames of ``appended``."""
    per_frame = BASE_SIZE + len(appended.tenant.encode("utf-8"))
    return appended.pos + count * per_frame + sum(map(len, appended.records[:count]))


def _read_frames(fd: int, cur: _Cursor, stop: int, out: list[Record]) -> None:
    """Records from the cursor's position up to offset ``stop`` or the end of the file
    (the caller checks which), read in large chunks; the cursor follows."""
    buf, base, at = b"", cur.pos, 0  # base: file position of buf[0]
    tenants: dict[bytes, str] = {}
    while cur.offset < stop:
        frames, at = decode_run(buf, at, cur.offset, stop)
        for offset, tenant, data in frames:
            name = tenants.get(tenant)
            if name is None:
                try:
                    name = tenants[tenant] = tenant.decode("utf-8")
                except UnicodeDecodeError:
                    raise BadFrame("tenant is not utf-8") from None
            out.append(Record(offset, name, data))
        if frames:
            cur.offset, cur.pos = frames[-1][0] + 1, base + at
        if cur.offset >= stop:
            return
        left = len(buf) - at
        need = frame_size(buf, at) if left >= BASE_SIZE else BASE_SIZE
        more = os.pread(fd, max(READ_CHUNK, need - left), base + len(buf))
        if not more:
            return
        buf, base, at = buf[at:] + more, base + at, 0
