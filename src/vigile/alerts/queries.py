"""Listing alerts: filters (tenant, level, state, SLA state, rule, time range), sort, pages.

The SLA state is computed, not stored. ``no_sla``, ``met`` and ``breached`` translate to SQL;
``running`` and ``due_soon`` need business time, so when one of them alone is asked for, the
alerts whose clock still runs are filtered in Python (they are few: unacknowledged, not late).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Select, and_, false, func, or_, select
from sqlalchemy.orm import Session

from vigile.alerts.models import Alert
from vigile.alerts.types import AlertState, SlaState
from vigile.alerts.views import TermsCache, statuses
from vigile.pagination import PageRequest
from vigile.scope import CallerScope
from vigile.tenants import service as tenants


class AlertSort(StrEnum):
    """Orders of the alert list; the deadline first by default (no deadline last)."""

    DEADLINE = "deadline"
    NEWEST = "-raised_at"
    OLDEST = "raised_at"
    LEVEL = "-level"


@dataclass(frozen=True)
class AlertFilters:
    """What to list; empty tuples and None mean no filter."""

    tenant: str | None = None
    levels: tuple[int, ...] = ()
    states: tuple[AlertState, ...] = ()
    sla_states: tuple[SlaState, ...] = ()
    rule_id: str | None = None
    raised_from: datetime | None = None
    raised_to: datetime | None = None
    assignee: str | None = None
    sort: AlertSort = AlertSort.DEADLINE


def list_alerts(
    session: Session,
    scope: CallerScope,
    filters: AlertFilters,
    page: PageRequest,
    now: datetime,
    due_soon: float,
) -> tuple[list[Alert], int]:
    """Alerts of the caller's tenants matching ``filters``, one page, and the total count."""
    scope.require_api()
    query = _filtered(session, scope, filters, now).order_by(*_order(filters.sort))
    clock_states = {SlaState.RUNNING, SlaState.DUE_SOON} & set(filters.sla_states)
    if len(clock_states) == 1:
        wanted = set(filters.sla_states)
        rows = list(session.scalars(query))
        by_id = statuses(rows, TermsCache(session, scope), now, due_soon)
        kept = [a for a in rows if by_id[a.id].state in wanted]
        return kept[page.offset : page.offset + page.limit], len(kept)
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    rows = list(session.scalars(query.limit(page.limit).offset(page.offset)))
    return rows, total


def _filtered(
    session: Session, scope: CallerScope, filters: AlertFilters, now: datetime
) -> Select[Alert]:
    query = select(Alert)
    if scope.tenant_ids is not None:
        query = query.where(Alert.tenant_id.in_(scope.tenant_ids))
    if filters.tenant is not None:
        query = query.where(
            Alert.tenant_id == tenants.get_tenant(session, scope, filters.tenant).id
        )
    if filters.levels:
        query = query.where(Alert.level.in_(filters.levels))
    if filters.states:
        query = query.where(Alert.state.in_([s.value for s in filters.states]))
    if filters.rule_id is not None:
        query = query.where(Alert.rule_id == filters.rule_id)
    if filters.raised_from is not None:
        query = query.where(Alert.raised_at >= filters.raised_from)
    if filters.raised_to is not None:
        query = query.where(Alert.raised_at < filters.raised_to)
    if filters.assignee is not None:
        query = query.where(Alert.assignee == filters.assignee)
    if filters.sla_states:
        query = query.where(or_(false(), *(_sla_condition(s, now) for s in filters.sla_states)))
    return query


def _sla_condition(state: SlaState, now: datetime) -> Any:
    due, acked = Alert.due_at, Alert.acknowledged_at
    if state is SlaState.NO_SLA:
        return due.is_(None)
    if state is SlaState.MET:
        return and_(due.is_not(None), acked.is_not(None), acked <= due)
    if state is SlaState.BREACHED:
        late_ack = and_(acked.is_not(None), acked > due)
        late_open = and_(acked.is_(None), or_(due < now, Alert.breached_at.is_not(None)))
        return and_(due.is_not(None), or_(late_ack, late_open))
    # running or due soon: the clock still runs (refined in Python when only one is asked)
    return and_(due.is_not(None), acked.is_(None), due >= now, Alert.breached_at.is_(None))


def _order(sort: AlertSort) -> list[Any]:
    if sort is AlertSort.NEWEST:
        return [Alert.raised_at.desc(), Alert.id.desc()]
    if sort is AlertSort.OLDEST:
        return [Alert.raised_at, Alert.id]
    if sort is AlertSort.LEVEL:
        return [Alert.level.desc(), Alert.due_at.is_(None), Alert.due_at, Alert.id]
    return [Alert.due_at.is_(None), Alert.due_at, Alert.raised_at, Alert.id]
