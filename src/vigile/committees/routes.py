"""HTTP routes of the committees slice (``/api/v1/committees``).

The provider records, edits and sends committees; clients read their committees once the
report is sent, download the report (HTML or PDF, French or English) and validate it.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Response, status

from vigile.committees import actions, render, report, service, terms, views, workflow
from vigile.committees.policy import CommitteePolicy
from vigile.committees.schemas import (
    ActionOut,
    ActionUpdate,
    CommitteeCreate,
    CommitteeOut,
    CommitteeSettingsIn,
    CommitteeSettingsOut,
    CommitteeUpdate,
    ScheduleOut,
    ValidateIn,
)
from vigile.committees.types import Lang, ReportStatus
from vigile.scope import CallerScope
from vigile.web.deps import ClockDep, PageDep, ScopeDep, SessionDep, SettingsDep
from vigile.web.pages import Page

router = APIRouter(prefix="/committees", tags=["committees"])


def _out(
    session: SessionDep,
    scope: CallerScope,
    committee_id: int,
    policy: CommitteePolicy,
    clock: ClockDep,
) -> CommitteeOut:
    committee = service.get(session, scope, committee_id)
    return views.committee_out(session, scope, committee, policy, clock())


@router.get("", summary="List committees (overdue: drafts past their due date)")
def list_committees(
    session: SessionDep,
    scope: ScopeDep,
    page: PageDep,
    clock: ClockDep,
    settings: SettingsDep,
    tenant: str | None = None,
    status: ReportStatus | None = None,
    overdue: bool | None = None,
) -> Page[CommitteeOut]:
    policy = CommitteePolicy.from_settings(settings)
    now = clock()
    rows, total = service.list_committees(
        session, scope, page, policy.today(now), tenant=tenant, status=status, overdue=overdue
    )
    items = [views.committee_out(session, scope, c, policy, now) for c in rows]
    return Page.of(items, total, page)


@router.post("", status_code=status.HTTP_201_CREATED, summary="Record a committee (provider)")
def record(
    session: SessionDep,
    scope: ScopeDep,
    clock: ClockDep,
    settings: SettingsDep,
    body: CommitteeCreate,
) -> CommitteeOut:
    policy = CommitteePolicy.from_settings(settings)
    committee = service.record(session, scope, body, policy, clock)
    return views.committee_out(session, scope, committee, policy, clock())


@router.get("/actions", summary="Action plan items (open: not done nor cancelled)")
def list_actions(
    session: SessionDep,
    scope: ScopeDep,
    page: PageDep,
    tenant: str | None = None,
    open_only: bool = False,
) -> Page[ActionOut]:
    rows, total = actions.list_actions(session, scope, page, tenant=tenant, open_only=open_only)
    return Page.of([views.action_out(a, held_on) for a, held_on in rows], total, page)


@router.patch("/actions/{action_id}", summary="Change an action item (provider)")
def update_action(
    session: SessionDep,
    scope: ScopeDep,
    clock: ClockDep,
    settings: SettingsDep,
    action_id: int,
    body: ActionUpdate,
) -> ActionOut:
    policy = CommitteePolicy.from_settings(settings)
    action = actions.update_action(session, scope, action_id, body, policy, clock)
    committee = service.get(session, scope, action.committee_id)
    return views.action_out(action, committee.held_on)


@router.get("/settings/{slug}", summary="A tenant's committee terms and chosen indicators")
def get_settings(session: SessionDep, scope: ScopeDep, slug: str) -> CommitteeSettingsOut:
    return terms.get_settings(session, scope, slug)


@router.put("/settings/{slug}", summary="Set a tenant's committee terms (provider)")
def set_settings(
    session: SessionDep, scope: ScopeDep, clock: ClockDep, slug: str, body: CommitteeSettingsIn
) -> CommitteeSettingsOut:
    return terms.set_settings(session, scope, slug, body, clock)


@router.get("/schedule/{slug}", summary="Next planned committees of a tenant")
def schedule(
    session: SessionDep, scope: ScopeDep, clock: ClockDep, settings: SettingsDep, slug: str
) -> ScheduleOut:
    today = CommitteePolicy.from_settings(settings).today(clock())
    return terms.schedule(session, scope, slug, today)


@router.get("/{committee_id}", summary="Show a committee")
def get_committee(
    session: SessionDep, scope: ScopeDep, clock: ClockDep, settings: SettingsDep, committee_id: int
) -> CommitteeOut:
    return _out(session, scope, committee_id, CommitteePolicy.from_settings(settings), clock)


@router.patch("/{committee_id}", summary="Edit a draft committee (provider)")
def update_committee(
    session: SessionDep,
    scope: ScopeDep,
    clock: ClockDep,
    settings: SettingsDep,
    committee_id: int,
    body: CommitteeUpdate,
) -> CommitteeOut:
    policy = CommitteePolicy.from_settings(settings)
    service.update(session, scope, committee_id, body, policy, clock)
    return _out(session, scope, committee_id, policy, clock)


@router.post("/{committee_id}/send", summary="Send the report to the client (provider)")
def send(
    session: SessionDep, scope: ScopeDep, clock: ClockDep, settings: SettingsDep, committee_id: int
) -> CommitteeOut:
    policy = CommitteePolicy.from_settings(settings)
    workflow.send(session, scope, committee_id, policy, clock)
    return _out(session, scope, committee_id, policy, clock)


@router.post("/{committee_id}/validate", summary="Validate a sent report (client or provider)")
def validate(
    session: SessionDep,
    scope: ScopeDep,
    clock: ClockDep,
    settings: SettingsDep,
    committee_id: int,
    body: ValidateIn | None = None,
) -> CommitteeOut:
    note = body.note if body else None
    workflow.validate(session, scope, committee_id, note, clock)
    return _out(session, scope, committee_id, CommitteePolicy.from_settings(settings), clock)


@router.get(
    "/{committee_id}/report",
    summary="The committee report, HTML or PDF, French or English",
    response_class=Response,
    responses={200: {"content": {"text/html": {}, "application/pdf": {}}}},
)
def get_report(
    session: SessionDep,
    scope: ScopeDep,
    clock: ClockDep,
    settings: SettingsDep,
    committee_id: int,
    lang: Lang = Lang.FR,
    format: Literal["html", "pdf"] = "html",
) -> Response:
    committee = service.get(session, scope, committee_id)
    counting = CommitteePolicy.from_settings(settings).counting
    data = report.data(session, scope, committee, clock, counting)
    line = views.status_line(committee)
    name = f"compte-rendu-{data.tenant}-{data.held_on.isoformat()}-{lang.value}"
    if format == "pdf":
        headers = {"Content-Disposition": f'inline; filename="{name}.pdf"'}
        return Response(render.pdf(data, line, lang), media_type="application/pdf", headers=headers)
    return Response(render.html(data, line, lang), media_type="text/html; charset=utf-8")
