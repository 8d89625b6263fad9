"""Workflow step WriteBack: every parcel has shipped; commit the reservation, then write each parcel back.

Commit comes first: the goods have left the warehouses whatever the platform answers. The shipments API
commits each parcel's node as its shipment is confirmed; this commit takes whatever is still HELD (lines of an
older fulfilment without a node) and is a no-op (`committed: false`) when every parcel was committed already.

Write-back is per parcel with the parcel's lines (`Shipment.line_ids`) and tracking number; a parcel written
back is marked, so a retry never writes it twice. A connector that refuses a partial write-back (Douyin, JD,
Kuaishou, Pinduoduo, 供销 purchase orders: `PARTIAL_SHIPMENT_UNSUPPORTED`) gets the whole order once, with the
first parcel's tracking number. A merged fulfilment is written back to each order's own channel order by that
order's workflow. The connector's `PlatformUnavailable` propagates (the state machine retries it with backoff);
`PlatformRejected` fails the step (a business rejection is never retried) and the workflow records it.
"""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from connectors.sdk import runtime
from connectors.sdk.contracts import Shipment
from functions.common import inventory, json_attribute, load_order
from functions.workflow.logic.fulfilment import ParcelPlan, recorded_parcels
from functions.workflow.models import ShipmentRecord, WriteBackInput
from hubcore.adapters.orders_table import FulfilmentStore
from hubcore.errors import HubError
from hubcore.observability import logger, metrics
from schemas.order import Order
from schemas.timeutil import utc_now

PARTIAL_UNSUPPORTED = "PARTIAL_SHIPMENT_UNSUPPORTED"


def _shipment(record: ShipmentRecord, line_ids: list[str]) -> Shipment:
    return Shipment(
        carrier_code=record.carrier_code,
        tracking_no=record.tracking_no,
        shipped_at=record.shipped_at,
        line_ids=line_ids,
    )


def _records(
    table: FulfilmentStore, order_key: str, parcels: list[ParcelPlan], fallback: ShipmentRecord
) -> tuple[dict[str, ShipmentRecord], set[str]]:
    """Each parcel's shipment (fulfilment id -> record) and the parcels already written back."""
    found = table.parcel_shipments(order_key)
    records = {
        fid: ShipmentRecord.model_validate(entry["shipment"]) for fid, entry in found.items() if "shipment" in entry
    }
    for parcel in parcels:  # an order confirmed before parcels were recorded: the workflow's own record
        records.setdefault(parcel.fulfilment_id or fallback.fulfilment_id, fallback)
    return records, {fid for fid, entry in found.items() if entry.get("written_back_at")}


def _write_whole(
    table: FulfilmentStore, order: Order, parcels: list[ParcelPlan], first: ShipmentRecord, connector: Any
) -> None:
    connector.confirm_shipment(order, _shipment(first, [line.line_id for line in order.lines]))
    for parcel in parcels:
        table.mark_written_back(order.order_key, parcel.fulfilment_id or first.fulfilment_id)


def write_back(step: WriteBackInput) -> dict[str, Any]:
    table = FulfilmentStore()
    stored = load_order(step.order_key, table)
    committed = inventory().commit(step.order_key)
    order = stored.order
    reservation = json_attribute(stored, "reservation") or {"node_id": step.shipment.node_id}
    parcels = recorded_parcels(order, json_attribute(stored, "parcels"), reservation)
    records, written = _records(table, step.order_key, parcels, step.shipment)
    connector = runtime.load_connector(order.channel)
    first = records[parcels[0].fulfilment_id or step.shipment.fulfilment_id]
    pending = [p for p in parcels if (p.fulfilment_id or first.fulfilment_id) not in written]
    mode = "per parcel"
    if len(parcels) == 1 and pending:
        _write_whole(table, order, parcels, first, connector)
    for parcel in pending if len(parcels) > 1 else []:
        fid = parcel.fulfilment_id or first.fulfilment_id
        line_ids = list(dict.fromkeys(line.line_id for line in parcel.lines))
        try:
            connector.confirm_shipment(order, _shipment(records[fid], line_ids))
        except HubError as exc:
            if exc.code != PARTIAL_UNSUPPORTED:
                raise
            logger.info("channel takes whole orders only: writing back once with the first tracking number")
            _write_whole(table, order, parcels, first, connector)
            mode = "whole order, first parcel's tracking number (the channel refuses partial write-back)"
            break
        table.mark_written_back(step.order_key, fid)
    carriers = ", ".join(dict.fromkeys(records[p.fulfilment_id or first.fulfilment_id].carrier_code for p in parcels))
    detail = f"shipment {carriers} written back to {order.channel}"
    if len(parcels) > 1:
        detail += f" ({len(parcels)} parcels, {mode})"
    table.move(
        step.order_key,
        "SHIPPED",
        detail,
        fields={"written_back_at": utc_now().isoformat()},
        not_from=("CANCELLED",),
    )
    logger.info("shipment written back", channel=order.channel, committed=committed, parcels=len(parcels))
    return {"committed": committed, "parcels": len(parcels)}


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    step = WriteBackInput.model_validate(event)
    logger.append_keys(order_key=step.order_key)
    return write_back(step)
