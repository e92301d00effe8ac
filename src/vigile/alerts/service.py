"""Alerts: raising from detections (with deduplication), lifecycle, comments. Tenant-scoped.

Every change is recorded twice in the same transaction: in the alert's timeline
(``alert_events``, which notifications will read) and in the hash-chained audit trail.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import insert, select, tuple_
from sqlalchemy.orm import Session

from vigile.alerts import evidence as ev
from vigile.alerts.intake import add_evidence, join
from vigile.alerts.models import Alert, AlertEvent, AlertEvidence, RuleException
from vigile.alerts.policy import MAX_CLOCK_SKEW, AlertPolicy
from vigile.alerts.rules import active_exception
from vigile.alerts.schemas import AlertInput, criticality
from vigile.alerts.types import AlertState, EventKind, RaiseStatus, Verdict
from vigile.audit import service as audit
from vigile.auth import service as auth
from vigile.errors import Conflict, InvalidInput, NotFound, VigileError
from vigile.scope import CallerScope, Role
from vigile.service_levels import Deadline, Level, ServiceLevelError, compute_deadline, require_utc
from vigile.tenants import service as tenants

Clock = Callable[[], datetime]
NO_OPEN_TIME = "calendar has no open time"


@dataclass(frozen=True)
class RaiseOutcome:
    """A new alert, an open alert joined (deduplicated), or nothing: the rule is excepted."""

    status: RaiseStatus
    alert: Alert | None
    exception_reason: str | None = None


def raise_alert(
    session: Session,
    scope: CallerScope,
    tenant_id: int,
    detection: AlertInput,
    clock: Clock,
    policy: AlertPolicy | None = None,
) -> RaiseOutcome:
    """Raise ``detection`` for a tenant: join the open alert of the same rule and key fields
    within the deduplication window, or open a new alert with its deadline; skip a rule the
    provider disabled for this tenant."""
    policy = policy or AlertPolicy()
    scope.require_provider()
    tenant = tenants.get_tenant_by_id(session, scope, tenant_id)
    now = clock()
    raised = require_utc(detection.raised_at or now, "raised_at")
    if raised > now + MAX_CLOCK_SKEW:
        raise InvalidInput(f"raised_at {raised.isoformat()} is in the future")
    level = criticality(detection.rule_level)
    excepted = active_exception(session, tenant.id, detection.rule_id)
    if excepted is not None:
        return RaiseOutcome(RaiseStatus.SUPPRESSED, None, excepted.reason)
    key = ev.dedup_key(detection.rule_id, detection.events[0], detection.key_fields)
    assets = ev.extract_assets(detection.events)
    if policy.dedup_window:
        joined = session.scalar(
            select(Alert)
            .where(
                Alert.tenant_id == tenant.id,
                Alert.rule_id == detection.rule_id,
                Alert.dedup_key == key,
                Alert.state != AlertState.CLOSED,
                Alert.last_seen_at >= raised - policy.dedup_window,
                Alert.raised_at <= raised + policy.dedup_window,
            )
            .order_by(Alert.id.desc())
            .limit(1)
        )
        if joined is not None:
            join(session, joined, detection, assets, raised, policy)
            return RaiseOutcome(RaiseStatus.JOINED, joined)
    deadline = _deadline(session, scope, tenant.id, level, raised)
    alert = _new_alert(tenant.id, detection, key, assets, level, raised, deadline)
    session.add(alert)
    session.flush()
    add_evidence(session, alert, detection.events, raised, policy)
    details = {"rule_id": alert.rule_id, "level": alert.level, "due_at": _iso(alert.due_at)}
    _record(
        session, scope, alert, EventKind.RAISED, now, details=details | {"sla": deadline.reason}
    )
    return RaiseOutcome(RaiseStatus.CREATED, alert)


_CHUNK = 300  # rows per IN (...) query: a bound on SQL parameters


@dataclass
class _Open:
    """An alert touched by a batch, with its kept evidence hashes and merged assets."""

    alert: Alert
    kept: set[str]
    assets: ev.Assets | None = None  # merged assets to write back (None: unchanged)
    pending: list[tuple[dict[str, Any], str, datetime]] = field(default_factory=list)
    """Evidence to insert: (event, its content hash, when seen)."""


def raise_alerts(
    session: Session,
    scope: CallerScope,
    detections: Sequence[tuple[int, AlertInput]],
    clock: Clock,
    policy: AlertPolicy | None = None,
    ahead: Sequence[ev.Prepared] | None = None,
) -> list[RaiseOutcome | Exception]:
    """:func:`raise_alert` for a batch of ``(tenant id, detection)``, in the caller's
    transaction, with the same outcome as raising them one by one in order: each tenant,
    exception list, service terms and the open alerts of the batch's dedup keys are read
    once, new alerts and their evidence are inserted together, and each created alert still
    gets its timeline row and its audit entry. A detection that cannot be raised (tenant
    gone, invalid level or time) gets its error in the result instead of an outcome.
    ``ahead``: each detection's :func:`evidence.prepare` (dedup key, assets), when the
    caller computed them already."""
    policy = policy or AlertPolicy()
    scope.require_provider()
    now = clock()
    out: list[RaiseOutcome | Exception] = [InvalidInput("not raised")] * len(detections)
    known: dict[int, int | Exception] = {}
    prepared: list[tuple[int, int, AlertInput, datetime, Level]] = []
    for i, (tenant_id, detection) in enumerate(detections):
        tenant = known.get(tenant_id)
        if tenant is None:
            try:
                tenant = tenants.get_tenant_by_id(session, scope, tenant_id).id
            except (VigileError, ValueError) as exc:
                tenant = exc
            known[tenant_id] = tenant
        try:
            if isinstance(tenant, Exception):
                raise tenant
            raised = require_utc(detection.raised_at or now, "raised_at")
            if raised > now + MAX_CLOCK_SKEW:
                raise InvalidInput(f"raised_at {raised.isoformat()} is in the future")
            prepared.append((i, tenant, detection, raised, criticality(detection.rule_level)))
        except (VigileError, ValueError) as exc:
            out[i] = exc
    if not prepared:
        return out
    tenant_ids = sorted({t for _, t, _, _, _ in prepared})
    excepted = {
        (row.tenant_id, row.rule_id): row
        for row in session.scalars(
            select(RuleException).where(
                RuleException.tenant_id.in_(tenant_ids), RuleException.revoked_at.is_(None)
            )
        )
    }
    keyed: list[tuple[int, int, AlertInput, datetime, Level, ev.Prepared]] = []
    for i, tenant, detection, raised, level in prepared:
        rule_exc = excepted.get((tenant, detection.rule_id))
        if rule_exc is not None:
            out[i] = RaiseOutcome(RaiseStatus.SUPPRESSED, None, rule_exc.reason)
            continue
        prep = (
            ahead[i]
            if ahead is not None
            else ev.prepare(detection.rule_id, detection.events, detection.key_fields)
        )
        keyed.append((i, tenant, detection, raised, level, prep))
    window = policy.dedup_window
    candidates = _open_alerts(session, keyed, window) if window else {}
    touched = _with_evidence(session, [a for group in candidates.values() for a in group])
    created: list[tuple[Alert, Deadline]] = []
    deadlines: dict[tuple[int, Level, datetime], Deadline] = {}
    for i, tenant, detection, raised, level, prep in keyed:
        key, assets = prep.key, prep.assets
        group = candidates.setdefault((tenant, detection.rule_id, key), [])
        if window:
            joined = next(
                (
                    a
                    for a in reversed(group)
                    if a.last_seen_at >= raised - window and a.raised_at <= raised + window
                ),
                None,
            )
            if joined is not None:
                _join_open(touched[id(joined)], detection, prep, raised, policy)
                out[i] = RaiseOutcome(RaiseStatus.JOINED, joined)
                continue
        dkey = (tenant, level, raised)
        if dkey not in deadlines:
            deadlines[dkey] = _deadline(session, scope, tenant, level, raised)
        deadline = deadlines[dkey]
        alert = _new_alert(tenant, detection, key, assets, level, raised, deadline)
        group.append(alert)
        opened = touched[id(alert)] = _Open(alert, set())
        added = _new_evidence(opened, detection.events, prep.hashes, policy)
        opened.pending += [(e, digest, raised) for e, digest in added]
        created.append((alert, deadline))
        out[i] = RaiseOutcome(RaiseStatus.CREATED, alert)
    for opened in touched.values():
        if opened.assets is not None:
            opened.alert.assets = orjson.dumps(opened.assets.to_dict()).decode()
    session.add_all(alert for alert, _ in created)
    session.flush()  # ids of the new alerts; updates of the joined ones
    evidence_rows = [
        {
            "alert_id": o.alert.id,
            "content_hash": digest,
            "event": ev.canonical_json(event),
            "seen_at": seen,
        }
        for o in touched.values()
        for event, digest, seen in o.pending
    ]
    if evidence_rows:
        session.execute(insert(AlertEvidence), evidence_rows)
    for alert, deadline in created:
        details = {"rule_id": alert.rule_id, "level": alert.level, "due_at": _iso(alert.due_at)}
        _record(
            session, scope, alert, EventKind.RAISED, now, details=details | {"sla": deadline.reason}
        )
    return out


def _open_alerts(
    session: Session,
    keyed: Sequence[tuple[int, int, AlertInput, datetime, Level, ev.Prepared]],
    window: Any,
) -> dict[tuple[int, str, str], list[Alert]]:
    """Open alerts that detections of the batch may join, per key, oldest first."""
    keys = sorted({(t, d.rule_id, prep.key) for _, t, d, _, _, prep in keyed})
    if not keys:
        return {}
    low = min(r for _, _, _, r, _, _ in keyed) - window
    high = max(r for _, _, _, r, _, _ in keyed) + window
    cols = (Alert.tenant_id, Alert.rule_id, Alert.dedup_key)
    found: dict[tuple[int, str, str], list[Alert]] = defaultdict(list)
    for start in range(0, len(keys), _CHUNK):
        rows = session.scalars(
            select(Alert)
            .where(
                tuple_(*cols).in_(keys[start : start + _CHUNK]),
                Alert.state != AlertState.CLOSED,
                Alert.last_seen_at >= low,
                Alert.raised_at <= high,
            )
            .order_by(Alert.id)
        )
        for alert in rows:
            found[(alert.tenant_id, alert.rule_id, alert.dedup_key)].append(alert)
    return found


def _with_evidence(session: Session, alerts: list[Alert]) -> dict[int, _Open]:
    """The alerts (by ``id()``) with the hashes of the evidence they keep."""
    kept: dict[int, set[str]] = defaultdict(set)
    ids = [a.id for a in alerts]
    for start in range(0, len(ids), _CHUNK):
        rows = session.execute(
            select(AlertEvidence.alert_id, AlertEvidence.content_hash).where(
                AlertEvidence.alert_id.in_(ids[start : start + _CHUNK])
            )
        )
        for alert_id, digest in rows:
            kept[alert_id].add(digest)
    return {id(a): _Open(a, kept[a.id]) for a in alerts}


def _new_alert(
    tenant_id: int,
    detection: AlertInput,
    key: str,
    assets: ev.Assets,
    level: Level,
    raised: datetime,
    deadline: Deadline,
) -> Alert:
    return Alert(
        tenant_id=tenant_id,
        rule_id=detection.rule_id,
        rule_title=detection.rule_title,
        rule_version=detection.rule_version,
        sigma_level=detection.rule_level,
        level=int(level),
        original_level=int(level),
        state=AlertState.NEW.value,
        dedup_key=key,
        host=assets.hosts[0] if assets.hosts else None,
        assets=orjson.dumps(assets.to_dict()).decode(),
        raised_at=raised,
        last_seen_at=raised,
        match_count=1,
        due_at=deadline.due_at,
        sla_reason=deadline.reason,
        wall_clock=deadline.wall_clock,
    )


def _new_evidence(
    opened: _Open, events: list[dict[str, Any]], hashes: Sequence[str], policy: AlertPolicy
) -> list[tuple[dict[str, Any], str]]:
    """The events to keep (not kept yet, within the policy's maximum), noted as kept, with
    their hashes (``hashes``: those of ``events``)."""
    new: list[tuple[dict[str, Any], str]] = []
    for event, digest in zip(events, hashes, strict=True):
        if digest in opened.kept or len(opened.kept) >= policy.evidence_max:
            continue
        opened.kept.add(digest)
        new.append((event, digest))
    return new


def _join_open(
    opened: _Open,
    detection: AlertInput,
    prep: ev.Prepared,
    raised: datetime,
    policy: AlertPolicy,
) -> None:
    """:func:`vigile.alerts.intake.join` on an alert loaded by the batch (same rules)."""
    alert = opened.alert
    added = _new_evidence(opened, detection.events, prep.hashes, policy)
    if added:
        opened.pending += [(event, digest, raised) for event, digest in added]
    elif all(digest in opened.kept for digest in prep.hashes):
        return  # a replay of matches already counted: idempotent
    alert.match_count += 1
    alert.last_seen_at = max(alert.last_seen_at, raised)
    base = opened.assets or ev.Assets.from_dict(orjson.loads(alert.assets))
    opened.assets = base.merge(prep.assets)


def get_alert(session: Session, scope: CallerScope, alert_id: int) -> Alert:
    """One alert; NotFound when it does not exist or belongs to a tenant outside the scope."""
    scope.require_api()
    alert = session.get(Alert, alert_id)
    if alert is None or not scope.can_access(alert.tenant_id):
        raise NotFound(f"alert {alert_id} not found")
    return alert


def acknowledge(session: Session, scope: CallerScope, alert_id: int, clock: Clock) -> Alert:
    """Take the alert into account (what the service level measures): who and when."""
    alert = _for_change(session, scope, alert_id)
    if alert.state != AlertState.NEW:
        raise Conflict(f"alert {alert_id} is already {alert.state}")
    _acknowledge(session, scope, alert, clock())
    alert.state = AlertState.ACKNOWLEDGED.value
    return alert


def start(session: Session, scope: CallerScope, alert_id: int, clock: Clock) -> Alert:
    """Start working on the alert (acknowledging it first when still new)."""
    alert = _for_change(session, scope, alert_id)
    if alert.state not in (AlertState.NEW, AlertState.ACKNOWLEDGED):
        raise Conflict(f"alert {alert_id} is {alert.state}; cannot start it")
    now = clock()
    if alert.acknowledged_at is None:
        _acknowledge(session, scope, alert, now)
    alert.state = AlertState.IN_PROGRESS.value
    _record(session, scope, alert, EventKind.STARTED, now)
    return alert


def assign(
    session: Session, scope: CallerScope, alert_id: int, assignee: str | None, clock: Clock
) -> Alert:
    """Give the alert to a provider analyst who can see its tenant (None: unassign)."""
    alert = _for_change(session, scope, alert_id)
    if alert.state == AlertState.CLOSED:
        raise Conflict(f"alert {alert_id} is closed; reopen it first")
    if assignee is not None:
        user = auth.get_user(session, scope, assignee)
        if user.role == Role.CLIENT or not user.is_active:
            raise InvalidInput(f"{assignee!r} is not an active member of the provider's staff")
        if not auth.scope_for_user(session, user).can_access(alert.tenant_id):
            raise InvalidInput(f"{assignee!r} cannot see this alert's tenant")
    before, alert.assignee = alert.assignee, assignee
    _record(
        session, scope, alert, EventKind.ASSIGNED, clock(), details={"from": before, "to": assignee}
    )
    return alert


def change_level(
    session: Session, scope: CallerScope, alert_id: int, level: int, reason: str, clock: Clock
) -> Alert:
    """Change the criticality; the deadline is computed again from the original raise time."""
    alert = _for_change(session, scope, alert_id)
    new_level = Level.parse(level)
    if new_level == alert.level:
        raise Conflict(f"alert {alert_id} is already level {alert.level}")
    now = clock()
    deadline = _deadline(session, scope, alert.tenant_id, new_level, alert.raised_at)
    before = {"level": alert.level, "due_at": _iso(alert.due_at)}
    alert.level = int(new_level)
    alert.due_at, alert.sla_reason = deadline.due_at, deadline.reason
    alert.wall_clock, alert.due_soon_at = deadline.wall_clock, None
    due, acked = deadline.due_at, alert.acknowledged_at
    if due is None:
        alert.breached_at = None
    elif acked is not None:
        alert.breached_at = due if acked > due else None
    else:  # still running: keep a recorded breach only if the new deadline is past too
        alert.breached_at = due if alert.breached_at is not None and now > due else None
    after = {"level": alert.level, "due_at": _iso(alert.due_at)}
    details = {"from": before, "to": after, "reason": reason}
    _record(session, scope, alert, EventKind.LEVEL_CHANGED, now, text=reason, details=details)
    return alert


def close(
    session: Session,
    scope: CallerScope,
    alert_id: int,
    verdict: Verdict,
    comment: str,
    clock: Clock,
) -> Alert:
    """Close with a verdict and a comment (acknowledging first when still new)."""
    alert = _for_change(session, scope, alert_id)
    if alert.state == AlertState.CLOSED:
        raise Conflict(f"alert {alert_id} is already closed")
    now = clock()
    if alert.acknowledged_at is None:
        _acknowledge(session, scope, alert, now)
    alert.state = AlertState.CLOSED.value
    alert.verdict, alert.close_comment = verdict.value, comment
    alert.closed_at, alert.closed_by = now, scope.principal
    details = {"verdict": verdict.value}
    _record(session, scope, alert, EventKind.CLOSED, now, text=comment, details=details)
    return alert


def reopen(session: Session, scope: CallerScope, alert_id: int, reason: str, clock: Clock) -> Alert:
    """Reopen a closed alert (back in progress); the previous verdict stays in the timeline."""
    alert = _for_change(session, scope, alert_id)
    if alert.state != AlertState.CLOSED:
        raise Conflict(f"alert {alert_id} is not closed")
    details = {"previous_verdict": alert.verdict, "closed_by": alert.closed_by}
    alert.state = AlertState.IN_PROGRESS.value
    alert.verdict = alert.close_comment = alert.closed_by = None
    alert.closed_at = None
    _record(session, scope, alert, EventKind.REOPENED, clock(), text=reason, details=details)
    return alert


def comment(
    session: Session, scope: CallerScope, alert_id: int, text: str, clock: Clock
) -> AlertEvent:
    """Add a comment. Clients may comment on their own alerts (context for the analysts)."""
    alert = get_alert(session, scope, alert_id)
    return _record(session, scope, alert, EventKind.COMMENT, clock(), text=text)


def timeline(session: Session, scope: CallerScope, alert_id: int) -> list[AlertEvent]:
    """The alert's timeline, oldest first."""
    alert = get_alert(session, scope, alert_id)
    query = select(AlertEvent).where(AlertEvent.alert_id == alert.id).order_by(AlertEvent.id)
    return list(session.scalars(query))


def evidence(session: Session, scope: CallerScope, alert_id: int) -> list[AlertEvidence]:
    """The matching events kept with the alert, oldest first."""
    alert = get_alert(session, scope, alert_id)
    query = select(AlertEvidence).where(AlertEvidence.alert_id == alert.id)
    return list(session.scalars(query.order_by(AlertEvidence.id)))


def log_event(
    session: Session,
    alert: Alert,
    kind: EventKind,
    actor: str,
    at: datetime,
    *,
    text: str | None = None,
    details: dict[str, Any] | None = None,
) -> AlertEvent:
    """Append one timeline row (also the notification outbox)."""
    row = AlertEvent(
        alert_id=alert.id,
        tenant_id=alert.tenant_id,
        kind=kind.value,
        at=at,
        actor=actor,
        text=text,
        details=orjson.dumps(details or {}, default=str).decode(),
    )
    session.add(row)
    session.flush()
    return row


# --- helpers ------------------------------------------------------------------------------


def _for_change(session: Session, scope: CallerScope, alert_id: int) -> Alert:
    alert = get_alert(session, scope, alert_id)  # NotFound before Forbidden: no existence leak
    scope.require_provider()
    return alert


def _deadline(
    session: Session, scope: CallerScope, tenant_id: int, level: Level, raised: datetime
) -> Deadline:
    terms = tenants.service_terms(session, scope, tenant_id)
    try:
        return compute_deadline(terms, level, raised)
    except ServiceLevelError:  # a calendar without open time: keep the alert, say why
        return Deadline(level=level, raised_at=raised, due_at=None, reason=NO_OPEN_TIME)


def _acknowledge(session: Session, scope: CallerScope, alert: Alert, now: datetime) -> None:
    alert.acknowledged_at, alert.acknowledged_by = now, scope.principal
    late = alert.due_at is not None and now > alert.due_at
    _record(session, scope, alert, EventKind.ACKNOWLEDGED, now, details={"late": late})
    if late and alert.breached_at is None:
        alert.breached_at = alert.due_at
        details = {"due_at": _iso(alert.due_at), "level": alert.level, "acknowledged_late": True}
        _record(session, scope, alert, EventKind.BREACHED, now, details=details)


def _record(
    session: Session,
    scope: CallerScope,
    alert: Alert,
    kind: EventKind,
    at: datetime,
    *,
    text: str | None = None,
    details: dict[str, Any] | None = None,
) -> AlertEvent:
    row = log_event(session, alert, kind, scope.principal, at, text=text, details=details)
    audit_details = dict(details or {})
    if text is not None:
        audit_details["text"] = text
    audit.record(
        session,
        scope,
        f"alert.{kind.value}",
        "alert",
        alert.id,
        tenant_id=alert.tenant_id,
        details=audit_details,
        clock=lambda: at,
    )
    return row


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
