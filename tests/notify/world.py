"""A tenant with referents, an alert and an incident, for notification and incident tests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session, sessionmaker

from vigile.alerts import service as alerts
from vigile.alerts.schemas import AlertInput
from vigile.db import make_engine, make_sessionmaker, transaction
from vigile.incidents import service as incidents
from vigile.incidents.schemas import IncidentCreate
from vigile.referents import service as referents
from vigile.referents.schemas import ReferentIn
from vigile.referents.types import Language, ReferentRole
from vigile.scope import CallerScope, Role, local_operator
from vigile.tenants import service as tenants
from vigile.tenants.schemas import TenantCreate

PRIMARY = "rssi@acme.example"
BACKUP = "dsi@acme.example"
ANALYST_A = CallerScope(principal="analyst-a", role=Role.ANALYST, tenant_ids=None)
ANALYST_B = CallerScope(principal="analyst-b", role=Role.ANALYST, tenant_ids=None)


@dataclass
class Acme:
    sessions: sessionmaker[Session]
    tenant_id: int
    alert_id: int
    incident_id: int


def build_acme(url: str, clock: Callable[[], datetime]) -> Acme:
    op = local_operator("test")
    sessions = make_sessionmaker(make_engine(url))
    with transaction(sessions) as session:
        tenant = tenants.create_tenant(
            session, op, TenantCreate(slug="acme", name="ACME SA", go_live=date(2026, 1, 5))
        )
        referents.set_referent(
            session,
            op,
            "acme",
            ReferentRole.PRIMARY,
            ReferentIn(
                name="Rémi Rssi", email=PRIMARY, phone="+33 1 02 03 04 05", language=Language.FR
            ),
            clock,
        )
        referents.set_referent(
            session,
            op,
            "acme",
            ReferentRole.BACKUP,
            ReferentIn(name="Dana Dsi", email=BACKUP, language=Language.EN),
            clock,
        )
        detection = AlertInput(
            rule_id="5f1abf38-3f46-4b1c-9e1e-5cdd1a1a1a1a",
            rule_title="Mimikatz Use",
            rule_level="critical",
            events=[{"Computer": "WS01", "CommandLine": "mimikatz.exe sekurlsa::logonpasswords"}],
        )
        alert = alerts.raise_alert(session, op, tenant.id, detection, clock).alert
        assert alert is not None
        incident = incidents.create_incident(
            session,
            ANALYST_A,
            IncidentCreate(from_alert=alert.id, summary="Vol d'identifiants"),
            clock,
        )
        return Acme(sessions, tenant.id, alert.id, incident.id)
