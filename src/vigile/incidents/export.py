"""Export of an incident: a JSON document carrying the evidence hashes, and the same content as
readable HTML or PDF in French or English (WeasyPrint renders the HTML to PDF)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.orm import Session

from vigile.errors import InvalidInput
from vigile.incidents import actions, evidence, service, timeline, views
from vigile.incidents.types import LABELS, label
from vigile.pagination import PageRequest
from vigile.scope import CallerScope
from vigile.tenants import service as tenants

FORMAT_VERSION = 1
_env = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html", "j2"]),
)


def document(
    session: Session, scope: CallerScope, incident_id: int, now: datetime
) -> dict[str, Any]:
    """Everything about the incident, with each evidence event's SHA-256 (recorded when it was
    attached) and the hash recomputed now from the kept raw record."""
    incident = service.get_incident(session, scope, incident_id)
    tenant = tenants.get_tenant_by_id(session, scope, incident.tenant_id)
    checked = evidence.verify(evidence.list_evidence(session, scope, incident.id))
    acts, _ = actions.list_actions(session, scope, PageRequest(limit=500), incident_id=incident.id)
    return {
        "format": "vigile-incident",
        "version": FORMAT_VERSION,
        "generated_at": now.isoformat(),
        "tenant": {"slug": tenant.slug, "name": tenant.name},
        "incident": views.incident_out(session, incident, tenant.slug).model_dump(mode="json"),
        "evidence": [
            views.evidence_out(c.item).model_dump(mode="json")
            | {"sha256": c.computed_hash, "intact": c.intact, "raw": c.item.raw}
            for c in checked
        ],
        "actions": [a.model_dump(mode="json") for a in views.actions_out(session, acts)],
        "timeline": [e.model_dump(mode="json") for e in timeline.entries(session, scope, incident)],
        "hash_algorithm": "SHA-256 of the raw record's UTF-8 bytes (= the event id)",
    }


def html(doc: dict[str, Any], language: str) -> str:
    """The readable report in ``language`` (fr or en)."""
    if language not in ("fr", "en"):
        raise InvalidInput("language must be fr or en")
    labels = {k: label(k, language) for k in LABELS}
    return _env.get_template("incident.html.j2").render(doc=doc, lang=language, labels=labels)


def pdf(doc: dict[str, Any], language: str) -> bytes:
    """The readable report as PDF (WeasyPrint)."""
    from weasyprint import HTML  # heavy import, only when a PDF is asked for

    result: bytes = HTML(string=html(doc, language)).write_pdf()
    return result
