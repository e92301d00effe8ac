"""Connector (2): signed JSON webhook to the provider's EDR/SOAR for actions a firewall block
list cannot carry (isolate a host, disable an account, custom). The response is recorded.

Body: ``{"action_id", "op": "apply"|"revert", "tenant", "type", "target", "reason",
"expires_at", "incident_id"}``, signed like notification webhooks (``X-Vigile-Signature``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import orjson

from vigile.config import Settings
from vigile.incidents.models import ContainmentAction
from vigile.notify.transports import DeliveryError, post_signed


@dataclass(frozen=True)
class ConnectorResult:
    """What the endpoint answered."""

    ok: bool
    status: int | None
    body: str

    def note(self) -> str:
        return orjson.dumps({"ok": self.ok, "status": self.status, "body": self.body}).decode()


def call(
    settings: Settings, action: ContainmentAction, tenant: str, op: str, now: datetime
) -> ConnectorResult:
    """POST the action to ``VIGILE_ACTIONS_WEBHOOK_URL``; 2xx means done."""
    assert settings.actions_webhook_url is not None
    secret = (
        settings.actions_webhook_secret.get_secret_value()
        if settings.actions_webhook_secret
        else ""
    )
    body = orjson.dumps(
        {
            "action_id": action.id,
            "op": op,
            "tenant": tenant,
            "type": action.type,
            "target": action.target,
            "reason": action.reason,
            "incident_id": action.incident_id,
            "expires_at": action.expires_at.isoformat() if action.expires_at else None,
        },
        option=orjson.OPT_SORT_KEYS,
    )
    headers = {"Idempotency-Key": f"action:{action.id}:{op}"}
    try:
        status, text = post_signed(
            settings.actions_webhook_url,
            secret,
            body,
            str(int(now.timestamp())),
            headers,
            settings.actions_webhook_timeout,
        )
    except DeliveryError as exc:
        return ConnectorResult(False, None, str(exc))
    return ConnectorResult(200 <= status < 300, status, text)
