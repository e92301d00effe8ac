"""`vigile committee …` as an operator uses it: record, list, report (PDF), send, validate."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

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


def invoke(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result.output


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_record_report_send_validate(tmp_path: Path) -> None:
    invoke("tenant", "create", "acme", "--name", "ACME Industries", "--go-live", "2026-01-05")
    invoke("committee", "settings", "--tenant", "acme", "--recurrence", "monthly")
    invoke(
        "committee", "record", "--tenant", "acme", "--date", "2026-12-18",
        "--participant", "Alice Martin|ACME Industries|RSSI",
        "--participant", "Bruno Petit|Vigile SOC|Analyste",
        "--decision", "Raccorder le pare-feu",
        "--action", "Déployer l'agent EDR|ACME|2027-01-31",
    )  # fmt: skip
    shown = json.loads(invoke("committee", "show", "--tenant", "acme", "--date", "2026-12-18"))
    assert (shown["due_on"], shown["status"]) == ("2027-01-05", "draft")
    listed = json.loads(invoke("committee", "list", "--tenant", "acme", "--format", "json"))
    assert [c["held_on"] for c in listed] == ["2026-12-18"]
    pdf, html = tmp_path / "cr.pdf", tmp_path / "cr.html"
    invoke(
        "committee", "report", "--tenant", "acme", "--date", "2026-12-18", "--lang", "fr",
        "--pdf", str(pdf), "--html", str(html),
    )  # fmt: skip
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Compte-rendu" in text and "Alice Martin" in text and "Plan d'action" in text
    assert "Operational committee report" in invoke(
        "committee", "report", "--tenant", "acme", "--date", "2026-12-18", "--lang", "en"
    )
    invoke("committee", "validate", "--tenant", "acme", "--date", "2026-12-18", code=1)
    invoke("committee", "send", "--tenant", "acme", "--date", "2026-12-18")
    invoke("committee", "validate", "--tenant", "acme", "--date", "2026-12-18", "--note", "mail")
    actions = json.loads(invoke("committee", "actions", "--tenant", "acme", "--format", "json"))
    assert [a["status"] for a in actions] == ["open"]
    assert "done" in invoke("committee", "action", str(actions[0]["id"]), "--status", "done")
    assert "open" not in invoke("committee", "actions", "--tenant", "acme", "--open")
