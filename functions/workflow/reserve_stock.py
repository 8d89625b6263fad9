"""Workflow step ReserveStock: route the order, then reserve every parcel in one ledger transaction.

The routing engine decides from a snapshot of available units; the transaction is the ground truth. When
it finds the snapshot stale (INSUFFICIENT), the step reads again and routes again, at most `ROUTE_ATTEMPTS`
times, then gives up as `ReservationConflict` (transient: the state machine retries the step). The decision
is stored on the order (`routing`) before the reservation, so a retry after a crash reserves what was decided
and a person can always read why (`GET /orders/{order_key}/decision`), also when nothing could be routed.

Outcomes for the state machine (small: never the order or the decision):
- RESERVED: every parcel held (`parcels`, `node_ids`);
- OUT_OF_STOCK: no plan passes the routing filters (stock, coverage, capability, ...), the order backorders;
- NOT_REQUIRED: a till sale (STORE_SALE): nothing to ship; the sold units are taken off the store's stock at
  once (reserve + commit at the store, `shop_id`), and the workflow marks the order DONE;
- CANCELLED: the order was cancelled before or while reserving (any reservation is given back).
"""

from functools import cache
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.common import inventory, json_attribute, load_order, publish
from functions.workflow.logic.fulfilment import ParcelPlan, allocations, parcels_of, shortages
from functions.workflow.logic.routing import (
    Network,
    RoutingDecision,
    RoutingPolicy,
    check_references,
    load_network,
    load_policy,
    route,
)
from functions.workflow.models import StepInput
from hubcore.adapters.inventory import (
    InventoryTable,
    ReservationConflict,
    ReservationStatus,
    ReservedLine,
    ReserveOutcome,
)
from hubcore.adapters.orders_table import FulfilmentStore, StoredOrder
from hubcore.observability import logger, metrics
from schemas.events import ReservationFailed, Shortage, StockLine, StockReserved
from schemas.order import FulfilmentMode, Order
from schemas.timeutil import utc_now

ROUTE_ATTEMPTS = 3


@cache
def routing_config() -> tuple[Network, RoutingPolicy]:
    """The network and policy, loaded and cross-checked once per cold start."""
    network, policy = load_network(), load_policy()
    check_references(policy, network)
    return network, policy


def _result(outcome: str, parcels: list[ParcelPlan] | None = None) -> dict[str, Any]:
    node_ids = list(dict.fromkeys(p.node_id for p in parcels or []))
    return {
        "outcome": outcome,
        "parcels": len(parcels or []),
        "node_ids": node_ids,
        "node_id": node_ids[0] if node_ids else None,
    }


def _snapshot(order: Order, stock: InventoryTable) -> dict[tuple[str, str], int]:
    skus = sorted({line.merchant_sku for line in order.lines})
    return {(level.sku, level.node_id): level.available for sku in skus for level in stock.stock(sku)}


def _summary(parcels: list[ParcelPlan]) -> dict[str, Any]:
    """The `reservation` attribute: the parcels to fulfil (the ledger holds the units)."""
    node_ids = list(dict.fromkeys(p.node_id for p in parcels))
    return {
        "node_id": node_ids[0],
        "node_ids": node_ids,
        "lines": [{"sku": sku, "node_id": node, "quantity": units} for sku, node, units in allocations(parcels)],
        "parcels": [p.model_dump(mode="json") for p in parcels],
    }


def reserve(step: StepInput) -> dict[str, Any]:
    table, stock = FulfilmentStore(), inventory()
    stored = load_order(step.order_key, table)
    if stored.hub_state == "CANCELLED":
        return _result("CANCELLED")
    order = stored.order
    network, policy = routing_config()
    if order.fulfilment_mode is FulfilmentMode.STORE_SALE:  # idempotent: a retry finds the sale committed
        decision = route(order, network, policy, {}, now=utc_now())
        table.set_fields(step.order_key, {"routing": decision.model_dump_json()})
        return _till_sale(step, table, stock, order)
    existing = stock.reservation(step.order_key)
    if existing is not None:  # a retry after the reservation was written: keep what was decided
        return _settled(step, table, stock, stored, _parcels_on_record(stored, existing.lines), new=False)
    for _ in range(ROUTE_ATTEMPTS):
        available = _snapshot(order, stock)
        decision = route(order, network, policy, available, now=utc_now())
        table.set_fields(step.order_key, {"routing": decision.model_dump_json()})
        parcels = parcels_of(decision, step.order_key)
        if not parcels:
            return _out_of_stock(step, order, decision, available, network)
        result = stock.reserve(step.order_key, allocations=allocations(parcels))
        if result.outcome == ReserveOutcome.INSUFFICIENT:
            logger.info("stock moved since the snapshot: routing again", short=[s[0] for s in result.shortages])
            continue
        return _settled(step, table, stock, stored, parcels, new=result.outcome == ReserveOutcome.RESERVED)
    raise ReservationConflict(f"stock kept moving under {ROUTE_ATTEMPTS} routing attempts; the step is retried")


def _parcels_on_record(stored: StoredOrder, reserved: tuple[ReservedLine, ...]) -> list[ParcelPlan]:
    """The parcels of an existing reservation: as stored with the decision, or rebuilt from the ledger lines."""
    summary = json_attribute(stored, "reservation") or {}
    if summary.get("parcels"):
        return [ParcelPlan.model_validate(p) for p in summary["parcels"]]
    if stored.attributes.get("routing"):
        parcels = parcels_of(RoutingDecision.model_validate_json(stored.attributes["routing"]), stored.order.order_key)
        if sorted(allocations(parcels)) == sorted((x.sku, x.node_id, x.quantity) for x in reserved):
            return parcels
    by_node: dict[str, list[dict[str, Any]]] = {}
    line_ids = {line.merchant_sku: line.line_id for line in stored.order.lines}
    for x in reserved:
        line = {"line_id": line_ids.get(x.sku, x.sku), "sku": x.sku, "quantity": x.quantity}
        by_node.setdefault(x.node_id, []).append(line)
    return [ParcelPlan.model_validate({"node_id": node, "lines": lines}) for node, lines in by_node.items()]


def _settled(
    step: StepInput,
    table: FulfilmentStore,
    stock: InventoryTable,
    stored: StoredOrder,
    parcels: list[ParcelPlan],
    *,
    new: bool,
) -> dict[str, Any]:
    reservation = stock.reservation(step.order_key)
    if reservation is not None and reservation.status == ReservationStatus.RELEASED:
        return _result("CANCELLED", parcels)  # released by a cancellation that came first
    node_ids = list(dict.fromkeys(p.node_id for p in parcels))
    where = node_ids[0] if len(node_ids) == 1 else f"{len(node_ids)} nodes ({', '.join(node_ids)}): split shipment"
    applied = table.move(
        step.order_key,
        "RESERVED",
        f"stock reserved at {where}",
        fields={"reservation": _summary(parcels)},
        not_from=("CANCELLED",),
    )
    if not applied:
        stock.release(step.order_key)  # the order was cancelled while we reserved: give the stock back
        return _result("CANCELLED", parcels)
    if new:
        for node_id, lines in _by_node(parcels).items():
            publish(
                StockReserved(order_key=step.order_key, node_id=node_id, lines=lines),
                order_key=step.order_key,
                channel=stored.order.channel,
            )
        metrics.add_metric(name="StockReserved", unit=MetricUnit.Count, value=1)
        if len(node_ids) > 1:
            metrics.add_metric(name="SplitReservations", unit=MetricUnit.Count, value=1)
    return _result("RESERVED", parcels)


def _by_node(parcels: list[ParcelPlan]) -> dict[str, list[StockLine]]:
    grouped: dict[str, list[StockLine]] = {}
    for sku, node_id, units in allocations(parcels):
        grouped.setdefault(node_id, []).append(StockLine(sku=sku, quantity=units))
    return grouped


def _out_of_stock(
    step: StepInput,
    order: Order,
    decision: RoutingDecision,
    available: dict[tuple[str, str], int],
    network: Network,
) -> dict[str, Any]:
    short = shortages(order, available, [node.node_id for node in network.nodes])
    reason = decision.why[0] if decision.why else "no plan passes the routing filters"
    publish(
        ReservationFailed(
            order_key=step.order_key,
            reason=f"{decision.outcome.value}: {reason}"[:500],
            shortages=[Shortage(sku=s, requested=r, available=a) for s, r, a in short],
        ),
        order_key=step.order_key,
        channel=order.channel,
    )
    metrics.add_metric(name="OutOfStock", unit=MetricUnit.Count, value=1)
    return _result("OUT_OF_STOCK")


def _till_sale(step: StepInput, table: FulfilmentStore, stock: InventoryTable, order: Order) -> dict[str, Any]:
    """A till sale left the store with the buyer: take the units off the store's stock, nothing to ship.

    The store is the selling shop (`shop_id`, the POS store id and its ledger node). If the ledger cannot
    take them (the store's count lags the till), the sale still stands: the shortfall is logged and counted
    (`TillSaleNotInLedger`) for the next stock take rather than blocking a sale that already happened.
    """
    store = order.shop_id
    wanted = [(line.merchant_sku, store, line.quantity) for line in order.lines]
    merged: dict[tuple[str, str], int] = {}
    for sku, node_id, units in wanted:
        merged[(sku, node_id)] = merged.get((sku, node_id), 0) + units
    result = stock.reserve(step.order_key, allocations=[(s, n, q) for (s, n), q in sorted(merged.items())])
    if result.outcome == ReserveOutcome.INSUFFICIENT:
        logger.warning("till sale not in the store's ledger", store=store, short=[s[0] for s in result.shortages])
        metrics.add_metric(name="TillSaleNotInLedger", unit=MetricUnit.Count, value=1)
        detail = f"sold at the till of {store}; the ledger lacked the units (stock take needed)"
    elif result.reservation is not None and result.reservation.status == ReservationStatus.HELD:
        stock.commit(step.order_key)
        detail = f"sold at the till of {store}; units taken off its stock"
    else:
        detail = f"sold at the till of {store}; its stock was settled before (a retry)"
    table.move(step.order_key, "RESERVED", detail, fields={"till_sale": True}, not_from=("CANCELLED",))
    return {"outcome": "NOT_REQUIRED", "parcels": 0, "node_ids": [store], "node_id": store}


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    step = StepInput.model_validate(event)
    logger.append_keys(order_key=step.order_key)
    return reserve(step)
