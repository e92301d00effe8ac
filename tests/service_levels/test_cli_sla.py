"""`vigile sla due` and `vigile tenant days` as an operator runs them."""

from __future__ import annotations

from collections.abc import Iterator

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


def due(tenant: str, level: int, at: str) -> str:
    return invoke("sla", "due", "--tenant", tenant, "--level", str(level), "--at", at).strip()


@pytest.fixture
def tenants() -> None:
    invoke("tenant", "create", "acme", "--name", "ACME", "--24x7", "--go-live", "2026-01-05")
    invoke(
        "tenant",
        "create",
        "metz",
        "--name",
        "Metz",
        "--holidays",
        "FR-57",
        "--hours",
        "mon-fri 08:30-12:00,13:30-18:00",
        "--go-live",
        "2026-03-02",
    )
    invoke(
        "tenant",
        "create",
        "nyc",
        "--name",
        "NYC",
        "--timezone",
        "America/New_York",
        "--holidays",
        "US",
        "--go-live",
        "2026-01-05",
    )
    invoke("tenant", "create", "later", "--name", "Later")


def test_deadlines_print_with_the_tenant_offset(tenants: None) -> None:
    # Friday evening, level 3: 30 min Friday, then Monday 09:00 + 2 h 30 (winter: +01:00).
    assert due("acme", 3, "2026-12-18T17:30:00+01:00") == "2026-12-21T11:30:00+01:00"
    # The same instant given in UTC, with Z.
    assert due("acme", 3, "2026-12-18T16:30:00Z") == "2026-12-21T11:30:00+01:00"
    # Summer time (+02:00) after the March change: Friday 27 March 17:00 → Monday 30 11:00.
    assert due("acme", 3, "2026-03-27T17:00:00+01:00") == "2026-03-30T11:00:00+02:00"
    # 24/7, level 4 at night: 1 h 30 of wall clock, across the October change (fold).
    assert due("acme", 4, "2026-10-25T01:30:00+02:00") == "2026-10-25T02:00:00+01:00"
    # Holidays: Christmas eve afternoon, level 2 (5 h) → 2 h Thursday, 25th off, 3 h Monday.
    assert due("acme", 2, "2026-12-24T16:00:00+01:00") == "2026-12-28T12:00:00+01:00"
    # Moselle: Good Friday off, then Easter Monday; split hours (2 h + 3 h 30 + 2 h 30).
    assert due("metz", 1, "2026-04-02T16:00:00+02:00") == "2026-04-07T16:00:00+02:00"
    # New York: its own offset.
    assert due("nyc", 4, "2026-11-26T12:00:00-05:00") == "2026-11-27T10:30:00-05:00"


def test_no_deadline_before_go_live(tenants: None) -> None:
    assert due("metz", 4, "2026-03-01T10:00:00+01:00") == "none: before go-live"
    assert due("metz", 4, "2026-03-02T10:00:00+01:00") == "2026-03-02T11:30:00+01:00"
    assert due("later", 4, "2026-03-02T10:00:00+01:00") == "none: no go-live date"


def test_naive_or_invalid_input_is_refused(tenants: None) -> None:
    result = runner.invoke(
        app, ["sla", "due", "--tenant", "acme", "--level", "4", "--at", "2026-12-18T17:30:00"]
    )
    assert result.exit_code == 2
    assert "no UTC offset" in result.output and "+01:00" in result.output
    result = runner.invoke(
        app, ["sla", "due", "--tenant", "acme", "--level", "9", "--at", "2026-12-18T17:30:00Z"]
    )
    assert result.exit_code == 2 and "level" in result.output
    result = runner.invoke(
        app, ["sla", "due", "--tenant", "nope", "--level", "4", "--at", "2026-12-18T17:30:00Z"]
    )
    assert result.exit_code == 1 and "not found" in result.output


def test_extra_days_change_deadlines(tenants: None) -> None:
    assert due("acme", 3, "2026-12-18T17:30:00+01:00") == "2026-12-21T11:30:00+01:00"
    invoke("tenant", "days", "add", "acme", "2026-12-21", "2026-12-22", "--note", "closure")
    assert due("acme", 3, "2026-12-18T17:30:00+01:00") == "2026-12-23T11:30:00+01:00"
    invoke("tenant", "days", "add", "acme", "2026-12-19", "--open")  # a Saturday
    assert due("acme", 3, "2026-12-18T17:30:00+01:00") == "2026-12-19T11:30:00+01:00"
    listed = invoke("tenant", "days", "list", "acme", "--format", "json")
    assert '"2026-12-19"' in listed and '"closure"' in listed
    invoke("tenant", "days", "remove", "acme", "2026-12-19", "2026-12-21", "2026-12-22")
    assert due("acme", 3, "2026-12-18T17:30:00+01:00") == "2026-12-21T11:30:00+01:00"
