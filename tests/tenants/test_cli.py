"""`vigile tenant …` and `vigile token …` from the command line, as an operator uses them."""

from __future__ import annotations

import json
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


def test_create_then_show() -> None:
    invoke(
        "tenant",
        "create",
        "acme",
        "--name",
        "ACME",
        "--timezone",
        "Europe/Paris",
        "--holidays",
        "FR",
        "--24x7",
        "--go-live",
        "2026-01-05",
    )
    shown = json.loads(invoke("tenant", "show", "acme", "--format", "json"))
    assert shown["name"] == "ACME" and shown["timezone"] == "Europe/Paris"
    assert shown["holidays"] == "FR" and shown["twenty_four_seven"] is True
    assert shown["go_live"] == "2026-01-05" and shown["hours"] == "mon-fri 09:00-18:00"
    table = invoke("tenant", "show", "acme")
    assert "2026-01-05" in table and "Europe/Paris" in table


def test_update_changes_only_what_is_given() -> None:
    invoke("tenant", "create", "acme", "--name", "ACME", "--24x7", "--go-live", "2026-01-05")
    invoke(
        "tenant",
        "update",
        "acme",
        "--business-hours",
        "--holidays",
        "fr-57",
        "--hours",
        "mon-fri 08:30-12:00,13:30-18:00; sat 09:00-12:00",
    )
    shown = json.loads(invoke("tenant", "show", "acme", "--format", "json"))
    assert shown["twenty_four_seven"] is False and shown["holidays"] == "FR-57"
    assert shown["hours"] == "mon-fri 08:30-12:00,13:30-18:00; sat 09:00-12:00"
    assert shown["go_live"] == "2026-01-05" and shown["name"] == "ACME"
    invoke("tenant", "update", "acme", "--go-live", "none")
    assert json.loads(invoke("tenant", "show", "acme", "--format", "json"))["go_live"] is None


def test_list_shows_every_tenant() -> None:
    invoke("tenant", "create", "acme", "--name", "ACME")
    invoke("tenant", "create", "globex", "--name", "Globex")
    listed = json.loads(invoke("tenant", "list", "--format", "json"))
    assert [t["slug"] for t in listed] == ["acme", "globex"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["tenant", "create", "Bad_Slug", "--name", "x"], "slug"),
        (["tenant", "create", "acme", "--name", "x", "--timezone", "Mars/Base"], "Mars/Base"),
        (["tenant", "create", "acme", "--name", "x", "--hours", "mon-fri 9-18"], "expected"),
        (["tenant", "create", "acme", "--name", "x", "--go-live", "2026-13-01"], "YYYY-MM-DD"),
        (["tenant", "show", "nobody"], "not found"),
    ],
)
def test_invalid_input_is_a_clear_error(args: list[str], message: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output


def test_token_create_prints_the_secret_alone_on_the_last_line() -> None:
    invoke("tenant", "create", "acme", "--name", "ACME")
    output = invoke("token", "create", "--tenant", "acme", "--kind", "ingest")
    secret = output.strip().splitlines()[-1]
    assert secret.startswith("vgi_") and " " not in secret and len(secret) > 40
    listed = invoke("token", "list")
    assert secret not in listed and secret[:8] in listed
    invoke("token", "revoke", secret[:12])
    audit_list = invoke("audit", "list")
    assert "revoked" in audit_list or "token.revoke" in audit_list


def test_user_create_with_generated_password() -> None:
    invoke("tenant", "create", "acme", "--name", "ACME")
    output = invoke("user", "create", "alice", "--role", "client", "--tenant", "acme")
    password = output.strip().splitlines()[-1]
    assert len(password) >= 12
    assert "alice" in invoke("user", "list")
