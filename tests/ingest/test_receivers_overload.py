"""Back-pressure: past the spool's bound, receivers answer 503/429 and store nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import orjson
from fastapi.testclient import TestClient

from tests.ingest.conftest import token_of
from tests.web.conftest import build_world
from vigile.app import create_app
from vigile.config import Settings


def test_spool_full_answers_busy(lite_settings: Settings, clock: Callable[[], datetime]):
    settings = lite_settings.model_copy(update={"ingest_spool_max_lag": 3})
    world = build_world(settings, clock)
    secret = token_of(world, "ingest-alpha")
    lines = b"".join(orjson.dumps({"n": i, "bad": "x"}) + b"\n" for i in range(5)) + b"{bad\n"
    with TestClient(create_app(settings, clock=clock)) as client:
        hec = client.post(
            "/services/collector/event",
            content=b"".join(orjson.dumps({"event": {"n": i}}) for i in range(5)),
            headers={"Authorization": f"Splunk {secret}"},
        )
        assert hec.status_code == 503 and hec.json()["code"] == 9
        bulk = client.post(
            "/_bulk",
            content=b"".join(b'{"index":{}}\n' + orjson.dumps({"n": i}) + b"\n" for i in range(5)),
            headers={"Authorization": f"Bearer {secret}"},
        )
        assert bulk.status_code == 429
        assert bulk.json()["error"]["type"] == "es_rejected_execution_exception"
        native = client.post(
            "/api/v1/ingest", content=lines, headers={"Authorization": f"Bearer {secret}"}
        )
        assert native.status_code == 429 and native.headers["retry-after"] == "1"
        assert client.get("/services/collector/health").status_code == 200
        # Nothing stored, nothing quarantined: the client will resend the whole batch.
        assert client.app.state.ingest.spool.stats().next_offset == 0  # type: ignore[attr-defined]
        admin = client.get("/api/v1/quarantine", headers=world.headers["admin"])
        assert admin.json()["total"] == 0
        # Small enough batches still pass.
        ok = client.post(
            "/api/v1/ingest", content=b'{"a": 1}\n', headers={"Authorization": f"Bearer {secret}"}
        )
        assert ok.status_code == 200
