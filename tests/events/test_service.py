"""Service level: the caller's scope decides the tenants; B never sees A's events."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.events.conftest import Tenants
from tests.events.factory import T0, make_event
from vigile.db import transaction
from vigile.errors import InvalidInput, NotFound, PermissionDenied
from vigile.events import service
from vigile.events.duckdb_store import DuckDbEventStore
from vigile.events.store import Event
from vigile.pagination import PageRequest
from vigile.scope import CallerScope, Role, TokenKind, local_operator

NOW = T0 + timedelta(hours=2)


def client_of(tenant_id: int) -> CallerScope:
    return CallerScope(principal="user:c", role=Role.CLIENT, tenant_ids=frozenset({tenant_id}))


def analyst_of(tenant_id: int) -> CallerScope:
    return CallerScope(principal="user:a", role=Role.ANALYST, tenant_ids=frozenset({tenant_id}))


ADMIN = local_operator("test")


@pytest.fixture
def seeded(store: DuckDbEventStore, two_tenants: Tenants) -> tuple[list[Event], list[Event]]:
    alpha = [make_event(two_tenants.alpha, n, CommandLine="mimikatz") for n in range(4)]
    beta = [make_event(two_tenants.beta, 10 + n, CommandLine="mimikatz") for n in range(3)]
    service.add_events(store, ADMIN, alpha + beta)
    return alpha, beta


def search(store: DuckDbEventStore, t: Tenants, scope: CallerScope, **kwargs: object) -> set[int]:
    with transaction(t.sessions) as session:
        result = service.search(store, scope, session, now=NOW, **kwargs)  # type: ignore[arg-type]
    assert result.total == len(result.items)
    return {event.tenant_id for event in result.items}


@pytest.mark.parametrize("scope_of", [client_of, analyst_of])
def test_scoped_callers_see_their_tenant_only(
    store: DuckDbEventStore, two_tenants: Tenants, seeded: object, scope_of: object
) -> None:
    t = two_tenants
    scope = scope_of(t.alpha)  # type: ignore[operator]
    assert search(store, t, scope) == {t.alpha}
    assert search(store, t, scope, tenant="alpha", where=["CommandLine|contains=mimi"]) == {t.alpha}
    with pytest.raises(NotFound):
        search(store, t, scope, tenant="beta")
    with pytest.raises(NotFound):
        search(store, t, scope, tenant="nope")


def test_provider_wide_callers_see_every_tenant(
    store: DuckDbEventStore, two_tenants: Tenants, seeded: object
) -> None:
    t = two_tenants
    assert search(store, t, ADMIN) == {t.alpha, t.beta}
    assert search(store, t, ADMIN, tenant="beta") == {t.beta}


def test_event_ids_of_another_tenant_are_not_found(
    store: DuckDbEventStore, two_tenants: Tenants, seeded: tuple[list[Event], list[Event]]
) -> None:
    t = two_tenants
    alpha, beta = seeded
    with transaction(t.sessions) as session:
        own = service.get(store, client_of(t.alpha), session, "alpha", alpha[0].event_id)
        assert own == alpha[0]
        for tenant in ("alpha", "beta"):  # beta's id under alpha's name, or beta's name
            with pytest.raises(NotFound):
                service.get(store, client_of(t.alpha), session, tenant, beta[0].event_id)
        with pytest.raises(NotFound):
            service.get(store, client_of(t.alpha), session, "alpha", "f" * 64)
        assert service.get(store, ADMIN, session, "beta", beta[0].event_id) == beta[0]


def test_verify_through_the_service(
    store: DuckDbEventStore, two_tenants: Tenants, seeded: tuple[list[Event], list[Event]]
) -> None:
    alpha, _ = seeded
    with transaction(two_tenants.sessions) as session:
        check = service.verify(store, ADMIN, session, "alpha", alpha[1].event_id)
    assert check.intact and check.computed_hash == alpha[1].event_id


def test_ingest_tokens_cannot_search(store: DuckDbEventStore, two_tenants: Tenants) -> None:
    scope = CallerScope(
        "token:1", Role.CLIENT, frozenset({two_tenants.alpha}), token_kind=TokenKind.INGEST
    )
    with pytest.raises(PermissionDenied):
        search(store, two_tenants, scope)


def test_a_caller_writes_into_its_own_tenant_only(
    store: DuckDbEventStore, two_tenants: Tenants
) -> None:
    scope = CallerScope(
        "token:1", Role.CLIENT, frozenset({two_tenants.alpha}), token_kind=TokenKind.INGEST
    )
    assert service.add_events(store, scope, [make_event(two_tenants.alpha, 1)]) == 1
    with pytest.raises(NotFound):
        service.add_events(
            store, scope, [make_event(two_tenants.alpha, 2), make_event(two_tenants.beta, 3)]
        )
    assert store.count() == 1  # the whole batch was refused


def test_default_window_is_the_last_24_hours(store: DuckDbEventStore, two_tenants: Tenants) -> None:
    t = two_tenants
    store.add([make_event(t.alpha, 1, time=NOW - timedelta(hours=h)) for h in (1, 23, 25)])
    with transaction(t.sessions) as session:
        recent = service.search(store, ADMIN, session, now=NOW)
        assert recent.total == 2
        naive = service.search(
            store,
            ADMIN,
            session,
            now=NOW,
            start=(NOW - timedelta(hours=30)).replace(tzinfo=None),  # taken as UTC
            page=PageRequest(limit=1),
        )
        assert naive.total == 3 and len(naive.items) == 1
        with pytest.raises(InvalidInput):
            service.search(store, ADMIN, session, now=NOW, start=NOW, end=NOW - timedelta(1))
        with pytest.raises(InvalidInput):
            service.search(store, ADMIN, session, now=NOW, where=["a'b=1"])


def test_retention_per_tenant_with_override(store: DuckDbEventStore, two_tenants: Tenants) -> None:
    t = two_tenants
    for tenant_id in (t.alpha, t.beta):
        store.add([make_event(tenant_id, n, time=T0 - timedelta(days=n)) for n in range(0, 40, 5)])
    with pytest.raises(PermissionDenied):
        service.apply_retention(store, analyst_of(t.alpha), [t.alpha], now=T0)
    deleted = service.apply_retention(
        store, ADMIN, [t.alpha, t.beta], now=T0, overrides={t.alpha: 7}, default_days=30
    )
    assert deleted == {t.alpha: 6, t.beta: 1}  # alpha keeps days 0 and 5; beta up to 30
    assert len(store.days(t.alpha)) == 2 and len(store.days(t.beta)) == 7
