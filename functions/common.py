"""What the hub's functions share: their errors, adapters and event publishing (handlers stay thin)."""

import json
from typing import Any

from hubcore.adapters.event_bus import EventBridgePublisher
from hubcore.adapters.inventory import InventoryTable
from hubcore.adapters.orders_table import StoredOrder, WorkflowOrders
from hubcore.adapters.step_functions import StepFunctions
from hubcore.errors import HubError
from schemas.events import EventData, make_event


class OrderNotFound(HubError):
    code = "ORDER_NOT_FOUND"
    http_status = 404


class OrderCancelled(HubError):
    """The order was cancelled while the workflow ran; its class name is what the state machine catches."""

    code = "ORDER_CANCELLED"
    http_status = 409


def orders() -> WorkflowOrders:
    return WorkflowOrders()


def inventory() -> InventoryTable:
    return InventoryTable()


def step_functions() -> StepFunctions:
    return StepFunctions()


def load_order(order_key: str, table: WorkflowOrders | None = None) -> StoredOrder:
    stored = (table or orders()).get(order_key)
    if stored is None:
        raise OrderNotFound(f"no order {order_key}")
    return stored


def publish(data: EventData, *, order_key: str, channel: str) -> None:
    EventBridgePublisher().publish([make_event(data, correlation_id=order_key, channel=channel)])


def json_attribute(stored: StoredOrder, name: str) -> Any:
    """A workflow attribute stored as JSON text on the order (audit, reservation, shipment), or None."""
    value = stored.attributes.get(name)
    return json.loads(value) if isinstance(value, str) and value[:1] in "{[" else value
