"""Concurrent writers extend the audit chain one after the other, never fork it or fail."""

from __future__ import annotations

import threading

from sqlalchemy.orm import Session

from vigile.audit import service as audit
from vigile.db import make_engine, make_sessionmaker, transaction
from vigile.scope import local_operator
from vigile.tenants import service as tenants
from vigile.tenants.schemas import TenantCreate, TenantUpdate

WRITERS = 4
CHANGES_EACH = 8


def test_parallel_changes_keep_the_chain_intact(db_url: str, session: Session) -> None:
    op = local_operator("test")
    for n in range(WRITERS):
        tenants.create_tenant(session, op, TenantCreate(slug=f"t{n}", name=f"T{n}"))
    session.commit()
    engine = make_engine(db_url)
    factory = make_sessionmaker(engine)
    errors: list[BaseException] = []
    start = threading.Barrier(WRITERS)

    def writer(n: int) -> None:
        start.wait()
        try:
            for i in range(CHANGES_EACH):
                # Read first, then write: the pattern that breaks naive chains.
                with transaction(factory) as s:
                    tenants.get_tenant(s, op, f"t{n}")
                    tenants.update_tenant(s, op, f"t{n}", TenantUpdate(name=f"T{n}-{i}"))
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    engine.dispose()
    assert not errors, errors
    session.expire_all()
    count, problems = audit.verify(session)
    assert problems == []
    assert count == WRITERS + WRITERS * CHANGES_EACH
