"""`vigile alerts …` and `vigile sla report` as an operator runs them (real clock)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from typer.testing import CliRunner

from vigile.cli import app
from vigile.config import Settings, get_settings

runner = CliRunner()


@pytest.fixture(autouse=True)
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("VIGILE_DATABASE_URL", settings.effective_database_url)
    monkeypatch.setenv("VIGILE_DATA_DIR", str(settings.data_dir))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def invoke(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def raise_alert(*extra: str) -> dict[str, Any]:
    out = invoke("alerts", "raise", "--tenant", "acme", "--format", "json", *extra)
    (alert,) = json.loads(out)
    return dict(alert)


def listed(*extra: str) -> list[dict[str, Any]]:
    return list(json.loads(invoke("alerts", "list", "--format", "json", *extra)))


def test_raise_ack_close_and_report() -> None:
    # 24/7 tenant: level 4 is counted in wall-clock time, so the test needs no calendar.
    invoke("tenant", "create", "acme", "--name", "ACME", "--24x7", "--go-live", "2020-01-01")
    now = datetime.now(UTC)
    two_hours_ago = (now - timedelta(hours=2)).isoformat()
    event = '{"Computer": "DC01", "TargetUserName": "admin", "IpAddress": "192.0.2.7"}'
    late = raise_alert(
        "--rule-id",
        "r-late",
        "--title",
        "DCSync",
        "--level",
        "critical",
        "--event",
        event,
        "--at",
        two_hours_ago,
    )
    fresh = raise_alert("--rule-id", "r-fresh", "--title", "Whoami", "--level", "critical")
    assert late["deadline"] is not None and late["sla_state"] == "breached"
    assert late["assets"] == {"hosts": ["dc01"], "users": ["admin"], "ips": ["192.0.2.7"]}
    items = listed()
    assert {
        "id",
        "tenant",
        "rule_id",
        "level",
        "raised_at",
        "deadline",
        "sla_state",
        "state",
    } <= set(items[0])
    # By deadline: the late one first.
    assert [a["id"] for a in items] == [late["id"], fresh["id"]]
    assert [a["id"] for a in listed("--state", "new", "--sla-state", "running")] == [fresh["id"]]

    invoke("alerts", "ack", str(late["id"]))
    invoke("alerts", "ack", str(fresh["id"]))
    invoke("alerts", "close", str(fresh["id"]), "--verdict", "false_positive", "--comment", "test")
    by_id = {a["id"]: a for a in listed("--tenant", "acme")}
    assert by_id[late["id"]]["sla_state"] == "breached"
    assert by_id[late["id"]]["state"] == "acknowledged"
    assert by_id[fresh["id"]]["sla_state"] == "met"
    assert by_id[fresh["id"]]["verdict"] == "false_positive"

    day = now.date()
    period = [
        "--from",
        (day - timedelta(days=2)).isoformat(),
        "--to",
        (day + timedelta(days=1)).isoformat(),
    ]
    report = json.loads(invoke("sla", "report", "--tenant", "acme", *period, "--format", "json"))
    critical = report["levels"][0]
    assert critical["label"] == "Niveau 4 (critique)"
    assert (critical["alerts"], critical["acknowledged_on_time"], critical["breaches"]) == (2, 1, 1)
    assert 119 < critical["p90_ack_wall_minutes"] < 125
    table = invoke("sla", "report", "--tenant", "acme", *period)
    assert "Niveau 4 (critique)" in table and "dépassements" in table
    assert "Level 4 (critical)" in invoke(
        "sla", "report", "--tenant", "acme", *period, "--lang", "en"
    )


def test_exceptions_quality_and_watch() -> None:
    invoke("tenant", "create", "acme", "--name", "ACME", "--go-live", "2020-01-01")
    invoke(
        "alerts",
        "exceptions",
        "add",
        "--tenant",
        "acme",
        "--rule-id",
        "noisy",
        "--reason",
        "scanner",
    )
    result = runner.invoke(
        app,
        [
            "alerts",
            "raise",
            "--tenant",
            "acme",
            "--rule-id",
            "noisy",
            "--title",
            "Noisy",
            "--level",
            "low",
        ],
    )
    assert result.exit_code == 1 and "scanner" in result.output
    (exception,) = json.loads(invoke("alerts", "exceptions", "list", "--format", "json"))
    invoke("alerts", "exceptions", "revoke", str(exception["id"]), "--reason", "done")
    assert json.loads(invoke("alerts", "exceptions", "list", "--format", "json")) == []
    alert = raise_alert("--rule-id", "noisy", "--title", "Noisy", "--level", "low")
    invoke("alerts", "close", str(alert["id"]), "--verdict", "false_positive", "--comment", "fp")
    (row,) = json.loads(invoke("alerts", "quality", "--format", "json"))
    assert row["false_positive"] == 1 and row["rule_id"] == "noisy"
    assert "breached" in invoke("sla", "watch")


def test_naive_raise_time_and_bad_verdict_are_refused() -> None:
    invoke("tenant", "create", "acme", "--name", "ACME")
    result = runner.invoke(
        app,
        [
            "alerts",
            "raise",
            "--tenant",
            "acme",
            "--rule-id",
            "r",
            "--title",
            "t",
            "--level",
            "low",
            "--at",
            "2026-01-01T10:00",
        ],
    )
    assert result.exit_code == 2 and "no UTC offset" in result.output
    alert = raise_alert("--rule-id", "r", "--title", "t", "--level", "low")
    assert alert["sla_state"] == "no_sla" and alert["sla"]["reason"] == "no go-live date"
    result = runner.invoke(
        app, ["alerts", "close", str(alert["id"]), "--verdict", "maybe", "--comment", "x"]
    )
    assert result.exit_code == 2
    result = runner.invoke(app, ["alerts", "ack", "999"])
    assert result.exit_code == 1 and "not found" in result.output
