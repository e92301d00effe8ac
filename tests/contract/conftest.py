"""CLI fixtures shared by the contract, assets and CSIRT tests."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.web.conftest import client, world  # noqa: F401 - API fixtures for test_api
from vigile.cli import app
from vigile.config import Settings, get_settings

runner = CliRunner()


@pytest.fixture
def cli(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The `vigile` CLI on the test database, with tenant ``acme``."""
    monkeypatch.setenv("VIGILE_DATABASE_URL", settings.effective_database_url)
    monkeypatch.setenv("VIGILE_DATA_DIR", str(settings.data_dir))
    get_settings.cache_clear()
    invoke("tenant", "create", "acme", "--name", "ACME")
    yield
    get_settings.cache_clear()


def invoke(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result.output


def invoke_json(*args: str) -> Any:
    return json.loads(invoke(*args, "--format", "json"))
