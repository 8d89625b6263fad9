"""ShipmentApi: `POST /fulfilments/{fulfilment_id}/shipment` — the warehouse confirms one parcel's shipment.

A fulfilment is one parcel: one node's share of an order, or of several orders of one receiver (a merged
shipment). The confirmation marks the fulfilment SHIPPED (conditionally, once: from then on no order joins
it), then per order in it commits the order's stock at the parcel's node (the units left the warehouse, so a
later cancellation must not return them), records the parcel and publishes ShipmentConfirmed. An order's
workflow waits on one task token for all its parcels: it is resumed (SendTaskSuccess) when its last parcel
is recorded, so a split order is resumed by its second confirmation, and a merged fulfilment resumes every
order it carries. Replaying the same tracking number is answered 200 (and finishes anything a crashed first
confirmation left undone); a different one, or a fulfilment none of whose orders awaits a shipment, is 409.
Errors are `{"error": {code, message}}`.
"""

from aws_lambda_powertools.event_handler import Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from functions.common import inventory, json_attribute, publish, step_functions
from functions.rest_api import json_response, lambda_entry, make_resolver
from functions.workflow.models import ShipmentRecord
from hubcore.adapters.inventory import ReservationNotHeld
from hubcore.adapters.orders_table import (
    FULFILMENT_OPEN,
    FULFILMENT_SHIPPED,
    Fulfilment,
    FulfilmentStore,
    StoredOrder,
)
from hubcore.adapters.step_functions import TaskTokenGone
from hubcore.errors import HubError
from hubcore.observability import logger
from schemas.events import ShipmentConfirmed

app = make_resolver()

AWAITING = "FULFILMENT_REQUESTED"


class ShipmentBody(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    carrier_code: str = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")
    tracking_no: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    shipped_at: AwareDatetime


class InvalidShipment(HubError):
    code = "INVALID_SHIPMENT"
    http_status = 422


class UnknownFulfilment(HubError):
    code = "UNKNOWN_FULFILMENT"
    http_status = 404


class ShipmentConflict(HubError):
    code = "SHIPMENT_CONFLICT"
    http_status = 409


def _parcel_ids(stored: StoredOrder) -> list[str]:
    parcels = json_attribute(stored, "parcels") or []
    ids = [str(p["fulfilment_id"]) for p in parcels if p.get("fulfilment_id")]
    return ids or [str(stored.attributes.get("fulfilment_id", ""))]


def _awaiting(stored: StoredOrder | None) -> bool:
    return stored is not None and stored.hub_state == AWAITING and bool(stored.attributes.get("task_token"))


def _confirmed(fulfilment: Fulfilment, record: ShipmentRecord, *, replay: bool, resumed: list[str]) -> Response:
    body = {
        "order_key": fulfilment.order_key,
        "order_keys": list(fulfilment.order_keys),
        "fulfilment_id": record.fulfilment_id,
        "status": "SHIPPED",
        "replay": replay,
        "resumed": resumed,
        "shipment": record.model_dump(mode="json"),
    }
    return json_response(200, body)


def _commit_parcel(order_key: str, node_id: str | None) -> None:
    """Take the parcel's units off hand now: the order's lines at the parcel's node are gone whatever happens to
    the order next (a cancellation releases only what is still held). Idempotent, so a replay commits nothing
    twice; without a node (an older fulfilment) WriteBack commits the whole reservation."""
    if not node_id:
        return
    try:
        committed = inventory().commit(order_key, node_ids=[node_id])
    except ReservationNotHeld as exc:  # released meanwhile (a cancellation won the race): nothing left to commit
        logger.error("parcel shipped but its stock is not held", order_key=order_key, node_id=node_id, reason=str(exc))
        return
    logger.info("parcel committed", order_key=order_key, node_id=node_id, committed=committed)


def _settle_order(table: FulfilmentStore, order_key: str, record: ShipmentRecord, *, only_order: bool) -> bool:
    """Commit the parcel's stock and record the parcel on the order; resume its workflow when this was its last
    parcel. True if resumed."""
    stored = table.get(order_key)
    if stored is None:
        return False
    shipment = record.model_dump(mode="json")
    if _awaiting(stored):
        _commit_parcel(order_key, record.node_id)
        ids = _parcel_ids(stored)
        number = ids.index(record.fulfilment_id) + 1 if record.fulfilment_id in ids else 1
        detail = f"parcel {number} of {len(ids)} shipped: {record.carrier_code} (fulfilment {record.fulfilment_id})"
        if table.record_parcel(order_key, record.fulfilment_id, shipment, detail):
            publish(
                ShipmentConfirmed(
                    order_key=order_key,
                    fulfilment_id=record.fulfilment_id,
                    node_id=record.node_id or "",
                    carrier_code=record.carrier_code,
                    tracking_no=record.tracking_no,
                    shipped_at=record.shipped_at,
                ),
                order_key=order_key,
                channel=stored.order.channel,
            )
        shipped = table.parcel_shipments(order_key)
        if not all(fid in shipped for fid in ids):
            logger.info("parcel recorded; the order waits for its other parcels", order_key=order_key)
            return False
        first = ShipmentRecord.model_validate(shipped[ids[0]]["shipment"])
        text = f"{len(ids)} parcels" if len(ids) > 1 else f"{first.carrier_code} (fulfilment {first.fulfilment_id})"
        applied = table.move(
            order_key,
            "SHIPPED",
            f"shipped: {text}",
            fields={"shipment": first.model_dump(mode="json")},
            only_from=(AWAITING,),
            if_absent="shipment",
        )
        if not applied:
            logger.info("a concurrent confirmation or a cancellation got there first", order_key=order_key)
        stored = table.get(order_key)
    if stored is None or stored.hub_state != "SHIPPED" or not stored.attributes.get("task_token"):
        return False
    first_record = ShipmentRecord.model_validate(json_attribute(stored, "shipment"))
    try:  # resuming again after a crash is harmless: a token answered before is simply gone
        step_functions().send_task_success(str(stored.attributes["task_token"]), first_record.model_dump(mode="json"))
    except TaskTokenGone as exc:
        logger.error("shipment recorded but the workflow no longer waits", order_key=order_key, reason=str(exc))
        if only_order:
            raise ShipmentConflict("the fulfilment is no longer awaiting a shipment (timed out or cancelled)") from exc
        return False
    return True


def _settle_all(table: FulfilmentStore, fulfilment: Fulfilment, record: ShipmentRecord) -> list[str]:
    only = len(fulfilment.order_keys) == 1
    return [key for key in fulfilment.order_keys if _settle_order(table, key, record, only_order=only)]


def _replay(table: FulfilmentStore, fulfilment: Fulfilment, body: ShipmentBody) -> Response:
    record = ShipmentRecord.model_validate(fulfilment.shipment)
    if (record.tracking_no, record.carrier_code) != (body.tracking_no, body.carrier_code):
        raise ShipmentConflict(f"fulfilment {record.fulfilment_id} is already confirmed with another tracking number")
    try:
        resumed = _settle_all(table, fulfilment, record)
    except ShipmentConflict:  # the workflow is gone (timed out or cancelled): the first answer stands
        resumed = []
    return _confirmed(fulfilment, record, replay=True, resumed=resumed)


def confirm(fulfilment_id: str, body: ShipmentBody) -> Response:
    table = FulfilmentStore()
    fulfilment = table.fulfilment(fulfilment_id)
    if fulfilment is None:
        raise UnknownFulfilment(f"no fulfilment {fulfilment_id}")
    if fulfilment.status == FULFILMENT_SHIPPED and fulfilment.shipment:
        return _replay(table, fulfilment, body)
    if fulfilment.status != FULFILMENT_OPEN:
        why = "every order left it (cancelled, timed out or failed)"
        raise ShipmentConflict(f"fulfilment {fulfilment_id} is {fulfilment.status}: {why}")
    orders = {key: table.get(key) for key in fulfilment.order_keys}
    if not any(_awaiting(stored) for stored in orders.values()):
        states = ", ".join(sorted({s.hub_state for s in orders.values() if s is not None})) or "gone"
        raise ShipmentConflict(f"the order is {states}, not awaiting a shipment")
    record = ShipmentRecord(fulfilment_id=fulfilment_id, node_id=fulfilment.node_id, **body.model_dump())
    if not table.ship_fulfilment(fulfilment, record.model_dump(mode="json")):
        current = table.fulfilment(fulfilment_id)  # a concurrent confirmation, or the last order left it
        if current is not None and current.status == FULFILMENT_SHIPPED and current.shipment:
            return _replay(table, current, body)
        raise ShipmentConflict(f"fulfilment {fulfilment_id} is no longer open")
    shipped = table.fulfilment(fulfilment_id) or fulfilment  # its orders are final now: nobody joins a shipped one
    resumed = _settle_all(table, shipped, record)
    logger.info("shipment confirmed", fulfilment_id=fulfilment_id, orders=len(shipped.order_keys), resumed=resumed)
    return _confirmed(shipped, record, replay=False, resumed=resumed)


@app.post("/fulfilments/<fulfilment_id>/shipment")
def post_shipment(fulfilment_id: str) -> Response:
    try:
        body = ShipmentBody.model_validate_json(app.current_event.body or "")
    except ValidationError as exc:
        fields = ", ".join(".".join(str(p) for p in error["loc"]) or "body" for error in exc.errors())
        raise InvalidShipment(f"invalid shipment body: {fields}") from exc
    return confirm(fulfilment_id, body)


lambda_handler = lambda_entry(app)
