"""OpsApi: operators' read API. `GET /orders/{order_key}` (state, history, audit reasons, reservation,
shipment) and `GET /stock/{sku}` (per node on_hand / reserved / available).

Receiver ciphertexts and match tokens are never returned; the masked forms and the region are.
"""

from typing import Any
from urllib.parse import unquote

from aws_lambda_powertools.event_handler import Response

from functions.common import inventory, json_attribute, load_order, orders
from functions.rest_api import json_response, lambda_entry, make_resolver
from hubcore.errors import HubError

app = make_resolver()

HIDDEN_RECEIVER_FIELDS = frozenset({"name_cipher", "phone_cipher", "address_cipher", "match_token"})


class UnknownSku(HubError):
    code = "UNKNOWN_SKU"
    http_status = 404


def order_view(order_key: str) -> dict[str, Any]:
    table = orders()
    stored = load_order(order_key, table)
    order = stored.order.model_dump(mode="json")
    order["receiver"] = {k: v for k, v in order["receiver"].items() if k not in HIDDEN_RECEIVER_FIELDS}
    reservation = inventory().reservation(order_key)
    return {
        "order_key": order_key,
        "hub_state": stored.hub_state,
        "platform_status": stored.order.status.value,
        "version": str(stored.version),
        "order": order,
        "history": [
            {"at": item.get("at"), "kind": item.get("kind"), "state": item.get("state"), "detail": item.get("detail")}
            for item in table.history(order_key)
        ],
        "audit": json_attribute(stored, "audit"),
        "reservation": None
        if reservation is None
        else {
            "node_id": reservation.node_id,
            "status": reservation.status.value,
            "lines": [{"sku": line.sku, "quantity": line.quantity} for line in reservation.lines],
            "created_at": reservation.created_at,
        },
        "fulfilment_id": stored.attributes.get("fulfilment_id"),
        "shipment": json_attribute(stored, "shipment"),
        "failure": json_attribute(stored, "failure"),
        "execution_arn": stored.attributes.get("execution_arn"),
    }


def stock_view(sku: str) -> dict[str, Any]:
    levels = inventory().stock(sku)
    if not levels:
        raise UnknownSku(f"no stock is recorded for SKU {sku}")
    levels.sort(key=lambda level: level.node_id)
    nodes = [
        {"node_id": s.node_id, "on_hand": s.on_hand, "reserved": s.reserved, "available": s.available} for s in levels
    ]
    totals = {
        "on_hand": sum(s.on_hand for s in levels),
        "reserved": sum(s.reserved for s in levels),
        "available": sum(s.available for s in levels),
    }
    return {"sku": sku, "nodes": nodes, "total": totals}


@app.get("/orders/<order_key>")
def get_order(order_key: str) -> Response:
    return json_response(200, order_view(unquote(order_key)))


@app.get("/stock/<sku>")
def get_stock(sku: str) -> Response:
    return json_response(200, stock_view(unquote(sku)))


lambda_handler = lambda_entry(app)
