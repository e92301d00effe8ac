"""Planning a scan: the same files, units, order and early errors as a ``Path.rglob`` walk
that opens every file, without opening the ``.evtx`` ones."""

from __future__ import annotations

import os
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from vigile.scan.readers import EVTX_MAGIC, InputError, WorkUnit, discover, file_kind
from vigile.scan.service import ScanError, make_batches, plan, plan_sized, utc_iso


def _inputs(root: Path) -> None:
    for rel, data in (
        ("b/x.evtx", EVTX_MAGIC + b"\0" * 100),
        ("a/y.EVTX", b"not really evtx"),  # the suffix decides: a worker reports it
        ("a-b/z.jsonl", b'{"a": 1}\n' * 10),
        ("a/magic.json", EVTX_MAGIC + b"\0" * 10),  # the magic decides: EVTX
        ("a/.hidden.ndjson", b"{}\n"),
        ("a/notes.txt", b"ignored in folders"),
        (".evtx", b"no suffix: ignored"),
    ):
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def _old_plan(inputs: list[Path], chunk: int) -> tuple[list[WorkUnit], list[ScanError]]:
    """What planning did before: rglob, then open every file for its magic."""
    files: list[Path] = []
    for item in inputs:
        if item.is_dir():
            suffixes = (".evtx", ".json", ".jsonl", ".ndjson")
            found = [p for p in item.rglob("*") if p.is_file() and p.suffix.lower() in suffixes]
            files.extend(sorted(found))
        else:
            files.append(item)
    units: list[WorkUnit] = []
    errors: list[ScanError] = []
    for path in files:
        try:
            kind = file_kind(path)
        except InputError as exc:
            errors.append(ScanError(str(path), str(exc)))
            continue
        if kind is None:
            errors.append(ScanError(str(path), f"{path}: neither an EVTX nor a JSON-lines file"))
        elif kind == "evtx":
            units.append(WorkUnit(str(path), kind))
        else:
            size = path.stat().st_size
            units += [
                WorkUnit(str(path), kind, s, min(s + chunk, size))
                for s in range(0, max(size, 1), chunk)
            ]
    return units, errors


def test_plan_equals_walk_that_opens_every_file(tmp_path: Path) -> None:
    _inputs(tmp_path / "in")
    (tmp_path / "single.log").write_text("{}\n")
    inputs = [tmp_path / "in", tmp_path / "single.log", tmp_path / "in" / "a-b" / "z.jsonl"]
    assert plan(inputs) == _old_plan(inputs, 16 * 1024 * 1024)
    units, sizes, _ = plan_sized(inputs)
    root = str(tmp_path / "in")
    assert [(u.path[len(root) + 1 :], u.kind) for u in units][:5] == [
        ("a/.hidden.ndjson", "jsonl"),  # by path components: "a" before "a-b"
        ("a/magic.json", "evtx"),
        ("a/y.EVTX", "evtx"),
        ("a-b/z.jsonl", "jsonl"),
        ("b/x.evtx", "evtx"),
    ]
    assert sizes == [os.path.getsize(u.path) for u in units]
    assert [str(p) for p in discover([tmp_path / "in"])] == [u.path for u in units[:5]]


def test_relative_inputs_keep_their_spelling(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _inputs(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert plan([Path(".")]) == _old_plan([Path(".")], 16 * 1024 * 1024)
    assert plan([Path("b/")])[0] == [WorkUnit("b/x.evtx", "evtx")]


def test_missing_input(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="nope"):
        plan([tmp_path / "nope"])


def _unreadable_evtx_reported_early(root: Path) -> None:
    _inputs(root)
    locked = root / "b" / "x.evtx"
    locked.chmod(0)
    try:
        units, errors = plan([root])
        assert errors == _old_plan([root], 16 * 1024 * 1024)[1]
        assert errors and "cannot read" in errors[0].message
        assert all(u.path != str(locked) for u in units)
    finally:
        locked.chmod(0o644)


def test_unreadable_evtx_reported_early(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        _unreadable_evtx_reported_early(tmp_path)
        return
    # Root reads every file: the check runs in a child that gives up root (as "nobody"),
    # in a world-accessible folder of its own.
    root = Path(tempfile.mkdtemp(prefix="vigile-plan-"))
    root.chmod(0o777)
    pid = os.fork()
    if pid == 0:  # the child: report through the exit code only
        code = 1
        try:
            os.setgid(65534)
            os.setuid(65534)
            _unreadable_evtx_reported_early(root / "in")
            code = 0
        finally:
            os._exit(code)
    try:
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_batches_from_known_sizes(tmp_path: Path) -> None:
    _inputs(tmp_path)
    units, sizes, _ = plan_sized([tmp_path])
    assert make_batches(units, 2, sizes) == make_batches(units, 2)


def _plain_utc_iso(value: str) -> str | None:
    """utc_iso of one value by the general conversion (no canonical-form shortcut)."""
    try:
        dt = datetime.fromisoformat(value.replace(" ", "T", 1))
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC).isoformat().replace("+00:00", "Z")


@pytest.mark.parametrize(
    "value",
    [
        "2019-04-27T15:57:25.868863Z",  # the EVTX form: returned as is
        "2019-04-27T15:57:25.000000Z",  # zero microseconds: isoformat drops them
        "2019-04-27T15:57:25.100000Z",
        "2019-02-30T15:57:25.868863Z",  # canonical-looking but invalid: not a time
        "2019-04-27T25:57:25.868863Z",
        "2019-04-27 15:57:25.868863",  # no zone: UTC
        "2019-04-27T17:57:25.868863+02:00",  # another offset: converted
        "2019-04-27T15:57:25Z",
        "not a time",
    ],
)
def test_utc_iso_shortcut_equals_the_conversion(value: str) -> None:
    assert utc_iso({"SystemTime": value}) == _plain_utc_iso(value)
