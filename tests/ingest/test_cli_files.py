"""`vigile ingest FILE…` and `vigile worker`: files through the spool, then the worker alone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from tests.holders import held_by_another_process
from tests.ingest.test_worker import RULE, sysmon
from vigile.alerts.models import Alert
from vigile.cli import app as cli
from vigile.config import Settings, get_settings
from vigile.db import make_engine, make_sessionmaker, transaction
from vigile.events.duckdb_store import DuckDbEventStore, default_path
from vigile.ingest.models import QuarantinedRecord
from vigile.ingest.parsers.evtx import iter_evtx_file
from vigile.ingest.runtime import spool_dir
from vigile.scope import local_operator
from vigile.tenants import service as tenants
from vigile.tenants.schemas import TenantCreate

EVTX = Path("hayabusa-sample-evtx/EVTX-to-MITRE-Attack/TA0008-Lateral Movement")


@pytest.fixture
def cli_env(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Settings]:
    """The CLI on the test database and data dir, one tenant, one rule, one detection process."""
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "whoami.yml").write_text(RULE)
    monkeypatch.setenv("VIGILE_DATABASE_URL", settings.effective_database_url)
    monkeypatch.setenv("VIGILE_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("VIGILE_RULES", str(rules))
    monkeypatch.setenv("VIGILE_WORKER_PROCESSES", "1")
    get_settings.cache_clear()
    engine = make_engine(settings.effective_database_url)
    with transaction(make_sessionmaker(engine)) as session:
        tenants.create_tenant(session, local_operator("test"), TenantCreate(slug="acme", name="A"))
    engine.dispose()
    yield settings
    get_settings.cache_clear()


def _files(tmp_path: Path, corpus_dir: Path) -> tuple[Path, Path, int]:
    """A corpus EVTX file and a JSON-lines file (3 whoami events, one malformed line)."""
    evtx = next((corpus_dir / "evtx" / EVTX).rglob("*.evtx"))
    lines = tmp_path / "sysmon.jsonl"
    body = [orjson.dumps(sysmon(n)) for n in range(3)]
    lines.write_bytes(b"\n".join([body[0], b"{not json", body[1], b"", body[2]]) + b"\n")
    return evtx, lines, sum(1 for _ in iter_evtx_file(evtx))


def _counts(settings: Settings) -> tuple[int, int, list[str]]:
    """Events stored, alerts, quarantine reasons."""
    store = DuckDbEventStore(default_path(settings), read_only=True)
    stored = store.count()
    store.close()
    engine = make_engine(settings.effective_database_url)
    with make_sessionmaker(engine)() as session:
        alerts = session.scalar(select(func.count()).select_from(Alert)) or 0
        reasons = list(session.scalars(select(QuarantinedRecord.reason)))
    engine.dispose()
    return stored, alerts, reasons


def test_files_are_spooled_checked_and_drained_into_store_and_alerts(
    cli_env: Settings, tmp_path: Path, corpus_dir: Path
) -> None:
    evtx, lines, in_evtx = _files(tmp_path, corpus_dir)
    runner = CliRunner()
    done = runner.invoke(cli, ["ingest", "--tenant", "acme", "--drain", str(evtx), str(lines)])
    assert done.exit_code == 0, done.output
    assert f"{in_evtx + 3} events spooled, 1 quarantined" in done.output
    assert f"{in_evtx + 3} events detected and stored" in done.output
    stored, alerts, reasons = _counts(cli_env)
    assert stored == in_evtx + 3
    assert alerts >= 1  # the whoami events (deduplicated into their alerts)
    assert len(reasons) == 1 and reasons[0].startswith("invalid JSON")
    listed = runner.invoke(cli, ["quarantine", "list", "--tenant", "acme"])
    assert listed.exit_code == 0 and "invalid JSON" in listed.output

    again = runner.invoke(cli, ["ingest", "--tenant", "acme", "--drain", str(lines)])
    assert again.exit_code == 0, again.output
    assert _counts(cli_env)[:2] == (stored, alerts)  # the same events again: nothing new


def test_the_worker_alone_drains_what_was_spooled(
    cli_env: Settings, tmp_path: Path, corpus_dir: Path
) -> None:
    _, lines, _ = _files(tmp_path, corpus_dir)
    runner = CliRunner()
    spooled = runner.invoke(cli, ["ingest", "--tenant", "acme", str(lines)])
    assert spooled.exit_code == 0, spooled.output
    assert not default_path(cli_env).exists()  # spooled, not processed
    drained = runner.invoke(cli, ["worker", "--drain"])
    assert drained.exit_code == 0, drained.output
    assert "worker: 1 rules" in drained.output and "3 events processed" in drained.output
    stored, alerts, _ = _counts(cli_env)
    assert stored == 3 and alerts >= 1


def test_refusals_say_why(cli_env: Settings, tmp_path: Path, corpus_dir: Path) -> None:
    _, lines, _ = _files(tmp_path, corpus_dir)
    runner = CliRunner()
    unknown = runner.invoke(cli, ["ingest", "--tenant", "nobody", str(lines)])
    assert unknown.exit_code != 0 and "not found" in unknown.output
    missing = runner.invoke(cli, ["ingest", "--tenant", "acme", str(tmp_path / "none.jsonl")])
    assert missing.exit_code != 0 and "not a file" in missing.output

    opener = "from vigile.spool.local import Spool; s = Spool(sys.argv[1])"
    with held_by_another_process(opener, spool_dir(cli_env)):
        worker = runner.invoke(cli, ["worker", "--drain"])
        ingest = runner.invoke(cli, ["ingest", "--tenant", "acme", str(lines)])
    assert worker.exit_code != 0 and "open in another process" in worker.output
    assert ingest.exit_code != 0 and "POST /api/v1/ingest" in ingest.output
