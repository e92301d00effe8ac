"""Settings come from VIGILE_* variables, with embedded defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from vigile.config import Settings


def test_defaults_are_embedded(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("VIGILE_DATABASE_URL", "VIGILE_DATA_DIR", "VIGILE_RULES", "VIGILE_PORT"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert settings.effective_database_url.startswith("sqlite:///")
    assert settings.effective_database_url.endswith("/var/vigile.db")
    assert (settings.host, settings.port) == ("127.0.0.1", 8080)
    assert settings.effective_rules == [Path("var") / "rules"]


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("VIGILE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("VIGILE_PORT", "9090")
    monkeypatch.setenv("VIGILE_RULES", f"{tmp_path}/a:{tmp_path}/b")
    monkeypatch.setenv("VIGILE_CORPUS", "/somewhere/corpus")
    settings = Settings()
    assert settings.port == 9090
    assert settings.effective_database_url == f"sqlite:///{tmp_path.resolve()}/vigile.db"
    assert settings.rules == [tmp_path / "a", tmp_path / "b"]
    assert settings.corpus == Path("/somewhere/corpus")


def test_invalid_values_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIGILE_PORT", "70000")
    with pytest.raises(ValueError, match="port"):
        Settings()
