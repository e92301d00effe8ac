"""Elasticsearch bulk and native NDJSON receivers over real HTTP (TestClient)."""

from __future__ import annotations

import base64
import gzip

import orjson
from fastapi.testclient import TestClient

from tests.ingest.conftest import spooled, token_of
from tests.web.conftest import World

DOC = {"@timestamp": "2026-11-26T08:00:00Z", "host": {"name": "web01"}, "message": "login ok"}


def basic_token(world: World, name: str = "ingest-alpha") -> dict[str, str]:
    raw = base64.b64encode(f"vector:{token_of(world, name)}".encode()).decode()
    return {"Authorization": f"Basic {raw}", "Content-Type": "application/x-ndjson"}


def ndjson(*objs: object) -> bytes:
    return b"".join(orjson.dumps(o) + b"\n" for o in objs)


def test_cluster_root_and_browser_redirect(lite_client: TestClient):
    info = lite_client.get("/", headers={"Accept": "application/json"})
    assert info.status_code == 200 and info.json()["version"]["number"].startswith("8.")
    assert info.headers["x-elastic-product"] == "Elasticsearch"
    browser = lite_client.get("/", headers={"Accept": "text/html"}, follow_redirects=False)
    assert browser.status_code == 307 and browser.headers["location"] == "/api/docs"


def test_bulk_items_created_and_errors(lite_client: TestClient, lite_world: World):
    body = (
        ndjson({"index": {"_index": "logs-2026.11.26"}}, DOC)
        + b'{"create": {}}\n{"not json\n'
        + ndjson({"create": {"_id": "client-id"}}, DOC | {"message": "second"})
        + ndjson({"delete": {"_id": "x"}})
    )
    response = lite_client.post("/_bulk", content=body, headers=basic_token(lite_world))
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["errors"] is True
    items = answer["items"]
    assert [next(iter(i)) for i in items] == ["index", "create", "create", "delete"]
    assert items[0]["index"]["status"] == 201 and items[0]["index"]["result"] == "created"
    assert items[0]["index"]["_index"] == "logs-2026.11.26"
    assert items[1]["create"]["status"] == 400 and "JSON" in items[1]["create"]["error"]["reason"]
    assert items[2]["create"]["_id"] == "client-id" and items[2]["create"]["status"] == 201
    assert items[3]["delete"]["status"] == 400
    assert len(spooled(lite_client)) == 2
    quarantine = lite_client.get("/api/v1/quarantine", headers=lite_world.headers["admin"]).json()
    assert quarantine["total"] == 1 and quarantine["items"][0]["receiver"] == "bulk"


def test_bulk_gzip_index_path_and_bearer(lite_client: TestClient, lite_world: World):
    body = gzip.compress(ndjson({"index": {}}, DOC))
    headers = lite_world.headers["ingest-alpha"] | {"Content-Encoding": "gzip"}
    response = lite_client.post("/vigile-alpha-web/_bulk", content=body, headers=headers)
    assert response.status_code == 200 and response.json()["errors"] is False
    assert response.json()["items"][0]["index"]["_index"] == "vigile-alpha-web"


def test_bulk_other_tenant_index_stores_nothing(lite_client: TestClient, lite_world: World):
    body = ndjson({"index": {"_index": "ok"}}, DOC, {"index": {"_index": "vigile-beta"}}, DOC)
    response = lite_client.post("/_bulk", content=body, headers=basic_token(lite_world))
    assert response.status_code == 403
    response = lite_client.post(
        "/vigile-beta/_bulk", content=ndjson({"index": {}}, DOC), headers=basic_token(lite_world)
    )
    assert response.status_code == 403
    assert spooled(lite_client) == []


def test_bulk_broken_action_line_is_refused_whole(lite_client: TestClient, lite_world: World):
    body = ndjson({"index": {}}, DOC) + b"garbage\n" + ndjson(DOC)
    response = lite_client.post("/_bulk", content=body, headers=basic_token(lite_world))
    assert response.status_code == 400 and response.json()["status"] == 400
    assert spooled(lite_client) == []


def test_bulk_credentials(lite_client: TestClient, lite_world: World):
    body = ndjson({"index": {}}, DOC)
    assert lite_client.post("/_bulk", content=body).status_code == 401
    for caller in ("admin", "client-alpha"):
        response = lite_client.post("/_bulk", content=body, headers=lite_world.headers[caller])
        assert response.status_code == 403, caller


def test_native_ndjson(lite_client: TestClient, lite_world: World):
    body = ndjson(DOC) + b"\n" + b'{"broken\n' + b"<13>Mar  2 07:01:02 db01 cron[77]: x\n"
    headers = lite_world.headers["ingest-alpha"]
    response = lite_client.post("/api/v1/ingest", content=body, headers=headers)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["accepted"] == 2 and len(answer["ids"]) == 2
    assert answer["rejected"] == [{"line": 3, "reason": answer["rejected"][0]["reason"]}]
    # Naming one's own tenant is fine; another tenant is refused and nothing is stored.
    assert (
        lite_client.post(
            "/api/v1/ingest", params={"tenant": "alpha"}, content=body, headers=headers
        ).status_code
        == 200
    )
    refused = lite_client.post(
        "/api/v1/ingest", params={"tenant": "beta"}, content=body, headers=headers
    )
    assert refused.status_code == 403
    assert len(spooled(lite_client)) == 4
    # API tokens cannot ingest.
    admin = lite_client.post("/api/v1/ingest", content=body, headers=lite_world.headers["admin"])
    assert admin.status_code == 403
    # An ingest token can do nothing else.
    for path in ("/api/v1/quarantine", "/api/v1/alerts", "/api/v1/tenants"):
        assert lite_client.get(path, headers=headers).status_code == 403, path


def test_quarantine_is_tenant_scoped(lite_client: TestClient, lite_world: World):
    for name in ("ingest-alpha", "ingest-beta"):
        lite_client.post("/api/v1/ingest", content=b"{bad\n", headers=lite_world.headers[name])
    alpha = lite_client.get("/api/v1/quarantine", headers=lite_world.headers["client-alpha"])
    assert [i["tenant"] for i in alpha.json()["items"]] == ["alpha"]
    hidden = lite_client.get(
        "/api/v1/quarantine", params={"tenant": "beta"}, headers=lite_world.headers["client-alpha"]
    )
    assert hidden.status_code == 404
    admin = lite_client.get("/api/v1/quarantine", headers=lite_world.headers["admin"])
    assert admin.json()["total"] == 2
