"""CSIRT subscription, prepaid credits and time spent, scoped by caller (art. 3, 4).

Clients read their subscription status, credits and time entries. Administrators subscribe,
record notices and purchases; provider staff record consumptions and time spent. The date and
credit arithmetic lives in the pure :mod:`terms` and :mod:`ledger` modules.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigile.audit import service as audit
from vigile.csirt import ledger, terms
from vigile.csirt.models import CreditConsumption, CreditPurchase, CsirtSubscription, TimeEntry
from vigile.csirt.schemas import (
    ConsumptionIn,
    ConsumptionOut,
    CreditsOut,
    NoticeIn,
    PurchaseIn,
    PurchaseState,
    StatusOut,
    SubscribeIn,
    TimeEntryIn,
    TimeEntryOut,
    WorkKind,
)
from vigile.errors import Conflict, InvalidInput, NotFound
from vigile.pagination import PageRequest
from vigile.scope import CallerScope
from vigile.tenants import service as tenants


def _subscription(session: Session, tenant_id: int, slug: str) -> CsirtSubscription:
    row = session.get(CsirtSubscription, tenant_id, populate_existing=True)
    if row is None:
        raise NotFound(f"tenant {slug!r} has no CSIRT subscription")
    return row


def subscribe(session: Session, scope: CallerScope, slug: str, data: SubscribeIn) -> StatusOut:
    """Start a subscription, or replace the terms of the existing one (administrators); a
    replaced subscription's notice is cleared (the audit keeps the former terms)."""
    tenant = tenants.get_tenant(session, scope, slug)
    scope.require_admin()
    row = session.get(CsirtSubscription, tenant.id)
    before = None
    if row is None:
        row = CsirtSubscription(tenant_id=tenant.id, start=data.start, term_months=data.term_months)
        session.add(row)
    else:
        before = {
            "start": row.start.isoformat(),
            "term_months": row.term_months,
            "notice_received": row.notice_received.isoformat() if row.notice_received else None,
        }
        row.start, row.term_months, row.notice_received = data.start, data.term_months, None
    session.flush()
    details = {"start": data.start.isoformat(), "term_months": data.term_months, "before": before}
    audit.record(
        session, scope, "csirt.subscribe", "tenant", slug, tenant_id=tenant.id, details=details
    )
    return status(session, scope, slug, data.start)


def record_notice(session: Session, scope: CallerScope, slug: str, data: NoticeIn) -> StatusOut:
    """Record the termination notice received on a date (administrators; one per subscription)."""
    tenant = tenants.get_tenant(session, scope, slug)
    scope.require_admin()
    row = _subscription(session, tenant.id, slug)
    if row.notice_received is not None:
        raise Conflict(f"a notice was already received on {row.notice_received.isoformat()}")
    if data.received < row.start:
        raise InvalidInput("a notice cannot be received before the subscription starts")
    row.notice_received = data.received
    session.flush()
    result = status(session, scope, slug, data.received)
    audit.record(
        session,
        scope,
        "csirt.notice",
        "tenant",
        slug,
        tenant_id=tenant.id,
        details={
            "received": data.received.isoformat(),
            "in_time": result.notice_in_time,
            "ends_on": result.ends_on.isoformat() if result.ends_on else None,
        },
    )
    return result


def status(session: Session, scope: CallerScope, slug: str, on: date) -> StatusOut:
    """Term, notice deadline and notice outcome on ``on``."""
    scope.require_api()
    tenant = tenants.get_tenant(session, scope, slug)
    row = _subscription(session, tenant.id, slug)
    sub = terms.Subscription(row.start, row.term_months, row.notice_received)
    term = sub.status_term(on)
    return StatusOut(
        tenant=tenant.slug,
        at=on,
        start=row.start,
        term_months=row.term_months,
        term_start=term.start,
        term_end=term.end,
        notice_deadline=term.notice_deadline,
        notice_received=row.notice_received,
        notice_in_time=sub.notice_in_time,
        ends_on=sub.ends_on,
        active=sub.active_on(on),
    )


def _history(
    session: Session, tenant_id: int, *, lock: bool = False
) -> tuple[list[ledger.Purchase], list[ledger.Consumption]]:
    query = select(CreditPurchase.id, CreditPurchase.purchased_on, CreditPurchase.credits).where(
        CreditPurchase.tenant_id == tenant_id
    )
    # Locking the purchases (PostgreSQL) serialises concurrent consumptions of a tenant:
    # the second one reads the consumptions only once the first has committed.
    purchases = session.execute(query.with_for_update() if lock else query)
    consumptions = session.execute(
        select(
            CreditConsumption.id, CreditConsumption.consumed_on, CreditConsumption.credits
        ).where(CreditConsumption.tenant_id == tenant_id)
    )
    return (
        [ledger.Purchase(i, d, n) for i, d, n in purchases],
        [ledger.Consumption(i, d, n) for i, d, n in consumptions],
    )


def buy(session: Session, scope: CallerScope, slug: str, data: PurchaseIn) -> CreditsOut:
    """Record a purchase of prepaid credits (administrators)."""
    tenant = tenants.get_tenant(session, scope, slug)
    scope.require_admin()
    row = CreditPurchase(
        tenant_id=tenant.id,
        purchased_on=data.date,
        credits=data.credits,
        reference=data.reference,
        created_by=scope.principal,
    )
    session.add(row)
    session.flush()
    details = {
        "date": data.date.isoformat(),
        "credits": data.credits,
        "expires": ledger.expiry(data.date).isoformat(),
        "reference": data.reference,
    }
    audit.record(
        session, scope, "csirt.buy", "credit_purchase", row.id, tenant_id=tenant.id, details=details
    )
    return credits(session, scope, slug, data.date)


def consume(session: Session, scope: CallerScope, slug: str, data: ConsumptionIn) -> ConsumptionOut:
    """Use credits on a date (provider staff). Refused when the balance on that date is too low,
    or when it would leave a later consumption uncovered."""
    tenant = tenants.get_tenant(session, scope, slug)
    scope.require_provider()
    purchases, consumptions = _history(session, tenant.id, lock=True)
    new = ledger.Consumption(0, data.date, data.credits)
    try:
        ledger.check_consumption(purchases, consumptions, new)
    except ledger.InsufficientCredits as exc:
        if exc.consumption is new:
            raise InvalidInput(
                f"refused: {data.credits} credit(s) requested on {data.date.isoformat()} but "
                f"only {exc.available} available that day (expired credits excluded) / "
                f"refusé : solde de crédits insuffisant à cette date"
            ) from exc
        raise InvalidInput(
            f"refused: using {data.credits} credit(s) on {data.date.isoformat()} would leave "
            f"the consumption of {exc.consumption.credits} credit(s) on "
            f"{exc.consumption.on.isoformat()} uncovered / refusé : une consommation "
            "ultérieure ne serait plus couverte"
        ) from exc
    row = CreditConsumption(
        tenant_id=tenant.id,
        consumed_on=data.date,
        credits=data.credits,
        incident=data.incident,
        created_by=scope.principal,
    )
    session.add(row)
    session.flush()
    balance = ledger.replay(purchases, [*consumptions, new], data.date).balance
    audit.record(
        session,
        scope,
        "csirt.consume",
        "credit_consumption",
        row.id,
        tenant_id=tenant.id,
        details={"date": data.date.isoformat(), "credits": data.credits, "incident": data.incident},
    )
    return ConsumptionOut(
        id=row.id,
        tenant=tenant.slug,
        date=data.date,
        credits=data.credits,
        incident=data.incident,
        balance_after=balance,
    )


def credits(session: Session, scope: CallerScope, slug: str, on: date) -> CreditsOut:
    """The balance at the end of ``on`` and every purchase made by then."""
    scope.require_api()
    tenant = tenants.get_tenant(session, scope, slug)
    purchases, consumptions = _history(session, tenant.id)
    state = ledger.replay(purchases, consumptions, on)
    return CreditsOut(
        tenant=tenant.slug,
        at=on,
        balance=state.balance,
        bought=state.bought,
        consumed=state.consumed,
        expired=state.expired,
        purchases=[
            PurchaseState(
                date=lot.purchase.on,
                credits=lot.purchase.credits,
                remaining=lot.remaining,
                consumed=lot.consumed,
                expired=lot.expired,
                expires=lot.purchase.expires,
            )
            for lot in state.lots
        ],
    )


def _time_out(row: TimeEntry, slug: str) -> TimeEntryOut:
    amount = (Decimal(row.hours) * Decimal(row.hourly_rate)).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )
    return TimeEntryOut(
        id=row.id,
        tenant=slug,
        incident=row.incident,
        person=row.person,
        date=row.worked_on,
        hours=f"{row.hours:.2f}",
        hourly_rate=f"{row.hourly_rate:.2f}",
        amount=f"{amount:.2f}",
        kind=WorkKind(row.kind),
        description=row.description,
        created_at=row.created_at,
    )


def add_time(session: Session, scope: CallerScope, slug: str, data: TimeEntryIn) -> TimeEntryOut:
    """Record time spent on an incident (provider staff), billed at ``hourly_rate``."""
    tenant = tenants.get_tenant(session, scope, slug)
    scope.require_provider()
    row = TimeEntry(
        tenant_id=tenant.id,
        incident=data.incident,
        person=data.person,
        worked_on=data.date,
        hours=data.hours,
        hourly_rate=data.hourly_rate,
        kind=data.kind.value,
        description=data.description,
        created_by=scope.principal,
    )
    session.add(row)
    session.flush()
    out = _time_out(row, tenant.slug)
    audit.record(
        session,
        scope,
        "csirt.time",
        "time_entry",
        row.id,
        tenant_id=tenant.id,
        details=out.model_dump(mode="json", exclude={"created_at"}),
    )
    return out


def list_time(
    session: Session,
    scope: CallerScope,
    slug: str,
    page: PageRequest,
    start: date | None = None,
    end: date | None = None,
) -> tuple[list[TimeEntryOut], int]:
    """Time entries of a tenant within ``[start, end]``, by date."""
    scope.require_api()
    tenant = tenants.get_tenant(session, scope, slug)
    query = select(TimeEntry).where(TimeEntry.tenant_id == tenant.id)
    if start is not None:
        query = query.where(TimeEntry.worked_on >= start)
    if end is not None:
        query = query.where(TimeEntry.worked_on <= end)
    rows = list(session.scalars(query.order_by(TimeEntry.worked_on, TimeEntry.id)))
    window = rows[page.offset : page.offset + page.limit]
    return [_time_out(r, tenant.slug) for r in window], len(rows)
