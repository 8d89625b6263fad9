"""Workflow step ReserveStock: one conditional transaction per candidate node; out of stock is an outcome."""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.common import inventory, load_order, orders, publish
from functions.workflow.logic.allocation import NodeInfo, demand, rank_nodes, shortages
from functions.workflow.models import StepInput
from hubcore.adapters.inventory import (
    InventoryTable,
    Reservation,
    ReservationLine,
    ReservationStatus,
    ReserveOutcome,
)
from hubcore.observability import logger, metrics
from schemas.events import ReservationFailed, Shortage, StockLine, StockReserved
from schemas.order import Order


def _outcome(outcome: str, node_id: str | None = None) -> dict[str, Any]:
    return {"outcome": outcome, "node_id": node_id}


def _try_nodes(order: Order, stock: InventoryTable) -> tuple[Reservation | None, bool, dict[tuple[str, str], int]]:
    """(reservation, newly reserved, stock snapshot) at the best node that can fill the whole order."""
    lines = demand(order)
    available = {(level.sku, level.node_id): level.available for line in lines for level in stock.stock(line.sku)}
    nodes = [NodeInfo(n.node_id, n.province, n.priority, n.active) for n in stock.nodes()]
    wanted = [ReservationLine(line.sku, line.quantity) for line in lines]
    for node in rank_nodes(nodes, order.receiver.province, lines, available):
        result = stock.reserve(order.order_key, node.node_id, wanted)
        if result.outcome == ReserveOutcome.INSUFFICIENT:
            logger.info("node cannot fill the order", node_id=node.node_id, short=[s[0] for s in result.shortages])
            continue
        return result.reservation, result.outcome == ReserveOutcome.RESERVED, available
    return None, False, available


def reserve(step: StepInput) -> dict[str, Any]:
    table, stock = orders(), inventory()
    stored = load_order(step.order_key, table)
    if stored.hub_state == "CANCELLED":
        return _outcome("CANCELLED")
    order = stored.order
    reservation, new, available = _try_nodes(order, stock)
    if reservation is None:
        lines = demand(order)
        short = shortages(lines, available) or [
            (line.sku, line.quantity, max((q for (s, _), q in available.items() if s == line.sku), default=0))
            for line in lines
        ]
        publish(
            ReservationFailed(
                order_key=step.order_key,
                reason="no single node can fill the whole order",
                shortages=[Shortage(sku=s, requested=r, available=max(a, 0)) for s, r, a in short],
            ),
            order_key=step.order_key,
            channel=order.channel,
        )
        metrics.add_metric(name="OutOfStock", unit=MetricUnit.Count, value=1)
        return _outcome("OUT_OF_STOCK")
    if reservation.status == ReservationStatus.RELEASED:
        return _outcome("CANCELLED", reservation.node_id)  # released by a cancellation that came first
    summary = {
        "node_id": reservation.node_id,
        "lines": [{"sku": line.sku, "quantity": line.quantity} for line in reservation.lines],
    }
    applied = table.move(
        step.order_key,
        "RESERVED",
        f"stock reserved at {reservation.node_id}",
        fields={"reservation": summary},
        not_from=("CANCELLED",),
    )
    if not applied:
        stock.release(step.order_key)  # the order was cancelled while we reserved: give the stock back
        return _outcome("CANCELLED", reservation.node_id)
    if new:
        publish(
            StockReserved(
                order_key=step.order_key,
                node_id=reservation.node_id,
                lines=[StockLine(sku=line.sku, quantity=line.quantity) for line in reservation.lines],
            ),
            order_key=step.order_key,
            channel=order.channel,
        )
        metrics.add_metric(name="StockReserved", unit=MetricUnit.Count, value=1)
    return _outcome("RESERVED", reservation.node_id)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    step = StepInput.model_validate(event)
    logger.append_keys(order_key=step.order_key)
    return reserve(step)
