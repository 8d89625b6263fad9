"""OpsApi: operators' read API. `GET /orders/{order_key}` (state, history, audit reasons, reservation,
parcels, shipment), `GET /orders/{order_key}/decision` (the routing decision as stored, the fulfilments its
parcels ship in with any merge, and `explain` text for a person) and `GET /stock/{sku}` (per node on_hand /
reserved / available).

Receiver ciphertexts and match tokens are never returned; the masked forms and the region are.
"""

from typing import Any
from urllib.parse import unquote

from aws_lambda_powertools.event_handler import Response

from functions.common import inventory, json_attribute, load_order, orders
from functions.rest_api import json_response, lambda_entry, make_resolver
from functions.workflow.logic.routing import RoutingDecision, explain
from hubcore.adapters.orders_table import FulfilmentStore
from hubcore.errors import HubError

app = make_resolver()

HIDDEN_RECEIVER_FIELDS = frozenset({"name_cipher", "phone_cipher", "address_cipher", "match_token"})


class UnknownSku(HubError):
    code = "UNKNOWN_SKU"
    http_status = 404


class NoRoutingDecision(HubError):
    code = "ROUTING_DECISION_NOT_FOUND"
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
        "parcels": json_attribute(stored, "parcels"),
        "shipment": json_attribute(stored, "shipment"),
        "failure": json_attribute(stored, "failure"),
        "execution_arn": stored.attributes.get("execution_arn"),
    }


def _fulfilments(table: FulfilmentStore, order_key: str, parcels: list[dict[str, Any]]) -> list[dict[str, Any]]:
    views = []
    for parcel in parcels:
        fid = parcel.get("fulfilment_id")
        found = table.fulfilment(str(fid)) if fid else None
        if found is None:
            continue
        others = [key for key in found.order_keys if key != order_key]
        views.append(
            {
                "fulfilment_id": found.fulfilment_id,
                "node_id": found.node_id,
                "status": found.status,
                "order_keys": list(found.order_keys),
                "merged": bool(others),
                "merge_reasons": found.merges,
            }
        )
    return views


def _merge_text(order_key: str, fulfilments: list[dict[str, Any]]) -> list[str]:
    lines = []
    for view in fulfilments:
        others = [key for key in view["order_keys"] if key != order_key]
        if others:
            why = view["merge_reasons"].get(order_key) or next(iter(view["merge_reasons"].values()), "")
            lines.append(
                f"- merged shipment: the parcel from {view['node_id']} ships in fulfilment {view['fulfilment_id']} "
                f"together with {', '.join(others)}" + (f" ({why})" if why else "")
            )
    return lines


def decision_view(order_key: str) -> dict[str, Any]:
    table = FulfilmentStore()
    stored = load_order(order_key, table)
    text = stored.attributes.get("routing")
    if not isinstance(text, str) or not text:
        raise NoRoutingDecision(f"order {order_key} has not been routed (it is {stored.hub_state})")
    decision = RoutingDecision.model_validate_json(text)
    fulfilments = _fulfilments(table, order_key, json_attribute(stored, "parcels") or [])
    merges = _merge_text(order_key, fulfilments)
    return {
        "order_key": order_key,
        "hub_state": stored.hub_state,
        "outcome": decision.outcome.value,
        "policy": decision.policy_version,
        "policy_checksum": decision.policy_checksum,
        "network": decision.network_version,
        "network_checksum": decision.network_checksum,
        "explanation": explain(decision) + ("\n" + "\n".join(merges) if merges else ""),
        "fulfilments": fulfilments,
        "decision": decision.model_dump(mode="json"),
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


@app.get("/orders/<order_key>/decision")
def get_decision(order_key: str) -> Response:
    return json_response(200, decision_view(unquote(order_key)))


@app.get("/stock/<sku>")
def get_stock(sku: str) -> Response:
    return json_response(200, stock_view(unquote(sku)))


lambda_handler = lambda_entry(app)
