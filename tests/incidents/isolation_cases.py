"""Tenant-isolation cases of the incidents, actions, block lists, notifications and referents
routes, plugged into ``tests/web/test_isolation.py`` (its matrix must cover every route)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from vigile.config import Settings
from vigile.events.store import content_hash
from vigile.incidents import actions, escalation
from vigile.incidents import service as incidents
from vigile.incidents.schemas import ActionIn, IncidentCreate
from vigile.incidents.types import ActionType
from vigile.notify.models import Notification
from vigile.referents import service as referents
from vigile.referents.schemas import ReferentIn
from vigile.referents.types import ReferentRole
from vigile.scope import local_operator

BETA_EVENT = content_hash('{"isolation":"beta"}')  # stored by test_isolation's fixture


def seed(
    session: Session, slug: str, alert_id: int, clock: Callable[[], datetime]
) -> dict[str, int]:
    """Per tenant: a referent, an incident from the alert (escalated), a second incident, a
    proposed block_ip action."""
    op = local_operator("test")
    data = ReferentIn(name=f"{slug} rssi", email=f"rssi@{slug}.example")
    referents.set_referent(session, op, slug, ReferentRole.PRIMARY, data, clock)
    incident = incidents.create_incident(session, op, IncidentCreate(from_alert=alert_id), clock)
    second = incidents.create_incident(
        session, op, IncidentCreate(tenant=slug, title="second", criticality=2), clock
    )
    escalation.escalate(session, op, incident.id, "", timedelta(minutes=30), clock)
    notification = session.query(Notification).filter_by(subject_id=incident.id).one()
    proposal = ActionIn(
        incident_id=incident.id, type=ActionType.BLOCK_IP, target="192.0.2.1", reason="c2"
    )
    action = actions.propose(session, op, proposal, Settings(), clock)
    return {
        f"{slug}.incident": incident.id,
        f"{slug}.second": second.id,
        f"{slug}.action": action.id,
        f"{slug}.notification": notification.id,
    }


def _inc(slug: str, tail: str = "") -> Callable[[Any], str]:
    return lambda w: f"/api/v1/incidents/{w.incident_ids[f'{slug}.incident']}{tail}"


def _act(slug: str, tail: str = "") -> Callable[[Any], str]:
    return lambda w: f"/api/v1/actions/{w.incident_ids[f'{slug}.action']}{tail}"


def _note(slug: str, tail: str = "") -> Callable[[Any], str]:
    return lambda w: f"/api/v1/notifications/{w.incident_ids[f'{slug}.notification']}{tail}"


def _one_alert(incident: dict[str, Any]) -> bool:
    return len(incident["alert_ids"]) == 1 and incident["status"] == "open"


OBJECT_CASES: list[dict[str, Any]] = [
    dict(
        method="GET",
        template="/api/v1/incidents/{incident_id}",
        beta_path=_inc("beta"),
        alpha_path=_inc("alpha"),
    ),
    dict(
        method="PATCH",
        template="/api/v1/incidents/{incident_id}",
        beta_path=_inc("beta"),
        alpha_path=None,
        body={"title": "stolen", "status": "contained"},
        unchanged=_one_alert,
    ),
    dict(
        method="POST",
        template="/api/v1/incidents/{incident_id}/alerts",
        beta_path=_inc("beta", "/alerts"),
        alpha_path=None,
        body={"alert_id": 1},
        readback=_inc("beta"),
        unchanged=_one_alert,
    ),
    dict(
        method="DELETE",
        template="/api/v1/incidents/{incident_id}/alerts/{alert_id}",
        beta_path=lambda w: _inc("beta", f"/alerts/{w.alert_ids['beta']}")(w),
        alpha_path=None,
        readback=_inc("beta"),
        unchanged=_one_alert,
    ),
    dict(
        method="POST",
        template="/api/v1/incidents/{incident_id}/merge",
        beta_path=_inc("beta", "/merge"),
        alpha_path=None,
        readback=_inc("beta"),
        body={"source_id": 2},
        unchanged=_one_alert,
    ),
    dict(
        method="POST",
        template="/api/v1/incidents/{incident_id}/comments",
        beta_path=_inc("beta", "/comments"),
        alpha_path=None,
        body={"text": "stolen"},
        readback=_inc("beta", "/timeline"),
    ),
    dict(
        method="POST",
        template="/api/v1/incidents/{incident_id}/csirt",
        beta_path=_inc("beta", "/csirt"),
        alpha_path=None,
        body={"note": "stolen"},
        readback=_inc("beta"),
        unchanged=lambda i: i["csirt_handed_at"] is None,
    ),
    dict(
        method="POST",
        template="/api/v1/incidents/{incident_id}/escalate",
        beta_path=_inc("beta", "/escalate"),
        alpha_path=None,
        body={"note": "stolen"},
        readback=_inc("beta", "/timeline"),
        unchanged=lambda t: [e["kind"] for e in t].count("escalated") == 1,
    ),
    dict(
        method="GET",
        template="/api/v1/incidents/{incident_id}/timeline",
        beta_path=_inc("beta", "/timeline"),
        alpha_path=_inc("alpha", "/timeline"),
    ),
    dict(
        method="GET",
        template="/api/v1/incidents/{incident_id}/evidence",
        beta_path=_inc("beta", "/evidence"),
        alpha_path=_inc("alpha", "/evidence"),
    ),
    dict(
        method="POST",
        template="/api/v1/incidents/{incident_id}/evidence",
        beta_path=_inc("beta", "/evidence"),
        alpha_path=None,
        body={"event_id": BETA_EVENT},
        readback=_inc("beta", "/evidence"),
        unchanged=lambda e: e == [],
    ),
    dict(
        method="GET",
        template="/api/v1/incidents/{incident_id}/export",
        beta_path=_inc("beta", "/export"),
        alpha_path=_inc("alpha", "/export"),
    ),
    dict(
        method="GET",
        template="/api/v1/actions/{action_id}",
        beta_path=_act("beta"),
        alpha_path=_act("alpha"),
    ),
    *(
        dict(
            method="POST",
            template=f"/api/v1/actions/{{action_id}}/{step}",
            beta_path=_act("beta", f"/{step}"),
            alpha_path=None,
            readback=_act("beta"),
            unchanged=lambda a: a["state"] == "proposed",
        )
        for step in ("approve", "apply", "revert")
    ),
    dict(
        method="PUT",
        template="/api/v1/actions/policies/{tenant}/{action_type}",
        beta_path=lambda w: "/api/v1/actions/policies/beta/block_ip",
        alpha_path=None,
        body={"approval_required": False},
        readback=lambda w: "/api/v1/tenants/beta",
    ),
    dict(
        method="GET",
        template="/api/v1/blocklists/{tenant}/{name}.txt",
        beta_path=lambda w: "/api/v1/blocklists/beta/ip.txt",
        alpha_path=lambda w: "/api/v1/blocklists/alpha/ip.txt",
    ),
    dict(
        method="GET",
        template="/api/v1/notifications/{notification_id}",
        beta_path=_note("beta"),
        alpha_path=_note("alpha"),
    ),
    dict(
        method="POST",
        template="/api/v1/notifications/{notification_id}/acknowledge",
        beta_path=_note("beta", "/acknowledge"),
        alpha_path=_note("alpha", "/acknowledge"),
        readback=_note("beta"),
        unchanged=lambda n: n["acknowledged_at"] is None,
    ),
    dict(
        method="GET",
        template="/api/v1/tenants/{slug}/referents",
        beta_path=lambda w: "/api/v1/tenants/beta/referents",
        alpha_path=lambda w: "/api/v1/tenants/alpha/referents",
    ),
    dict(
        method="PUT",
        template="/api/v1/tenants/{slug}/referents/{role}",
        beta_path=lambda w: "/api/v1/tenants/beta/referents/backup",
        alpha_path=lambda w: "/api/v1/tenants/alpha/referents/backup",
        body={"name": "stolen", "email": "stolen@example.org"},
        readback=lambda w: "/api/v1/tenants/beta/referents?history=true",
    ),
]

LIST_CASES: dict[str, Callable[[Any, dict[str, Any]], bool]] = {
    "/api/v1/incidents": lambda w, item: item["tenant"] == "beta",
    "/api/v1/actions": lambda w, item: item["tenant"] == "beta",
    "/api/v1/notifications": lambda w, item: item["tenant_id"] == w.tenant_ids["beta"],
}

EXEMPT_CASES = {
    ("POST", "/api/v1/incidents"): "creation: tests/incidents/test_scoping.py",
    ("POST", "/api/v1/actions"): "creation: tests/incidents/test_scoping.py",
}
