"""HTTP routes of the CSIRT slice (under ``/tenants/{slug}/csirt``).

Clients read their subscription status, credits and time entries; administrators subscribe,
record notices and purchases; provider staff record consumptions and time spent.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, status

from vigile.csirt import service
from vigile.csirt.schemas import (
    ConsumptionIn,
    ConsumptionOut,
    CreditsOut,
    NoticeIn,
    PurchaseIn,
    StatusOut,
    SubscribeIn,
    TimeEntryIn,
    TimeEntryOut,
)
from vigile.web.deps import ClockDep, PageDep, ScopeDep, SessionDep
from vigile.web.pages import Page

router = APIRouter(prefix="/tenants", tags=["csirt"])


@router.get("/{slug}/csirt", summary="CSIRT subscription status on a date (default today)")
def get_status(
    session: SessionDep, scope: ScopeDep, clock: ClockDep, slug: str, at: date | None = None
) -> StatusOut:
    return service.status(session, scope, slug, at or clock().date())


@router.put("/{slug}/csirt", summary="Subscribe, or replace the subscription's terms (admin)")
def subscribe(session: SessionDep, scope: ScopeDep, slug: str, body: SubscribeIn) -> StatusOut:
    return service.subscribe(session, scope, slug, body)


@router.post("/{slug}/csirt/notice", summary="Record a termination notice received (admin)")
def record_notice(session: SessionDep, scope: ScopeDep, slug: str, body: NoticeIn) -> StatusOut:
    return service.record_notice(session, scope, slug, body)


@router.get("/{slug}/csirt/credits", summary="Credits balance and purchases on a date")
def get_credits(
    session: SessionDep, scope: ScopeDep, clock: ClockDep, slug: str, at: date | None = None
) -> CreditsOut:
    return service.credits(session, scope, slug, at or clock().date())


@router.post(
    "/{slug}/csirt/purchases",
    status_code=status.HTTP_201_CREATED,
    summary="Record a purchase of prepaid credits (admin)",
)
def buy(session: SessionDep, scope: ScopeDep, slug: str, body: PurchaseIn) -> CreditsOut:
    return service.buy(session, scope, slug, body)


@router.post(
    "/{slug}/csirt/consumptions",
    status_code=status.HTTP_201_CREATED,
    summary="Use credits on a date (provider); refused when the balance is too low",
)
def consume(session: SessionDep, scope: ScopeDep, slug: str, body: ConsumptionIn) -> ConsumptionOut:
    return service.consume(session, scope, slug, body)


@router.get("/{slug}/csirt/time", summary="Time spent on incidents, by date")
def list_time(
    session: SessionDep,
    scope: ScopeDep,
    page: PageDep,
    slug: str,
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
) -> Page[TimeEntryOut]:
    rows, total = service.list_time(session, scope, slug, page, start, end)
    return Page.of(rows, total, page)


@router.post(
    "/{slug}/csirt/time",
    status_code=status.HTTP_201_CREATED,
    summary="Record time spent on an incident (provider)",
)
def add_time(session: SessionDep, scope: ScopeDep, slug: str, body: TimeEntryIn) -> TimeEntryOut:
    return service.add_time(session, scope, slug, body)
