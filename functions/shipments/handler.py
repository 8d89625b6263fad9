"""ShipmentApi: `POST /fulfilments/{fulfilment_id}/shipment` — the warehouse confirms a shipment.

The shipment is recorded on the order (conditionally, once), the waiting workflow is resumed with
SendTaskSuccess, and ShipmentConfirmed is published. Replaying the same tracking number is answered 200;
a different one, or an order no longer awaiting shipment, is 409. Errors are `{"error": {code, message}}`.
"""

import contextlib
from typing import Any

from aws_lambda_powertools.event_handler import Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from functions.common import json_attribute, load_order, orders, publish, step_functions
from functions.rest_api import json_response, lambda_entry, make_resolver
from functions.workflow.models import ShipmentRecord
from hubcore.adapters.orders_table import StoredOrder
from hubcore.adapters.step_functions import TaskTokenGone
from hubcore.errors import HubError
from hubcore.observability import logger
from schemas.events import ShipmentConfirmed

app = make_resolver()


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


def _confirmed(stored: StoredOrder, record: ShipmentRecord, *, replay: bool) -> Response:
    body = {
        "order_key": stored.order.order_key,
        "fulfilment_id": record.fulfilment_id,
        "status": "SHIPPED",
        "replay": replay,
        "shipment": record.model_dump(mode="json"),
    }
    return json_response(200, body)


def _resume(token: str, record: ShipmentRecord) -> None:
    step_functions().send_task_success(token, record.model_dump(mode="json"))


def _replay(stored: StoredOrder, existing: dict[str, Any], body: ShipmentBody) -> Response:
    record = ShipmentRecord.model_validate(existing)
    if (record.tracking_no, record.carrier_code) != (body.tracking_no, body.carrier_code):
        raise ShipmentConflict(f"fulfilment {record.fulfilment_id} is already confirmed with another tracking number")
    token = stored.attributes.get("task_token")
    if token and stored.hub_state == "SHIPPED":
        with contextlib.suppress(TaskTokenGone):  # the first confirmation may have died before resuming
            _resume(str(token), record)
    return _confirmed(stored, record, replay=True)


def confirm(fulfilment_id: str, body: ShipmentBody) -> Response:
    table = orders()
    order_key = table.order_key_for_fulfilment(fulfilment_id)
    if order_key is None:
        raise UnknownFulfilment(f"no fulfilment {fulfilment_id}")
    stored = load_order(order_key, table)
    existing = json_attribute(stored, "shipment")
    if existing:
        return _replay(stored, existing, body)
    token = stored.attributes.get("task_token")
    if stored.hub_state != "FULFILMENT_REQUESTED" or not token:
        raise ShipmentConflict(f"the order is {stored.hub_state}, not awaiting a shipment")
    reservation = json_attribute(stored, "reservation") or {}
    record = ShipmentRecord(fulfilment_id=fulfilment_id, node_id=reservation.get("node_id"), **body.model_dump())
    applied = table.move(
        order_key,
        "SHIPPED",
        f"shipped: {record.carrier_code} (fulfilment {fulfilment_id})",
        fields={"shipment": record.model_dump(mode="json")},
        only_from=("FULFILMENT_REQUESTED",),
        if_absent="shipment",
    )
    if not applied:  # a concurrent confirmation or a cancellation got there first
        current = load_order(order_key, table)
        found = json_attribute(current, "shipment")
        if found:
            return _replay(current, found, body)
        raise ShipmentConflict(f"the order is {current.hub_state}, not awaiting a shipment")
    try:
        _resume(str(token), record)
    except TaskTokenGone as exc:
        logger.error("shipment recorded but the workflow no longer waits", reason=str(exc))
        raise ShipmentConflict("the fulfilment is no longer awaiting a shipment (timed out or cancelled)") from exc
    publish(
        ShipmentConfirmed(
            order_key=order_key,
            fulfilment_id=fulfilment_id,
            node_id=record.node_id or "",
            carrier_code=record.carrier_code,
            tracking_no=record.tracking_no,
            shipped_at=record.shipped_at,
        ),
        order_key=order_key,
        channel=stored.order.channel,
    )
    logger.info("shipment confirmed", fulfilment_id=fulfilment_id, carrier=record.carrier_code)
    return _confirmed(stored, record, replay=False)


@app.post("/fulfilments/<fulfilment_id>/shipment")
def post_shipment(fulfilment_id: str) -> Response:
    try:
        body = ShipmentBody.model_validate_json(app.current_event.body or "")
    except ValidationError as exc:
        fields = ", ".join(".".join(str(p) for p in error["loc"]) or "body" for error in exc.errors())
        raise InvalidShipment(f"invalid shipment body: {fields}") from exc
    return confirm(fulfilment_id, body)


lambda_handler = lambda_entry(app)
