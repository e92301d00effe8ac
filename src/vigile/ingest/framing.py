"""Syslog over TCP: RFC 6587 framing, both kinds on the same connection (pure).

A frame that starts with ``LEN SP <`` is octet-counted (RFC 5425/6587 §3.4.1); anything else
ends at LF (non-transparent framing, §3.4.2; a trailing CR or NUL is dropped). Frames longer
than ``max_bytes`` are cut to it and flagged, and the excess is skipped, so one huge message
can neither exhaust memory nor desynchronise the stream.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_COUNT = re.compile(rb"([1-9][0-9]{0,8}) (?=<)")
_MAX_PREFIX = 10  # nine digits and a space


@dataclass(frozen=True, slots=True)
class Frame:
    data: bytes
    truncated: bool = False


class Framer:
    """Incremental decoder: :meth:`feed` bytes as they arrive, get whole frames back."""

    def __init__(self, max_bytes: int = 64 * 1024) -> None:
        self.max_bytes = max_bytes
        self._buf = bytearray()
        self._skip = 0  # bytes of an oversized frame still to discard
        self._skip_to_lf = False

    def feed(self, data: bytes) -> list[Frame]:
        self._buf += data
        out: list[Frame] = []
        while self._buf:
            if not self._drop_excess():
                break
            if not self._buf:
                break
            frame = self._next()
            if frame is None:
                break
            if frame.data.strip(b"\r\n\x00 "):
                out.append(frame)
        return out

    def _drop_excess(self) -> bool:
        """Discard the rest of an oversized frame; False when more input is needed."""
        if self._skip:
            n = min(self._skip, len(self._buf))
            del self._buf[:n]
            self._skip -= n
            return self._skip == 0
        if self._skip_to_lf:
            end = self._buf.find(b"\n")
            if end < 0:
                self._buf.clear()
                return False
            del self._buf[: end + 1]
            self._skip_to_lf = False
        return True

    def _next(self) -> Frame | None:
        head = bytes(self._buf[: _MAX_PREFIX + 1])
        counted = _COUNT.match(head)
        if counted is not None:
            length = int(counted[1])
            start = counted.end()
            if length > self.max_bytes:
                if len(self._buf) < start + self.max_bytes:
                    return None
                data = bytes(self._buf[start : start + self.max_bytes])
                consumed = min(len(self._buf), start + length)
                self._skip = start + length - consumed
                del self._buf[:consumed]
                return Frame(data, truncated=True)
            if len(self._buf) < start + length:
                return None
            data = bytes(self._buf[start : start + length])
            del self._buf[: start + length]
            return Frame(data.rstrip(b"\n"))
        end = self._buf.find(b"\n")
        if end < 0:
            if len(self._buf) > self.max_bytes:
                data = bytes(self._buf[: self.max_bytes])
                self._buf.clear()
                self._skip_to_lf = True
                return Frame(data, truncated=True)
            return None
        data = bytes(self._buf[:end]).rstrip(b"\r\x00")
        del self._buf[: end + 1]
        if len(data) > self.max_bytes:
            return Frame(data[: self.max_bytes], truncated=True)
        return Frame(data)

    def flush(self) -> list[Frame]:
        """What is left at the end of the stream (an unterminated last line)."""
        rest = bytes(self._buf).rstrip(b"\r\n\x00")
        self._buf.clear()
        if self._skip or self._skip_to_lf or not rest.strip():
            return []
        return [Frame(rest[: self.max_bytes], truncated=len(rest) > self.max_bytes)]
