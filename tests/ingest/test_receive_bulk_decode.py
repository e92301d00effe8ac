"""Splitting a bulk body into lines with readlines gives what ``split`` gives."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vigile.ingest import bulk

CHECK = settings(max_examples=500, deadline=None, suppress_health_check=list(HealthCheck))
PIECES = st.sampled_from(
    [b"\n", b"\r\n", b" ", b"\t", b"\x0b", b"\x0c", b"\r", b"{}", b"x", b"\xff"]
)


@CHECK
@given(body=st.lists(PIECES | st.binary(max_size=6), max_size=30).map(b"".join))
def test_lines_are_the_non_blank_lines_split_gives(body: bytes) -> None:
    expected = [line for line in body.split(b"\n") if line and not line.isspace()]
    assert bulk._lines(body) == expected


def test_last_line_without_newline_keeps_its_last_byte() -> None:
    assert bulk._lines(b'{"create":{}}\n{"a":1}') == [b'{"create":{}}', b'{"a":1}']
    assert bulk._lines(b"a\n \n\n\tb \r\n") == [b"a", b"\tb \r"]
