"""Splunk HEC receiver over real HTTP (TestClient): events, raw, acks, errors, isolation."""

from __future__ import annotations

import orjson
from fastapi.testclient import TestClient

from tests.ingest.conftest import spooled, token_of
from tests.web.conftest import World

SYSMON = {
    "EventID": 1,
    "Channel": "Microsoft-Windows-Sysmon/Operational",
    "Image": "C:\\Windows\\System32\\cmd.exe",
    "CommandLine": "cmd /c whoami",
    "Computer": "ws01",
}


def hec(world: World, name: str = "ingest-alpha") -> dict[str, str]:
    return {"Authorization": f"Splunk {token_of(world, name)}"}


def concat(*objs: object) -> bytes:
    return b"".join(orjson.dumps(o) for o in objs)


def test_concatenated_events_are_spooled_with_acks(lite_client: TestClient, lite_world: World):
    headers = hec(lite_world) | {"X-Splunk-Request-Channel": "chan-1"}
    body = concat(
        {"event": SYSMON, "host": "ws01", "sourcetype": "_json", "time": 1764147600},
        {"event": "<14>1 2026-11-26T08:00:00Z fw01 app - - - denied", "sourcetype": "syslog"},
    )
    response = lite_client.post("/services/collector/event", content=body, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json() == {"text": "Success", "code": 0, "ackId": 0}
    second = lite_client.post("/services/collector/event", content=body, headers=headers)
    assert second.json()["ackId"] == 1
    acks = lite_client.post(
        "/services/collector/ack",
        params={"channel": "chan-1"},
        json={"acks": [0, 1, 7]},
        headers=hec(lite_world),
    )
    assert acks.json() == {"acks": {"0": True, "1": True, "7": False}}
    # Queried true once: forgotten, as Splunk does.
    again = lite_client.post(
        "/services/collector/ack",
        params={"channel": "chan-1"},
        json={"acks": [0]},
        headers=hec(lite_world),
    )
    assert again.json() == {"acks": {"0": False}}
    # Another token does not see this token's acks.
    other = lite_client.post(
        "/services/collector/ack",
        params={"channel": "chan-1"},
        json={"acks": [1]},
        headers=hec(lite_world, "ingest-beta"),
    )
    assert other.json() == {"acks": {"1": False}}
    records = spooled(lite_client)
    assert len(records) == 4
    alpha = str(lite_world.tenant_ids["alpha"])
    assert {tenant for tenant, _ in records} == {alpha}
    first = records[0][1]
    assert first.event.fields["CommandLine"] == "cmd /c whoami"
    assert first.event.source_type == "evtx"
    assert records[1][1].event.source_type == "syslog"
    assert records[1][1].event.host == "fw01"
    assert records[0][1].id == records[2][1].id  # same record, same id: the store keeps one


def test_raw_endpoint_and_health(lite_client: TestClient, lite_world: World):
    body = b"<13>Mar  2 07:01:02 db01 cron[77]: one\n\n<13>Mar  2 07:01:03 db01 cron[77]: two\n"
    response = lite_client.post(
        "/services/collector/raw",
        params={"sourcetype": "syslog", "channel": "c"},
        content=body,
        headers=hec(lite_world),
    )
    assert response.status_code == 200 and response.json()["ackId"] == 0
    assert [e.event.fields.get("message") or e.event.raw for _, e in spooled(lite_client)]
    assert len(spooled(lite_client, "g2")) == 2
    health = lite_client.get("/services/collector/health")
    assert health.status_code == 200 and health.json()["code"] == 17


def test_bad_events_are_rejected_and_quarantined(lite_client: TestClient, lite_world: World):
    body = (
        concat(
            {"event": SYSMON},
            {"host": "no-event"},
            {"event": ""},
            {"event": '{"broken json', "sourcetype": "_json"},
            {"event": "ok line", "sourcetype": "syslog"},
        )
        + b'{"event": "truncated'
    )
    response = lite_client.post("/services/collector/event", content=body, headers=hec(lite_world))
    assert response.status_code == 400
    answer = response.json()
    assert answer["invalid-event-number"] == 1 and answer["code"] == 12
    assert answer["accepted"] == 2
    assert [r["event"] for r in answer["rejected"]] == [1, 2, 3, 5]
    assert len(spooled(lite_client)) == 2
    listed = lite_client.get("/api/v1/quarantine", headers=lite_world.headers["admin"]).json()
    assert listed["total"] == 4
    reasons = {item["reason"] for item in listed["items"]}
    assert "Event field is required" in reasons and "invalid JSON" in reasons
    assert all(item["tenant"] == "alpha" and item["receiver"] == "hec" for item in listed["items"])


def test_credentials(lite_client: TestClient, lite_world: World):
    body = concat({"event": "x"})
    url = "/services/collector/event"
    assert lite_client.post(url, content=body).json()["code"] == 2
    bad = lite_client.post(url, content=body, headers={"Authorization": "Splunk nope"})
    assert bad.status_code == 403 and bad.json()["code"] == 4
    # API tokens, even an administrator's, cannot send events.
    for caller in ("admin", "api-client-alpha", "api-analyst-beta"):
        response = lite_client.post(url, content=body, headers=lite_world.headers[caller])
        assert response.status_code == 403, caller
    # Bearer works as well as Splunk.
    ok = lite_client.post(url, content=body, headers=lite_world.headers["ingest-alpha"])
    assert ok.status_code == 200
    assert len(spooled(lite_client)) == 1


def test_index_of_another_tenant_stores_nothing(lite_client: TestClient, lite_world: World):
    body = concat({"event": "fine", "index": "main"}, {"event": "x", "index": "vigile-beta"})
    response = lite_client.post("/services/collector/event", content=body, headers=hec(lite_world))
    assert response.status_code == 400 and response.json()["code"] == 7
    own = concat({"event": "fine", "index": "vigile-alpha-windows"})
    assert (
        lite_client.post(
            "/services/collector/event", content=own, headers=hec(lite_world)
        ).status_code
        == 200
    )
    assert len(spooled(lite_client)) == 1
