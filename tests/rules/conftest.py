"""Fixtures of the rule set tests: rule folders and a pipeline fed through the spool."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import orjson

from vigile.config import Settings
from vigile.db import make_sessionmaker, transaction
from vigile.ingest import service as ingest
from vigile.ingest.intake import Incoming
from vigile.scope import local_operator
from vigile.spool.api import SpoolBackend

RULE = """title: {title}
id: {rule_id}
status: test
level: {level}
logsource:
    product: windows
    category: process_creation
detection:
    selection:
        Image|endswith: '\\\\{image}'
    condition: selection
"""
WHOAMI_ID = "11111111-2222-3333-4444-555555555555"
NET_ID = "22222222-3333-4444-5555-666666666666"


def write_rules(folder: Path, level: str = "high") -> Path:
    """Two rules: whoami.exe (``level``) and net.exe (medium)."""
    (folder / "proc").mkdir(parents=True, exist_ok=True)
    whoami = RULE.format(title="Whoami", rule_id=WHOAMI_ID, level=level, image="whoami.exe")
    net = RULE.format(title="Net", rule_id=NET_ID, level="medium", image="net.exe")
    (folder / "proc" / "whoami.yml").write_text(whoami, encoding="utf-8")
    (folder / "net.yml").write_text(net, encoding="utf-8")
    return folder


def sysmon(n: int, image: str) -> bytes:
    return orjson.dumps(
        {
            "EventID": 1,
            "Channel": "Microsoft-Windows-Sysmon/Operational",
            "Image": f"C:\\Windows\\System32\\{image}",
            "CommandLine": f"{image} #{n}",
            "Computer": "ws01",
            "UtcTime": "2026-11-26 08:00:00.000",
        }
    )


def send(
    settings: Settings,
    spool: SpoolBackend,
    tenant_id: int,
    lines: list[bytes],
    clock: Callable[[], datetime],
) -> None:
    """Spool events for a tenant as a receiver does."""
    from vigile.db import make_engine

    engine = make_engine(settings.effective_database_url)
    with transaction(make_sessionmaker(engine)) as session:
        ingest.accept(
            session,
            local_operator("test"),
            tenant_id,
            spool,
            [Incoming(line) for line in lines],
            receiver="native",
            clock=clock,
        )
    engine.dispose()
