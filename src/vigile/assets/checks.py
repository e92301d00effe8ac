"""True-up checks (art. 4): measure, compare, price, record — around :mod:`trueup`.

The previous check is the latest one recorded under the same offer (a new subscribed count
set by ``contract set`` starts afresh: the first check compares with the subscription). A check
cannot be dated before the latest recorded one. After a regularisation the monitored count
becomes the subscribed count (same offer) until the next check, termination or a new offer.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vigile.assets import trueup
from vigile.assets.models import AssetCheck
from vigile.assets.schemas import CheckOut
from vigile.assets.service import monitored_count
from vigile.assets.types import Counting
from vigile.audit import service as audit
from vigile.errors import InvalidInput
from vigile.pagination import PageRequest
from vigile.scope import CallerScope
from vigile.tenants import contract_service as contract
from vigile.tenants import service as tenants
from vigile.tenants.types import TenantStatus

NO_CREDIT = (
    "Baisse du nombre d'assets surveillés : aucun avoir n'est émis. / "
    "Fewer monitored assets: no credit (a decrease never produces a credit)."
)


def _notes(result: trueup.CheckResult) -> list[str]:
    notes = []
    if result.decrease:
        notes.append(NO_CREDIT)
    if result.regularisation_due:
        notes.append(
            f"Régularisation due sur {result.excess} asset(s) au-delà du souscrit, au prorata "
            f"de l'année d'abonnement restante. / Regularisation due on {result.excess} "
            "asset(s) above the subscription, prorated over the subscription year left."
        )
    elif result.increase > 0:
        notes.append(
            "Hausse inférieure à 5 % du total souscrit, ou aucun asset au-delà du souscrit : "
            "pas de régularisation. / Increase below 5 % of the subscribed total, or no asset "
            "above the subscription: no regularisation."
        )
    return notes


def _out(
    result: trueup.CheckResult, slug: str, on: date, measured: int, check_id: int | None
) -> CheckOut:
    return CheckOut(
        id=check_id,
        tenant=slug,
        at=on,
        monitored=result.monitored,
        measured=measured,
        subscribed=result.subscribed,
        previous=result.previous,
        increase=result.increase,
        increase_pct=None if result.increase_pct is None else float(result.increase_pct),
        threshold_pct=trueup.THRESHOLD_PERCENT,
        regularisation_due=result.regularisation_due,
        above_subscription=result.excess,
        unit_price=CheckOut.money(result.unit_price),
        year_start=result.year.start,
        year_end=result.year.end,
        days_left=result.year.days_left(on),
        days_in_year=result.year.days,
        amount=f"{result.amount:.2f}",
        subscribed_after=result.subscribed_after,
        recorded=check_id is not None,
        notes=_notes(result),
    )


def run_check(
    session: Session,
    scope: CallerScope,
    slug: str,
    on: date,
    counting: Counting,
    *,
    monitored: int | None = None,
    dry_run: bool = False,
) -> CheckOut:
    """Check monitored against subscribed assets on ``on`` (provider staff); record it and its
    regularisation unless ``dry_run``. ``monitored`` overrides the measured count."""
    tenant = tenants.get_tenant(session, scope, slug)
    scope.require_provider()
    if tenant.status == TenantStatus.TERMINATED:
        raise InvalidInput(f"tenant {slug!r} is terminated: no true-up check")
    terms = contract.terms(session, scope, tenant.id, lock=not dry_run)
    if terms.subscribed_assets is None or terms.subscription_start is None:
        raise InvalidInput(
            "set the subscribed asset count and the subscription start first "
            "(vigile contract set --subscribed-assets N --subscription-start YYYY-MM-DD)"
        )
    latest = session.scalar(
        select(AssetCheck)
        .where(AssetCheck.tenant_id == tenant.id)
        .order_by(AssetCheck.checked_on.desc(), AssetCheck.id.desc())
        .limit(1)
    )
    if latest is not None and on < latest.checked_on:
        raise InvalidInput(
            f"a check cannot be dated before the latest one ({latest.checked_on.isoformat()})"
        )
    same_offer = latest is not None and latest.offer_version == terms.offer_version
    previous = latest.monitored if latest is not None and same_offer else None
    measured = monitored_count(session, scope, tenant.id, on, counting)
    price = contract.price_in_force(session, scope, tenant.id, on)
    try:
        result = trueup.check(
            monitored=measured if monitored is None else monitored,
            subscribed=terms.subscribed_assets,
            previous=previous,
            subscription_start=terms.subscription_start,
            on=on,
            unit_price=None if price is None else Decimal(price.yearly_price),
        )
    except ValueError as exc:
        raise InvalidInput(str(exc)) from exc
    if dry_run:
        return _out(result, tenant.slug, on, measured, None)
    row = AssetCheck(
        tenant_id=tenant.id,
        checked_on=on,
        offer_version=terms.offer_version,
        monitored=result.monitored,
        measured=measured,
        subscribed_before=result.subscribed,
        subscribed_after=result.subscribed_after,
        previous=previous,
        increase=result.increase,
        regularisation_due=result.regularisation_due,
        excess=result.excess,
        unit_price=result.unit_price if result.regularisation_due else None,
        year_start=result.year.start,
        year_end=result.year.end,
        amount=result.amount,
        created_by=scope.principal,
    )
    session.add(row)
    session.flush()
    if result.regularisation_due:
        contract.apply_regularisation(session, scope, tenant.id, result.subscribed_after)
    out = _out(result, tenant.slug, on, measured, row.id)
    audit.record(
        session,
        scope,
        "assets.check",
        "asset_check",
        row.id,
        tenant_id=tenant.id,
        details=out.model_dump(mode="json", exclude={"notes"}),
    )
    return out


def list_checks(
    session: Session, scope: CallerScope, slug: str, page: PageRequest
) -> tuple[list[AssetCheck], int]:
    """A tenant's recorded checks, newest first (the client reads its own)."""
    scope.require_api()
    tenant = tenants.get_tenant(session, scope, slug)
    query = select(AssetCheck).where(AssetCheck.tenant_id == tenant.id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    order = (AssetCheck.checked_on.desc(), AssetCheck.id.desc())
    return list(
        session.scalars(query.order_by(*order).limit(page.limit).offset(page.offset))
    ), total
