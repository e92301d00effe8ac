"""JSON-lines ranges: every non-blank line read exactly once, whatever the range size (lines
longer than a range, blank lines, no final line end)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vigile.scan.readers import InputError, read_jsonl, sized_units

_LINE = st.one_of(
    st.integers(0, 300).map(lambda n: b'{"v":"' + b"x" * n + b'"}'),
    st.sampled_from([b"", b"   ", b"\t\r", b'{"w":1}\r']),
)


@settings(max_examples=150, deadline=None)
@given(
    lines=st.lists(_LINE, min_size=1, max_size=40),
    final_newline=st.booleans(),
    chunk=st.integers(1, 600),
)
def test_ranges_read_each_line_once(
    tmp_path_factory: pytest.TempPathFactory,
    lines: list[bytes],
    final_newline: bool,
    chunk: int,
) -> None:
    lines = [b'{"first":true}', *lines]
    path = tmp_path_factory.mktemp("jsonl") / "events.jsonl"
    path.write_bytes(b"\n".join(lines) + (b"\n" if final_newline else b""))
    expected = [line for line in lines if line.strip()]
    units, _ = sized_units(str(path), chunk)
    got = [line.removesuffix(b"\n") for unit in units for line in read_jsonl(unit)]
    assert got == expected


def test_first_line_not_json_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "notes.jsonl"
    path.write_bytes(b"\n  \nhello\n{}\n")
    (unit,), _ = sized_units(str(path))
    with pytest.raises(InputError, match=r"notes\.jsonl: not a JSON-lines file"):
        list(read_jsonl(unit))
