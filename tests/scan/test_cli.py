"""`vigile scan`: exit codes, output formats, corrupt files, worker-count independence."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from vigile.cli import app

RULE = """
title: Whoami Execution
id: 11111111-2222-3333-4444-555555555555
level: high
logsource: {product: windows, category: process_creation}
detection:
    sel:
        Image|endswith: '\\whoami.exe'
    condition: sel
"""
LOW_RULE = RULE.replace("level: high", "level: low").replace("11111111", "99999999")

EVENTS = [
    {
        "Channel": "Microsoft-Windows-Sysmon/Operational",
        "EventID": 1,
        "EventRecordID": 7,
        "Computer": "WS1",
        "SystemTime": "2024-01-02T03:04:05.123456Z",
        "Image": "C:\\Windows\\System32\\WHOAMI.exe",
    },
    {
        "Channel": "Microsoft-Windows-Sysmon/Operational",
        "EventID": 1,
        "EventRecordID": 8,
        "Image": "C:\\Windows\\notepad.exe",
    },
]


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "high.yml").write_text(RULE)
    (rules / "low.yml").write_text(LOW_RULE)
    logs = tmp_path / "logs"
    (logs / "sub").mkdir(parents=True)
    (logs / "sub" / "a.jsonl").write_bytes(b"\n".join(orjson.dumps(e) for e in EVENTS) + b"\n")
    monkeypatch.setenv("VIGILE_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("VIGILE_RULES", str(rules))
    return rules, logs


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["scan", *args])
    return result.exit_code, result.stdout, result.stderr


def test_jsonl_output(setup: tuple[Path, Path]) -> None:
    _, logs = setup
    code, out, err = run("--format", "jsonl", str(logs))
    assert code == 0, err
    rows = [json.loads(line) for line in out.splitlines()]
    assert {r["rule_id"] for r in rows} == {
        "11111111-2222-3333-4444-555555555555",
        "99999999-2222-3333-4444-555555555555",
    }
    row = rows[0]
    assert row["timestamp"] == "2024-01-02T03:04:05.123456Z"
    assert (row["record_id"], row["event_id"], row["computer"]) == (7, 1, "WS1")
    assert row["file"].endswith("a.jsonl")
    assert "2 loaded" in err


def test_min_level_and_csv(setup: tuple[Path, Path], tmp_path: Path) -> None:
    _, logs = setup
    target = tmp_path / "out.csv"
    code, _, _ = run("--format", "csv", "--min-level", "high", "-o", str(target), str(logs))
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(target.read_text())))
    assert [r["rule_title"] for r in rows] == ["Whoami Execution"]
    assert rows[0]["level"] == "high" and rows[0]["channel"].startswith("Microsoft-Windows-Sysmon")


def test_table_and_no_detection_exit_zero(setup: tuple[Path, Path], tmp_path: Path) -> None:
    _, logs = setup
    code, out, _ = run(str(logs))
    assert code == 0 and "Whoami Execution" in out
    quiet = tmp_path / "quiet.jsonl"
    quiet.write_bytes(orjson.dumps(EVENTS[1]) + b"\n")
    code, out, _ = run("--format", "jsonl", str(quiet))
    assert code == 0 and out == ""


def test_missing_input_is_usage_error(setup: tuple[Path, Path], tmp_path: Path) -> None:
    code, _, err = run(str(tmp_path / "nope.evtx"))
    assert code == 2 and "nope.evtx" in err


def test_no_usable_rule_is_usage_error(setup: tuple[Path, Path], tmp_path: Path) -> None:
    _, logs = setup
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "bad.yml").write_text("title: no detection\nlogsource: {product: windows}\n")
    code, _, err = run("--rules", str(broken), str(logs))
    assert code == 2 and "no usable rules in" in err and "1 failed" in err


def test_corrupt_file_skipped_rest_scanned(setup: tuple[Path, Path]) -> None:
    _, logs = setup
    (logs / "broken.evtx").write_bytes(b"ElfFile\x00" + b"\xff" * 4000)
    (logs / "garbage.jsonl").write_text("this is not json\n")
    code, out, err = run("--format", "jsonl", str(logs))
    assert code == 1
    assert "broken.evtx" in err and "garbage.jsonl" in err
    assert len(out.splitlines()) == 2  # a.jsonl still scanned


def test_evtx_same_results_any_worker_count(setup: tuple[Path, Path], corpus_dir: Path) -> None:
    _, logs = setup
    samples = sorted((corpus_dir / "evtx").rglob("*.evtx"))[:6]
    for i, sample in enumerate(samples):
        shutil.copy(sample, logs / f"s{i}.evtx")
    rules = corpus_dir / "sigma" / "rules" / "windows" / "process_creation"
    outputs = [
        run("--rules", str(rules), "--format", "jsonl", "--workers", w, str(logs))
        for w in ("1", "2")
    ]
    assert outputs[0][0] == outputs[1][0] == 0
    assert outputs[0][1] == outputs[1][1]
