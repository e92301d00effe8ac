"""On-disk frame of one record: fixed header, checksum over everything but itself.

Layout (little endian)::

    magic u8 | flags u8 | tenant_len u16 | data_len u32 | crc32 u32 | offset u64
    | sha256 32 bytes | tenant (utf-8) | data

The CRC covers the header fields before it and the whole body, so a torn write, a zero-filled
tail (what a file system may leave after a power cut) or stray bytes never pass as a record;
the offset in the body must also be the one expected at that position.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

MAGIC = 0xA7
_PREFIX = struct.Struct("<BBHI")  # magic, flags, tenant_len, data_len
_CRC = struct.Struct("<I")
_OFFSET = struct.Struct("<Q")
HEADER_SIZE = _PREFIX.size + _CRC.size + _OFFSET.size + 32
_HEADER = struct.Struct("<BBHIIQ32s")  # the whole fixed header in one unpack
assert _HEADER.size == HEADER_SIZE
MAX_DATA = 64 * 1024 * 1024  # a larger length field can only be garbage
MAX_TENANT = 255


def encode(offset: int, tenant: bytes, digest: bytes, data: bytes) -> bytes:
    """The frame of one record (``digest`` is the 32-byte SHA-256 id)."""
    return b"".join(encode_parts(offset, tenant, digest, data))


def encode_parts(offset: int, tenant: bytes, digest: bytes, data: bytes) -> tuple[bytes, bytes]:
    """:func:`encode` as (header and tenant, data): joining a batch's frames once copies
    each record's data once."""
    prefix = _PREFIX.pack(MAGIC, 0, len(tenant), len(data))
    head = _OFFSET.pack(offset) + digest + tenant
    crc = zlib.crc32(data, zlib.crc32(head, zlib.crc32(prefix)))
    return prefix + _CRC.pack(crc) + head, data


@dataclass(frozen=True, slots=True)
class Decoded:
    """A decoded frame: its record fields and where the next frame starts."""

    offset: int
    tenant: str
    digest: bytes
    data: bytes
    end: int


class Incomplete(Exception):
    """The buffer ends inside a frame; ``needed`` bytes from its start would hold it."""

    def __init__(self, needed: int) -> None:
        super().__init__(needed)
        self.needed = needed


class BadFrame(Exception):
    """Bytes at this position are not a valid frame (reason in the message)."""


def decode(buf: bytes | memoryview, pos: int, expected_offset: int) -> Decoded:
    """Decode the frame at ``pos``; raise :class:`Incomplete` or :class:`BadFrame`."""
    avail = len(buf) - pos
    if avail < HEADER_SIZE:
        if avail > 0 and buf[pos] != MAGIC:
            raise BadFrame("bad magic")
        raise Incomplete(HEADER_SIZE)
    magic, flags, tlen, dlen = _PREFIX.unpack_from(buf, pos)
    if magic != MAGIC or flags != 0:
        raise BadFrame("bad magic")
    if dlen > MAX_DATA or tlen == 0:
        raise BadFrame("impossible length")
    size = HEADER_SIZE + tlen + dlen
    if avail < size:
        raise Incomplete(size)
    (crc,) = _CRC.unpack_from(buf, pos + _PREFIX.size)
    body_start = pos + _PREFIX.size + _CRC.size
    end = pos + size
    view = memoryview(buf)
    if zlib.crc32(view[body_start:end], zlib.crc32(view[pos : pos + _PREFIX.size])) != crc:
        raise BadFrame("checksum mismatch")
    (offset,) = _OFFSET.unpack_from(buf, body_start)
    if offset != expected_offset:
        raise BadFrame(f"offset {offset}, expected {expected_offset}")
    digest_start = body_start + _OFFSET.size
    tenant_start = digest_start + 32
    data_start = tenant_start + tlen
    try:
        tenant = bytes(view[tenant_start:data_start]).decode("utf-8")
    except UnicodeDecodeError:
        raise BadFrame("tenant is not utf-8") from None
    return Decoded(
        offset, tenant, bytes(view[digest_start:tenant_start]), bytes(view[data_start:end]), end
    )


Frame = tuple[int, bytes, bytes, bytes]
"""A decoded frame's offset, tenant (utf-8 bytes), digest and data."""


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
    unpack = _HEADER.unpack_from
    while offset < limit and size - pos >= HEADER_SIZE:
        magic, flags, tlen, dlen, crc, found, digest = unpack(buf, pos)
        if magic != MAGIC or flags != 0:
            raise BadFrame("bad magic")
        if dlen > MAX_DATA or tlen == 0:
            raise BadFrame("impossible length")
        tenant_start = pos + HEADER_SIZE
        data_start = tenant_start + tlen
        end = data_start + dlen
        if end > size:
            break
        if crc32(view[pos + 12 : end], crc32(view[pos : pos + 8])) != crc:
            raise BadFrame("checksum mismatch")
        if found != offset:
            raise BadFrame(f"offset {found}, expected {offset}")
        out.append((found, buf[tenant_start:data_start], digest, buf[data_start:end]))
        pos = end
        offset += 1
    return out, pos


def frame_size(buf: bytes, pos: int) -> int:
    """Bytes the frame starting at ``pos`` takes (its header must be in ``buf``)."""
    _, _, tlen, dlen = _PREFIX.unpack_from(buf, pos)
    return int(HEADER_SIZE + tlen + dlen)
