"""The receivers' ingest-credential cache: a valid token is trusted for the configured delay
(no database on the ack path), refusals are never cached, and a revocation takes effect once
the delay has passed."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.ingest.conftest import token_of
from tests.web.conftest import World
from vigile.auth.service import revoke_token
from vigile.config import Settings
from vigile.db import make_engine, make_sessionmaker, transaction, utcnow
from vigile.errors import Unauthenticated
from vigile.ingest.credentials import MAX_ENTRIES, Credential, CredentialCache
from vigile.ingest.runtime import IngestRuntime
from vigile.scope import CallerScope, Role, TokenKind, local_operator

SCOPE = CallerScope(
    principal="token:abc", role=Role.CLIENT, tenant_ids=frozenset({1}), token_kind=TokenKind.INGEST
)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_valid_credential_is_cached_for_ttl() -> None:
    clock = Clock()
    cache = CredentialCache(5, clock)
    calls: list[str] = []

    def resolve() -> Credential:
        calls.append("db")
        return Credential(SCOPE, 1, "alpha")

    assert cache.get("s3cret", resolve).tenant_slug == "alpha"
    clock.now += 4.9
    assert cache.get("s3cret", resolve).tenant_id == 1
    assert calls == ["db"]
    clock.now += 0.2  # past the delay: looked up again (a revocation is seen now)
    cache.get("s3cret", resolve)
    assert calls == ["db", "db"]


def test_refusals_are_not_cached_and_zero_ttl_disables() -> None:
    cache = CredentialCache(5, Clock())
    attempts: list[int] = []

    def refuse() -> Credential:
        attempts.append(1)
        raise Unauthenticated("invalid or revoked token")

    for _ in range(2):
        with pytest.raises(Unauthenticated):
            cache.get("wrong", refuse)
    assert len(attempts) == 2
    uncached = CredentialCache(0, Clock())
    hits: list[int] = []

    def resolve() -> Credential:
        hits.append(1)
        return Credential(SCOPE, 1, "alpha")

    uncached.get("s", resolve)
    uncached.get("s", resolve)
    assert len(hits) == 2


def test_entries_are_bounded() -> None:
    clock = Clock()
    cache = CredentialCache(60, clock)
    for i in range(MAX_ENTRIES + 50):
        cache.get(f"secret-{i}", lambda: Credential(SCOPE, 1, "alpha"))
    assert len(cache._entries) <= MAX_ENTRIES


def test_revoked_token_refused_once_the_cache_delay_has_passed(
    lite_client: TestClient, lite_world: World, lite_settings: Settings
) -> None:
    url = "/services/collector/event"
    headers = {"Authorization": f"Splunk {token_of(lite_world, 'ingest-alpha')}"}
    body = b'{"event": "hello", "sourcetype": "syslog"}'
    assert lite_client.post(url, content=body, headers=headers).status_code == 200
    engine = make_engine(lite_settings.effective_database_url)
    with transaction(make_sessionmaker(engine)) as session:
        revoke_token(session, local_operator("test"), lite_world.token_ids["ingest-alpha"], utcnow)
    engine.dispose()
    # Within the delay the token is still trusted, without a database lookup...
    assert lite_client.post(url, content=body, headers=headers).status_code == 200
    # ...and once it has passed (here: the cache emptied), the revocation holds.
    runtime: IngestRuntime = lite_client.app.state.ingest  # type: ignore[attr-defined]
    runtime.credentials.clear()
    assert lite_client.post(url, content=body, headers=headers).status_code in (401, 403)
