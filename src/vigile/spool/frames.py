"""On-disk frame of one record: fixed header, checksum over everything but itself.

Layout (little endian)::

    magic u8 | flags u8 | tenant_len u16 | data_len u32 | crc32 u32 | offset u64
    | [sha256 32 bytes] | tenant (utf-8) | data

Flags: :data:`NO_DIGEST` (what appends write) means no SHA-256 follows the offset; without it
(frames written before it existed) the 32-byte record digest does. The digest was never
checked on reading and is not kept: :attr:`vigile.spool.api.Record.id` derives the same value
from the tenant and data when asked, so appends no longer hash every record. Any other flag
bit is invalid.

The CRC covers the header fields before it and the whole body, so a torn write, a zero-filled
tail (what a file system may leave after a power cut) or stray bytes never pass as a record;
the offset in the body must also be the one expected at that position.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

MAGIC = 0xA7
NO_DIGEST = 0x01
"""Flag: the frame holds no record digest."""
DIGEST_SIZE = 32
_PREFIX = struct.Struct("<BBHI")  # magic, flags, tenant_len, data_len
_CRC = struct.Struct("<I")
_OFFSET = struct.Struct("<Q")
_HEAD = struct.Struct("<BBHIIQ")  # the fixed header up to the optional digest, in one unpack
_CHECKED = struct.Struct("<BBHIQ")  # the same without the CRC: the header bytes it covers
BASE_SIZE = _HEAD.size
"""Header size of a :data:`NO_DIGEST` frame (the smallest a frame can be)."""
HEADER_SIZE = BASE_SIZE + DIGEST_SIZE
"""Header size of a frame with a digest."""
_SIZES = {NO_DIGEST: BASE_SIZE, 0: HEADER_SIZE}  # header size by flags; other flags: invalid
MAX_DATA = 64 * 1024 * 1024  # a larger length field can only be garbage
MAX_TENANT = 255


def encode(offset: int, tenant: bytes, data: bytes, digest: bytes | None = None) -> bytes:
    """The frame of one record (with ``digest``, the 32-byte SHA-256 id: the old layout)."""
    return b"".join(encode_parts(offset, tenant, data, digest))


def encode_parts(
    offset: int, tenant: bytes, data: bytes, digest: bytes | None = None
) -> tuple[bytes, bytes]:
    """:func:`encode` as (header and tenant, data): joining a batch's frames once copies
    each record's data once."""
    if digest is None:
        prefix = _PREFIX.pack(MAGIC, NO_DIGEST, len(tenant), len(data))
        head = _OFFSET.pack(offset) + tenant
    else:
        if len(digest) != DIGEST_SIZE:
            raise ValueError("a digest is 32 bytes")
        prefix = _PREFIX.pack(MAGIC, 0, len(tenant), len(data))
        head = _OFFSET.pack(offset) + digest + tenant
    crc = zlib.crc32(data, zlib.crc32(head, zlib.crc32(prefix)))
    return prefix + _CRC.pack(crc) + head, data


def encode_batch(first: int, tenant: bytes, records: Sequence[bytes]) -> list[bytes]:
    """The :data:`NO_DIGEST` frames of ``records`` (offsets from ``first``) as parts to join:
    :func:`encode_parts` of each, in one loop with two CRC calls per record (the header
    bytes the CRC covers are contiguous once packed without it)."""
    parts: list[bytes] = []
    append = parts.append
    checked, head, crc32, tlen = _CHECKED.pack, _HEAD.pack, zlib.crc32, len(tenant)
    for offset, data in enumerate(records, first):
        dlen = len(data)
        crc = crc32(data, crc32(checked(MAGIC, NO_DIGEST, tlen, dlen, offset) + tenant))
        append(head(MAGIC, NO_DIGEST, tlen, dlen, crc, offset) + tenant)
        append(data)
    return parts


@dataclass(frozen=True, slots=True)
class Decoded:
    """A decoded frame: its record fields and where the next frame starts (``digest`` is
    ``None`` for a frame written without one)."""

    offset: int
    tenant: str
    digest: bytes | None
    data: bytes
    end: int


class Incomplete(Exception):
    """The buffer ends inside a frame; ``needed`` bytes from its start would hold it."""

    def __init__(self, needed: int) -> None:
        super().__init__(needed)
        self.needed = needed


class BadFrame(Exception):
    """Bytes at this position are not a valid frame (reason in the message)."""


def header_size(buf: bytes | memoryview, pos: int) -> int:
    """Header size of the frame at ``pos`` (its first two bytes must be in ``buf``);
    :class:`BadFrame` for a wrong magic or flags."""
    if buf[pos] != MAGIC:
        raise BadFrame("bad magic")
    size = _SIZES.get(buf[pos + 1])
    if size is None:
        raise BadFrame("bad magic")
    return size


def decode(buf: bytes | memoryview, pos: int, expected_offset: int) -> Decoded:
    """Decode the frame at ``pos``; raise :class:`Incomplete` or :class:`BadFrame`."""
    avail = len(buf) - pos
    if avail < 2:
        if avail > 0 and buf[pos] != MAGIC:
            raise BadFrame("bad magic")
        raise Incomplete(BASE_SIZE)
    head_size = header_size(buf, pos)
    if avail < head_size:
        raise Incomplete(head_size)
    _, _, tlen, dlen, crc, offset = _HEAD.unpack_from(buf, pos)
    if dlen > MAX_DATA or tlen == 0:
        raise BadFrame("impossible length")
    size = head_size + tlen + dlen
    if avail < size:
        raise Incomplete(size)
    body_start = pos + _PREFIX.size + _CRC.size
    end = pos + size
    view = memoryview(buf)
    if zlib.crc32(view[body_start:end], zlib.crc32(view[pos : pos + _PREFIX.size])) != crc:
        raise BadFrame("checksum mismatch")
    if offset != expected_offset:
        raise BadFrame(f"offset {offset}, expected {expected_offset}")
    tenant_start = pos + head_size
    data_start = tenant_start + tlen
    try:
        tenant = bytes(view[tenant_start:data_start]).decode("utf-8")
    except UnicodeDecodeError:
        raise BadFrame("tenant is not utf-8") from None
    digest = bytes(view[pos + BASE_SIZE : tenant_start]) if head_size == HEADER_SIZE else None
    return Decoded(offset, tenant, digest, bytes(view[data_start:end]), end)


Frame = tuple[int, bytes, bytes]
"""A decoded frame's offset, tenant (utf-8 bytes) and data."""


def decode_run(buf: bytes, pos: int, offset: int, limit: int) -> tuple[list[Frame], int]:
    """The consecutive complete frames of ``buf`` from ``pos`` (holding record ``offset``)
    up to offset ``limit``, and the position after the last one; stops at a frame that
    ``buf`` does not hold entirely. Checks as :func:`decode` does (raises :class:`BadFrame`),
    with one header unpack and no object per frame but its tuple: the pipeline reads
    thousands of records per batch while holding the GIL."""
    out: list[Frame] = []
    view = memoryview(buf)
    size = len(buf)
    crc32 = zlib.crc32
    unpack = _HEAD.unpack_from
    while offset < limit and size - pos >= BASE_SIZE:
        magic, flags, tlen, dlen, crc, found = unpack(buf, pos)
        if magic != MAGIC:
            raise BadFrame("bad magic")
        if flags == NO_DIGEST:
            tenant_start = pos + BASE_SIZE
        elif flags == 0:
            tenant_start = pos + HEADER_SIZE
        else:
            raise BadFrame("bad magic")
        if dlen > MAX_DATA or tlen == 0:
            raise BadFrame("impossible length")
        data_start = tenant_start + tlen
        end = data_start + dlen
        if end > size:
            break
        if crc32(view[pos + 12 : end], crc32(view[pos : pos + 8])) != crc:
            raise BadFrame("checksum mismatch")
        if found != offset:
            raise BadFrame(f"offset {found}, expected {offset}")
        out.append((found, buf[tenant_start:data_start], buf[data_start:end]))
        pos = end
        offset += 1
    return out, pos


def frame_size(buf: bytes, pos: int) -> int:
    """Bytes the frame starting at ``pos`` takes (its fixed header, :data:`BASE_SIZE`
    bytes, must be in ``buf``; :class:`BadFrame` when it is not a frame's)."""
    head_size = header_size(buf, pos)
    _, _, tlen, dlen = _PREFIX.unpack_from(buf, pos)
    return int(head_size + tlen + dlen)
