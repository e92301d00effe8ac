"""Real shippers' clients against a real `vigile serve` on loopback: the opensearch-py bulk
helper, a HEC client with acknowledgements; and kill -9 in the middle of a sustained send."""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import httpx
import orjson
import pytest
from sqlalchemy import func, select

from tests.ingest.conftest import token_of
from tests.ingest.live import WHOAMI_RULE, LiveServer
from tests.web.conftest import build_world
from vigile.alerts.models import Alert
from vigile.config import Settings
from vigile.db import make_engine, make_sessionmaker
from vigile.events.duckdb_store import DuckDbEventStore, default_path
from vigile.ingest.models import DetectionMark

WHOAMI = "C:\\Windows\\System32\\whoami.exe"


def doc(n: int, image: str = WHOAMI) -> dict[str, object]:
    return {
        "EventID": 1,
        "Channel": "Microsoft-Windows-Sysmon/Operational",
        "Image": image,
        "CommandLine": f"whoami #{n}",
        "Computer": "ws01",
        "UtcTime": "2026-11-26 08:00:00.000",
    }


def wait_for(condition: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def marks(settings: Settings) -> int:
    engine = make_engine(settings.effective_database_url)
    try:
        with make_sessionmaker(engine)() as session:
            return session.scalar(select(func.count()).select_from(DetectionMark)) or 0
    finally:
        engine.dispose()


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    path = tmp_path / "rules" / "whoami.yml"
    path.parent.mkdir()
    path.write_text(WHOAMI_RULE, encoding="utf-8")
    return path


def test_opensearch_bulk_helper_and_hec_acks(
    lite_settings: Settings, clock: Callable[[], datetime], rules: Path
) -> None:
    opensearchpy = pytest.importorskip("opensearchpy")
    from opensearchpy import helpers

    world = build_world(lite_settings, clock)
    secret = token_of(world, "ingest-alpha")
    server = LiveServer(lite_settings.effective_database_url, lite_settings.data_dir, rules)
    server.start()
    try:
        client = opensearchpy.OpenSearch(
            hosts=[server.url], http_auth=("fluent", secret), timeout=30
        )
        assert client.info()["version"]["number"]
        actions = [{"_index": "winlogs", "_source": doc(n)} for n in range(300)]
        ok, errors = helpers.bulk(client, actions, chunk_size=100)
        assert ok == 300 and errors == []
        # HEC with indexer acknowledgements, as Splunk's clients do it.
        headers = {"Authorization": f"Splunk {secret}", "X-Splunk-Request-Channel": "c-1"}
        body = b"".join(orjson.dumps({"event": doc(n)}) for n in range(300, 320))
        with httpx.Client(base_url=server.url) as http:
            answer = http.post("/services/collector/event", content=body, headers=headers)
            assert answer.status_code == 200
            ack_id = answer.json()["ackId"]
            acks = http.post(
                "/services/collector/ack", json={"acks": [ack_id]}, headers=headers
            ).json()
            assert acks == {"acks": {str(ack_id): True}}
        wait_for(lambda: marks(lite_settings) == 320)
        wait_for(lambda: server.committed() == 320)  # the offset commit follows the marks
    finally:
        server.stop()
    store = DuckDbEventStore(default_path(lite_settings), read_only=True)
    assert store.count() == 320
    store.close()


def test_kill_9_mid_send_loses_and_duplicates_nothing(
    lite_settings: Settings, clock: Callable[[], datetime], rules: Path
) -> None:
    world = build_world(lite_settings, clock)
    secret = token_of(world, "ingest-alpha")
    auth = "Basic " + base64.b64encode(f"x:{secret}".encode()).decode()
    server = LiveServer(lite_settings.effective_database_url, lite_settings.data_dir, rules)
    server.start()
    acked: list[str] = []
    stop = threading.Event()

    def send() -> None:
        n = 0
        with httpx.Client(base_url=server.url, timeout=10) as http:
            while not stop.is_set():
                lines = b""
                for k in range(n, n + 50):
                    lines += b'{"create":{}}\n' + orjson.dumps(doc(k)) + b"\n"
                try:
                    answer = http.post("/_bulk", content=lines, headers={"Authorization": auth})
                except httpx.HTTPError:
                    return  # the server is gone
                if answer.status_code == 200:
                    acked.extend(i["create"]["_id"] for i in answer.json()["items"])
                n += 50

    sender = threading.Thread(target=send)
    sender.start()
    wait_for(lambda: len(acked) >= 1000)
    server.kill()
    stop.set()
    sender.join(10)
    assert len(acked) >= 1000 and len(set(acked)) == len(acked)

    restarted = LiveServer(lite_settings.effective_database_url, lite_settings.data_dir, rules)
    restarted.start()
    try:
        # Every acknowledged event is detected once (one mark per event and rule).
        wait_for(lambda: marks(lite_settings) >= len(acked), timeout=60)
    finally:
        restarted.stop()
    store = DuckDbEventStore(default_path(lite_settings), read_only=True)
    alpha = world.tenant_ids["alpha"]
    missing = [i for i in acked if store.get(alpha, i) is None]
    assert missing == []
    duplicates = store._con.execute(
        "SELECT event_id FROM events GROUP BY tenant_id, event_id HAVING count(*) > 1"
    ).fetchall()
    assert duplicates == []
    stored = store.count()
    store.close()
    engine = make_engine(lite_settings.effective_database_url)
    with make_sessionmaker(engine)() as session:
        total_marks = session.scalar(select(func.count()).select_from(DetectionMark))
        matches = session.scalar(select(func.sum(Alert.match_count)))
    engine.dispose()
    # Unacknowledged but durable events may be there too; each exactly once.
    assert total_marks == stored == matches
