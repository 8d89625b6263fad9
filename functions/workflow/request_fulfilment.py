"""Workflow step RequestFulfilment (waitForTaskToken): one fulfilment per parcel, merged with the receiver's
open fulfilment at the same node when the merge rules allow, then the workflow waits.

The order records its token and its parcels (with their fulfilment ids) before any fulfilment is opened or
joined, so a shipment that races this step always finds the order waiting. A parcel joins another order's
fulfilment only while that fulfilment is OPEN (a conditional write: never one that already shipped); the
merge rules are the routing package's (`plan_merges`: same channel, shop and merge key, SHIP, paid, within
the policy's window of the group's first order). One FulfilmentRequested is published per parcel.

The single task token is answered by the shipment API once the order's last parcel has shipped
(SendTaskSuccess), a cancellation fails it (`OrderCancelled`), or the wait times out.
"""

from datetime import datetime, timedelta
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.common import OrderCancelled, json_attribute, load_order, publish
from functions.workflow.logic.fulfilment import (
    ParcelPlan,
    fulfilment_id,
    merge_group,
    receiver_region,
    recorded_parcels,
)
from functions.workflow.logic.routing import load_policy, plan_merges
from functions.workflow.models import RequestInput
from hubcore.adapters.orders_table import FULFILMENT_OPEN, FulfilmentStore
from hubcore.observability import logger, metrics
from schemas.events import FulfilmentRequested, StockLine
from schemas.order import Order

Join = tuple[str, tuple[str, ...], str]  # (fulfilment id, the other orders in it, why the order may join)


def _joinable(table: FulfilmentStore, order: Order, group: str, node_id: str) -> Join | None:
    """(fulfilment id, its orders, why) of an open fulfilment of the receiver at the node this order may join."""
    for candidate in table.open_in_group(group, node_id):
        found = table.fulfilment(candidate)
        if found is None or found.status != FULFILMENT_OPEN or not found.order_keys:
            continue
        others = tuple(key for key in found.order_keys if key != order.order_key)
        if not others:
            continue  # this order's own fulfilment (a retried request): it is opened again, idempotently
        if len(others) < len(found.order_keys):
            return candidate, others, "joined on an earlier attempt of this request"
        members = [stored.order for key in others if (stored := table.get(key)) is not None]
        plan = plan_merges([*members, order], policy=load_policy())
        verdict = plan.verdict(order.order_key)
        together = next((g for g in plan.groups if order.order_key in g.order_keys), None)
        if verdict.merged and together is not None and others[0] in together.order_keys:
            return candidate, others, verdict.reason
        logger.info("open fulfilment of the receiver not joined", fulfilment_id=candidate, reason=verdict.reason)
    return None


def _open_until(order: Order, window_minutes: int) -> datetime:
    return order.created_at + timedelta(minutes=window_minutes)


def request(step: RequestInput) -> dict[str, Any]:
    table = FulfilmentStore()
    stored = load_order(step.order_key, table)
    order = stored.order
    group = merge_group(order)
    reservation = json_attribute(stored, "reservation") or {}
    if step.node_id and not reservation.get("node_id"):
        reservation = {**reservation, "node_id": step.node_id}
    parcels = recorded_parcels(order, None, reservation)
    joins: dict[int, Join] = {}
    if group:
        for index, parcel in enumerate(parcels):
            found = _joinable(table, order, group, parcel.node_id)
            if found:
                joins[index] = found
    planned = [
        parcel.model_copy(
            update={
                "fulfilment_id": joins[i][0] if i in joins else fulfilment_id(step.order_key, i),
                "merged_with": joins[i][1] if i in joins else (),
            }
        )
        for i, parcel in enumerate(parcels)
    ]
    ids = [p.fulfilment_id or "" for p in planned]
    where = ", ".join(f"{p.fulfilment_id} from {p.node_id}" for p in planned)
    applied = table.move(
        step.order_key,
        "FULFILMENT_REQUESTED",
        f"fulfilment requested: {where}",
        fields={
            "task_token": step.task_token,
            "fulfilment_id": ids[0],
            "parcels": [p.model_dump(mode="json") for p in planned],
        },
        not_from=("CANCELLED",),
    )
    if not applied:
        raise OrderCancelled(f"order {step.order_key} was cancelled before fulfilment was requested")
    window = load_policy().merge.window_minutes
    settled = [_open_or_join(table, step.order_key, i, p, joins.get(i), group) for i, p in enumerate(planned)]
    if settled != planned:  # a join lost the race with the shipment: the parcel got its own fulfilment
        table.set_fields(step.order_key, {"parcels": [p.model_dump(mode="json") for p in settled]})
        planned = settled
    current = table.get(step.order_key)
    if current is None or current.hub_state == "CANCELLED":  # cancelled while we opened: ReleaseStock may be done
        for parcel in planned:
            table.leave_fulfilment(parcel.fulfilment_id or "", step.order_key)
        raise OrderCancelled(f"order {step.order_key} was cancelled while fulfilment was requested")
    receiver = order.receiver
    for index, parcel in enumerate(planned):
        publish(
            FulfilmentRequested(
                order_key=step.order_key,
                fulfilment_id=parcel.fulfilment_id or "",
                node_id=parcel.node_id,
                lines=[StockLine(sku=line.sku, quantity=line.quantity) for line in parcel.lines],
                receiver_region=receiver_region(receiver.province, receiver.city, receiver.district),
                parcel=index + 1,
                parcels=len(planned),
                merge_group=group,
                open_until=_open_until(order, window) if group else None,
            ),
            order_key=step.order_key,
            channel=order.channel,
        )
    logger.info("fulfilment requested", fulfilment_ids=[p.fulfilment_id for p in planned], merged=len(joins))
    return {"fulfilment_id": planned[0].fulfilment_id, "parcels": len(planned)}


def _open_or_join(
    table: FulfilmentStore,
    order_key: str,
    index: int,
    parcel: ParcelPlan,
    join: Join | None,
    group: str | None,
) -> ParcelPlan:
    """Join the chosen open fulfilment, or (none, or it shipped meanwhile) open this parcel's own."""
    if join is not None and group is not None:
        fid, others, why = join
        if table.join_fulfilment(fid, order_key, node_id=parcel.node_id, merge_group=group, why=why):
            text = f"merged shipment: parcel from {parcel.node_id} ships in fulfilment {fid} with {', '.join(others)}"
            table.note(order_key, "MERGED", f"{text} ({why})", tie=f"M{fid}")
            for other in others:
                table.note(
                    other, "MERGED", f"order {order_key} joined fulfilment {fid} ({why})", tie=f"M{fid}{order_key}"
                )
            metrics.add_metric(name="MergedShipments", unit=MetricUnit.Count, value=1)
            return parcel
        logger.info("open fulfilment shipped or closed before the join", fulfilment_id=fid)
    own = fulfilment_id(order_key, index)
    table.open_fulfilment(own, order_key, parcel.node_id, merge_group=group)
    return parcel.model_copy(update={"fulfilment_id": own, "merged_with": ()})


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    step = RequestInput.model_validate(event)
    logger.append_keys(order_key=step.order_key)
    return request(step)
