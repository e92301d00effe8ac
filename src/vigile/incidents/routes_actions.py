"""HTTP routes of containment actions (``/api/v1/actions``) and block lists
(``/api/v1/blocklists/{tenant}/{type}.txt``)."""

from __future__ import annotations

import base64
import binascii

from fastapi import APIRouter, Request, Response

from vigile.errors import Unauthenticated
from vigile.incidents import actions, blocklists, views
from vigile.incidents.schemas import ActionIn, ActionOut, PolicyIn, PolicyOut
from vigile.incidents.types import ActionState, ActionType
from vigile.web.deps import ClockDep, PageDep, ScopeDep, SessionDep, SettingsDep
from vigile.web.pages import Page

router = APIRouter(tags=["containment"])


@router.get("/actions", summary="Containment actions you can see")
def list_actions(
    session: SessionDep,
    scope: ScopeDep,
    page: PageDep,
    tenant: str | None = None,
    incident_id: int | None = None,
    state: ActionState | None = None,
) -> Page[ActionOut]:
    rows, total = actions.list_actions(
        session, scope, page, tenant=tenant, incident_id=incident_id, state=state
    )
    return Page.of(views.actions_out(session, rows), total, page)


@router.post("/actions", status_code=201, summary="Propose a containment action")
def propose(
    session: SessionDep, scope: ScopeDep, clock: ClockDep, settings: SettingsDep, body: ActionIn
) -> ActionOut:
    return views.action_out(session, actions.propose(session, scope, body, settings, clock))


@router.get("/actions/{action_id}", summary="One action")
def get_action(session: SessionDep, scope: ScopeDep, action_id: int) -> ActionOut:
    return views.action_out(session, actions.get_action(session, scope, action_id))


@router.post("/actions/{action_id}/approve", summary="Approve (four-eyes)")
def approve(session: SessionDep, scope: ScopeDep, clock: ClockDep, action_id: int) -> ActionOut:
    return views.action_out(session, actions.approve(session, scope, action_id, clock))


@router.post("/actions/{action_id}/apply", summary="Apply through its connector")
def apply(
    session: SessionDep, scope: ScopeDep, clock: ClockDep, settings: SettingsDep, action_id: int
) -> ActionOut:
    return views.action_out(session, actions.apply(session, scope, action_id, settings, clock))


@router.post("/actions/{action_id}/revert", summary="Revert (or withdraw) an action")
def revert(
    session: SessionDep, scope: ScopeDep, clock: ClockDep, settings: SettingsDep, action_id: int
) -> ActionOut:
    return views.action_out(session, actions.revert(session, scope, action_id, settings, clock))


@router.put("/actions/policies/{tenant}/{action_type}", summary="Approval policy (admin)")
def set_policy(
    session: SessionDep,
    scope: ScopeDep,
    clock: ClockDep,
    tenant: str,
    action_type: ActionType,
    body: PolicyIn,
) -> PolicyOut:
    actions.set_policy(session, scope, tenant, action_type, body.approval_required, clock)
    return PolicyOut(tenant=tenant, type=action_type, approval_required=body.approval_required)


@router.get(
    "/blocklists/{tenant}/{name}.txt",
    summary="Block list for firewalls (EDL / threat feed / URL table): one entry per line",
    response_class=Response,
)
def blocklist(
    request: Request, session: SessionDep, clock: ClockDep, tenant: str, name: str
) -> Response:
    secret = _blocklist_secret(request.headers.get("authorization", ""))
    now = clock()
    if secret is not None:
        tenant_id = blocklists.tenant_of_token(session, tenant, secret)
        lines = blocklists.entries(session, tenant_id, name, now)
    else:
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        if not value.strip():
            raise Unauthenticated("a block list token (Basic password or Bearer) is required")
        scope = request.app.state.resolve_credentials(session, scheme.lower(), value.strip(), clock)
        lines = blocklists.scoped_entries(session, scope, tenant, name, now)
    body = "".join(f"{line}\n" for line in lines)
    return Response(
        body, media_type="text/plain; charset=utf-8", headers={"Cache-Control": "no-store"}
    )


def _blocklist_secret(header: str) -> str | None:
    scheme, _, value = header.partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer" and blocklists.is_blocklist_token(value):
        return value
    if scheme.lower() == "basic":
        try:
            password = base64.b64decode(value).decode().partition(":")[2]
        except (binascii.Error, UnicodeDecodeError):
            return None
        if blocklists.is_blocklist_token(password):
            return password
    return None
