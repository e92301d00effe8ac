"""`vigile contract …`: contract terms, phases, prices and perimeter changes of a tenant."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

import orjson
import typer
from rich.table import Table

from vigile.cli_support import cli_errors, cli_session, console, fail, operator, parse_date
from vigile.db import utcnow
from vigile.pagination import PageRequest
from vigile.tenants import contract_service, perimeter_service
from vigile.tenants import service as tenants
from vigile.tenants.contract_schemas import (
    CommitteeRecurrence,
    ContractOut,
    ContractUpdate,
    PerimeterChangeIn,
    PerimeterChangeKind,
    PriceIn,
    ServiceHours,
)

app = typer.Typer(help="Contract terms: phases, assets, prices, committees.", no_args_is_help=True)
perimeter_app = typer.Typer(help="Perimeter changes declared by the client.", no_args_is_help=True)
app.add_typer(perimeter_app, name="perimeter")

Format = Annotated[str, typer.Option("--format", help="table or json.")]
Tenant = Annotated[str, typer.Option("--tenant", help="Tenant slug.")]


def _echo_json(data: Any) -> None:
    typer.echo(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode())


def _show(contract: ContractOut, output: str) -> None:
    if output == "json":
        _echo_json(contract.model_dump(mode="json"))
        return
    table = Table(show_header=False, box=None)
    data = contract.model_dump(mode="json", exclude={"prices", "price_in_force"})
    for key, value in data.items():
        shown = ", ".join(value) if isinstance(value, list) else value
        table.add_row(f"[bold]{key}[/bold]", "—" if shown in (None, "") else str(shown))
    price = contract.price_in_force
    table.add_row(
        "[bold]price_in_force[/bold]",
        f"{price.yearly_price} {price.currency}/asset/year from {price.effective_from}"
        if price
        else "—",
    )
    console.print(table)
    if contract.prices:
        prices = Table("from", "yearly price per asset", "currency", "by")
        for p in contract.prices:
            prices.add_row(
                p.effective_from.isoformat(), f"{p.yearly_price}", p.currency, p.created_by
            )
        console.print(prices)


def _date(value: str | None, option: str) -> Any:
    if value is None:
        return None
    return None if value.lower() == "none" else parse_date(value, option)


@app.command("set")
def set_(
    tenant: Tenant,
    offer: Annotated[str | None, typer.Option("--offer", help="Offer reference.")] = None,
    build_start: Annotated[str | None, typer.Option(help="YYYY-MM-DD or none.")] = None,
    run_start: Annotated[
        str | None, typer.Option(help="Instance/licence received, YYYY-MM-DD or none.")
    ] = None,
    go_live: Annotated[str | None, typer.Option(help="YYYY-MM-DD or none.")] = None,
    service_hours: Annotated[ServiceHours | None, typer.Option(help="business or 24x7.")] = None,
    subscribed_assets: Annotated[
        int | None, typer.Option(help="Subscribed asset count (a new offer).", min=0)
    ] = None,
    subscription_start: Annotated[str | None, typer.Option(help="YYYY-MM-DD.")] = None,
    asset_price: Annotated[
        str | None, typer.Option(help="Per-asset yearly price, e.g. 120.00 (with --price-from).")
    ] = None,
    price_from: Annotated[str | None, typer.Option(help="Price in force from YYYY-MM-DD.")] = None,
    currency: Annotated[str, typer.Option(help="Currency of --asset-price.")] = "EUR",
    committee: Annotated[CommitteeRecurrence | None, typer.Option(help="Recurrence.")] = None,
    output: Format = "table",
) -> None:
    """Set a tenant's contract terms (only the options given; prices keep their history)."""
    given: dict[str, Any] = {}
    for name, value, option in [
        ("build_start", build_start, "--build-start"),
        ("run_start", run_start, "--run-start"),
        ("go_live", go_live, "--go-live"),
        ("subscription_start", subscription_start, "--subscription-start"),
    ]:
        if value is not None:
            given[name] = _date(value, option)
    if offer is not None:
        given["offer_reference"] = None if offer.lower() == "none" else offer
    others = {
        "service_hours": service_hours,
        "subscribed_assets": subscribed_assets,
        "committee_recurrence": committee,
    }
    given |= {name: value for name, value in others.items() if value is not None}
    price = None
    if (asset_price is None) != (price_from is None):
        raise fail("--asset-price and --price-from go together")
    with cli_errors():
        changes = ContractUpdate(**given)
        if asset_price is not None and price_from is not None:
            try:
                amount = Decimal(asset_price)
            except InvalidOperation as exc:
                raise fail(f"--asset-price: not an amount: {asset_price!r}") from exc
            price = PriceIn(
                yearly_price=amount,
                effective_from=parse_date(price_from, "--price-from"),
                currency=currency,
            )
    today = utcnow().date()
    with cli_session() as session:
        scope = operator()
        if price is not None:
            contract_service.add_price(session, scope, tenant, price)
        contract = contract_service.update_contract(session, scope, tenant, changes, today)
    _show(contract, output)


@app.command("show")
def show(tenant: Tenant, output: Format = "table") -> None:
    """Show a tenant's contract, phases and prices."""
    with cli_session() as session:
        contract = contract_service.show_contract(session, operator(), tenant, utcnow().date())
    _show(contract, output)


@perimeter_app.command("add")
def perimeter_add(
    tenant: Tenant,
    on: Annotated[str, typer.Option("--date", help="Date of the change, YYYY-MM-DD.")],
    description: Annotated[str, typer.Option("--description", help="What changes.")],
    kind: Annotated[PerimeterChangeKind, typer.Option()] = PerimeterChangeKind.CONFIGURATION,
    asset: Annotated[list[str] | None, typer.Option("--asset", help="Affected asset.")] = None,
) -> None:
    """Record a perimeter change declared by the client."""
    with cli_errors():
        data = PerimeterChangeIn(
            changed_on=parse_date(on, "--date"),
            kind=kind,
            description=description,
            affected_assets=asset or [],
        )
    with cli_session() as session:
        change = perimeter_service.declare_change(session, operator(), tenant, data)
    console.print(f"perimeter change {change.id} recorded for {tenant} on {change.changed_on}")


@perimeter_app.command("list")
def perimeter_list(
    tenant: Tenant,
    start: Annotated[str | None, typer.Option("--from", help="YYYY-MM-DD.")] = None,
    end: Annotated[str | None, typer.Option("--to", help="YYYY-MM-DD.")] = None,
    output: Format = "table",
) -> None:
    """List a tenant's perimeter changes (newest first)."""
    first = parse_date(start, "--from")
    last = parse_date(end, "--to")
    with cli_session() as session:
        tenants.get_tenant(session, operator(), tenant)
        rows, _ = perimeter_service.list_changes(
            session, operator(), tenant, PageRequest(limit=10_000), first, last
        )
    if output == "json":
        _echo_json([r.model_dump(mode="json") for r in rows])
        return
    table = Table("id", "date", "kind", "description", "assets", "declared by")
    for r in rows:
        table.add_row(
            str(r.id),
            r.changed_on.isoformat(),
            r.kind.value,
            r.description,
            ", ".join(r.affected_assets),
            r.declared_by,
        )
    console.print(table)
