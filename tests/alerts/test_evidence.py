"""Evidence helpers: canonical hash, assets from events, deduplication keys (pure)."""

from __future__ import annotations

import hashlib

from vigile.alerts.evidence import (
    Assets,
    Prepared,
    canonical_json,
    content_hash,
    dedup_key,
    event_assets,
    extract_assets,
    prepare,
    prepare_rules,
)


def test_content_hash_is_the_sha256_of_canonical_json() -> None:
    one = {"b": 1, "a": {"y": [1, 2], "x": "é"}}
    two = {"a": {"x": "é", "y": [1, 2]}, "b": 1}
    assert canonical_json(one) == '{"a":{"x":"é","y":[1,2]},"b":1}'
    assert content_hash(one) == content_hash(two)
    assert content_hash(one) == hashlib.sha256(canonical_json(two).encode()).hexdigest()
    assert content_hash(one) != content_hash({**one, "b": 2})


def test_assets_from_windows_ecs_and_cef_spellings() -> None:
    assets = extract_assets(
        [
            {"Computer": "DC01.corp", "TargetUserName": "bob", "IpAddress": "::ffff:10.0.0.5"},
            {"host": {"name": "web1"}, "user": {"name": "alice"}, "source": {"ip": "2001:db8::1"}},
            {"dvchost": "fw1", "suser": "-", "src": "not-an-ip", "dst": "192.0.2.1"},
        ]
    )
    assert assets.hosts == ("dc01.corp", "web1", "fw1")
    assert assets.users == ("bob", "alice")
    assert assets.ips == ("10.0.0.5", "2001:db8::1", "192.0.2.1")


def test_dedup_key_uses_host_and_salient_fields() -> None:
    base = {"Computer": "WS1", "TargetUserName": "bob", "EventRecordID": 1}
    same = {"Computer": "ws1", "TargetUserName": "bob", "EventRecordID": 2}
    assert dedup_key("r", base) == dedup_key("r", same)  # host case and noise ignored
    assert dedup_key("r", base) != dedup_key("r2", base)
    assert dedup_key("r", base) != dedup_key("r", base | {"TargetUserName": "eve"})
    with_image = base | {"Image": "a.exe"}
    assert dedup_key("r", with_image, ["Image"]) != dedup_key(
        "r", base | {"Image": "b.exe"}, ["image"]
    )
    assert dedup_key("r", with_image, ["Image"]) == dedup_key(
        "r", with_image | {"TargetUserName": "x"}, ["Image"]
    )


def test_prepared_ahead_equals_what_raising_computes() -> None:
    events = [
        {"Computer": "WS1", "TargetUserName": "bob", "IpAddress": "10.0.0.5"},
        {"host": {"name": "web1"}, "user": ["alice", "-"], "src": 1},
        {"Computer": True, "user": 1, "ipaddress": "not-an-ip"},  # 1 == True: not one entry
        {"Computer": 1, "user": True},
        {},
    ]
    for event in events:
        one = prepare("r", [event])
        digest = content_hash(event)
        assert one == Prepared(dedup_key("r", event), extract_assets([event]), (digest,))
        assert prepare_rules(["r", "s"], event_assets(event), digest) == [
            one,
            Prepared(dedup_key("s", event), one.assets, (digest,)),
        ]
    assert prepare("r", events).assets == extract_assets(events)
    assert prepare("r", events, ["User"]).key == dedup_key("r", events[0], ["user"])
    assert extract_assets([events[2]]).hosts == () and extract_assets([events[3]]).hosts == ("1",)


def test_default_keys_cached_per_rule_host_and_user_equal_the_key_made_afresh() -> None:
    pairs = [
        ("r1", Assets(hosts=("ws1",), users=("bob",))),
        ("r1", Assets(hosts=("ws2",), users=("bob",))),
        ("r1", Assets(hosts=("ws1",), users=("eve",))),
        ("r2", Assets(hosts=("ws1",), users=("bob",))),
        ("r1", Assets()),
    ]
    keys = [prepare_rules([rule], assets, "d")[0].key for rule, assets in pairs * 2]
    fresh = [
        dedup_key(rule, {"Computer": a.hosts[0], "User": a.users[0]} if a.hosts else {})
        for rule, a in pairs * 2
    ]
    assert keys == fresh and len(set(keys)) == len(pairs)
