"""A local fake of the brand's store system (POS): it pushes signed order webhooks and serves the write-back API.

It signs its pushes and checks the hub's calls exactly as docs/pos-webhook.md says (store key HMAC over
`timestamp \\n nonce \\n body`, 5-minute window, nonce reuse refused, bearer token when configured), keeps
orders with a `revision` that rises on every change, and answers the fulfilment, collection and stock POST/GET
endpoints with the documented bodies and error codes. Base-class faults (429/5xx) apply to every path.

Scenario helpers beyond the base: `place_store_sale`, `place_delivery`, `collect`, `partial_refund`, `refund`;
anomalies: `push_request(forge=…, omit_signature=…, sent_at=…)`, `reused_nonce_requests` (one nonce, two
bodies), `foreign_store_request` (signed by one store, the order of another), `float_amount_request`.
"""

import base64
import copy
import hashlib
import json
import re
import secrets
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, ClassVar

from connectors.pos.replay import MemoryNonceStore, NonceReused, check_nonce
from connectors.pos.signing import REPLAY_WINDOW, signed_headers, store_key, verify
from connectors.sdk.contracts import WebhookRequest
from connectors.sdk.errors import ConnectorError
from connectors.sdk.simulator import OrderSpec, PlatformSimulator, SimRequest, SimResponse
from schemas.timeutil import SHANGHAI, utc_now

_ORDER_PATH = re.compile(r"^/v1/stores/([^/]+)/orders/([^/]+)/(fulfilment|collection)$")
_STOCK_PATH = re.compile(r"^/v1/stores/([^/]+)/stock/([^/]+)$")
_FINAL = frozenset({"CANCELLED", "REFUNDED"})


def _iso(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).replace(microsecond=0).isoformat()


def _error(status: int, code: str, message: str) -> SimResponse:
    return SimResponse.of_json({"error": {"code": code, "message": message}}, status=status)


class PosSimulator(PlatformSimulator):
    channel: ClassVar[str] = "pos"

    def __init__(
        self,
        *,
        stores: tuple[str, ...] = ("S001", "S002"),
        now: Callable[[], datetime] = utc_now,
        seed: str = "pos-sim",
    ) -> None:
        tokens = {store: f"pos-token-{store}" for store in stores}
        super().__init__(app_key="pos", app_secret="unused-by-pos", shop_tokens=tokens)
        self.extra = {f"store_key:{store}": hashlib.sha256(f"{seed}:{store}".encode()).hexdigest() for store in stores}
        self.extra["pii_key"] = base64.b64encode(hashlib.sha256(f"{seed}:pii".encode()).digest()).decode()
        self.now = now
        self._orders: dict[str, dict[str, Any]] = {}
        self._shipments: list[dict[str, Any]] = []
        self._nonces = MemoryNonceStore()
        self._sequence = 0

    # --- HTTP: the write-back API --------------------------------------------------------------------
    def handle(self, request: SimRequest) -> SimResponse:
        try:
            signed = verify(request.headers, request.body, keys=self.extra, now=self.now())
            check_nonce(
                self._nonces, signed.store_id, signed.nonce, signed.signature, now=self.now(), ttl=2 * REPLAY_WINDOW
            )
        except NonceReused as exc:
            return _error(401, exc.code, exc.message)
        except ConnectorError as exc:
            return _error(401, exc.code, exc.message)
        token = self.shop_tokens.get(signed.store_id)
        if token and request.headers.get("authorization") != f"Bearer {token}":
            return _error(401, "TOKEN_INVALID", "bearer token does not match the store")
        with self.lock:
            if match := _ORDER_PATH.match(request.path):
                store, order_id, leaf = match.groups()
                if store != signed.store_id:
                    return _error(403, "STORE_MISMATCH", "signed by another store")
                if request.method != "POST":
                    return _error(405, "METHOD_NOT_ALLOWED", "POST only")
                return self._order_state(store, order_id, leaf, request)
            if match := _STOCK_PATH.match(request.path):
                store, item_id = match.groups()
                if store != signed.store_id:
                    return _error(403, "STORE_MISMATCH", "signed by another store")
                return self._stock_call(store, item_id, request)
        return _error(404, "NOT_FOUND", request.path)

    def _order_state(self, store: str, order_id: str, leaf: str, request: SimRequest) -> SimResponse:
        order = self._orders.get(order_id)
        if order is None or order["store_id"] != store:
            return _error(404, "ORDER_NOT_FOUND", order_id)
        try:
            body = request.json()
        except ValueError:
            return _error(400, "MALFORMED_BODY", "not JSON")
        if leaf == "collection":
            wanted, allowed_from, beyond = "COLLECTED", {"READY_FOR_PICKUP"}, {"COLLECTED", "COMPLETED"}
            if order["type"] != "PICKUP":
                return _error(409, "WRONG_ORDER_TYPE", "only click-and-collect orders are collected")
        else:
            wanted = str(body.get("state"))
            if (wanted, order["type"]) not in (("READY_FOR_PICKUP", "PICKUP"), ("DISPATCHED", "DELIVERY")):
                return _error(409, "WRONG_ORDER_TYPE", f"{wanted} does not apply to a {order['type']} order")
            allowed_from = {"PAID"}
            beyond = {wanted, "COLLECTED", "COMPLETED"}
        if order["status"] in beyond:
            return SimResponse.of_json({"order_id": order_id, "state": order["status"], "changed": False})
        if order["status"] in _FINAL:
            return _error(409, "ORDER_CANCELLED", f"order is {order['status']}")
        if order["status"] not in allowed_from:
            return _error(409, "ORDER_NOT_READY", f"order is {order['status']}")
        order["status"] = wanted
        self._touch(order)
        if leaf == "fulfilment":
            self._shipments.append(
                {
                    "order_id": order_id,
                    "carrier_code": str(body.get("carrier_code")),
                    "tracking_no": str(body.get("tracking_no")),
                    "state": wanted,
                }
            )
        return SimResponse.of_json({"order_id": order_id, "state": wanted, "changed": True})

    def _stock_call(self, store: str, item_id: str, request: SimRequest) -> SimResponse:
        if request.method == "GET":
            return SimResponse.of_json({"item_id": item_id, "quantity": self.shown_stock(store, item_id)})
        if request.method != "POST":
            return _error(405, "METHOD_NOT_ALLOWED", "GET or POST")
        try:
            quantity = request.json().get("quantity")
        except (ValueError, AttributeError):
            return _error(400, "MALFORMED_BODY", "not a JSON object")
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
            return _error(422, "INVALID_QUANTITY", "quantity must be a non-negative integer")
        self.record_stock_push(store, item_id, quantity)
        return SimResponse.of_json({"item_id": item_id, "quantity": self.shown_stock(store, item_id)})

    # --- pushes ----------------------------------------------------------------------------------------
    def push_request(
        self,
        order_id: str,
        *,
        forge: bool = False,
        omit_signature: bool = False,
        sent_at: datetime | None = None,
        nonce: str | None = None,
    ) -> WebhookRequest:
        with self.lock:
            order = copy.deepcopy(self._order(order_id))
        return self._request(order["store_id"], order, forge=forge, omit=omit_signature, sent_at=sent_at, nonce=nonce)

    def _request(
        self,
        store: str,
        order: Mapping[str, Any],
        *,
        forge: bool = False,
        omit: bool = False,
        sent_at: datetime | None = None,
        nonce: str | None = None,
        body: bytes | None = None,
    ) -> WebhookRequest:
        moment = sent_at or self.now()
        if body is None:
            delivery = {"event_id": secrets.token_hex(8), "sent_at": _iso(moment), "order": order}
            body = json.dumps(delivery, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        key = store_key(self.extra, store) or ""
        if forge:
            key = "not-" + key
        headers = signed_headers(store, key, int(moment.timestamp()), nonce or secrets.token_urlsafe(18), body)
        lowered = {k.lower(): v for k, v in headers.items()}
        if omit:
            lowered.pop("x-omnihub-signature")
        lowered["content-type"] = "application/json"
        return WebhookRequest(headers=lowered, query={}, body=body, received_at=utc_now(), path="/webhooks/pos")

    def reused_nonce_requests(self, order_id: str) -> tuple[WebhookRequest, WebhookRequest]:
        """Two validly signed deliveries sharing one nonce with different bodies: the second must be refused."""
        nonce = secrets.token_urlsafe(18)
        first = self.push_request(order_id, nonce=nonce)
        with self.lock:
            order = copy.deepcopy(self._order(order_id))
        order["remark"] = "tampered copy"
        return first, self._request(order["store_id"], order, nonce=nonce)

    def foreign_store_request(self, order_id: str, signing_store: str) -> WebhookRequest:
        """A delivery signed (validly) by one store carrying another store's order."""
        with self.lock:
            order = copy.deepcopy(self._order(order_id))
        return self._request(signing_store, order)

    def float_amount_request(self, order_id: str) -> WebhookRequest:
        """A delivery whose paid amount is a JSON float (yuan by mistake): refused as invalid."""
        with self.lock:
            order = copy.deepcopy(self._order(order_id))
        text = json.dumps({"event_id": "float", "order": order}, ensure_ascii=False)
        text = text.replace(f'"paid_fen": {order["paid_fen"]}', f'"paid_fen": {order["paid_fen"] / 100}')
        return self._request(order["store_id"], order, body=text.encode("utf-8"))

    # --- scenario --------------------------------------------------------------------------------------
    def place_order(self, spec: OrderSpec, *, paid: bool = True, kind: str = "PICKUP") -> str:
        """A click-and-collect order by default (kind PICKUP, DELIVERY or STORE_SALE); returns its order id."""
        if spec.shop_id not in self.shop_tokens:
            raise ValueError(f"unknown store {spec.shop_id}")
        with self.lock:
            self._sequence += 1
            created = min(spec.created_at, self.now()).replace(microsecond=0)
            order_id = f"{spec.shop_id}-{created.astimezone(SHANGHAI):%Y%m%d}-{self._sequence:06d}"
            lines: list[dict[str, Any]] = []
            lines_paid = 0
            for index, line in enumerate(spec.lines, start=1):
                paid_fen = line.paid_fen if line.paid_fen is not None else line.unit_price_fen * line.quantity
                lines_paid += paid_fen
                lines.append(
                    {
                        "line_id": str(index),
                        "sku": line.sku,
                        "item_id": self.listing(spec.shop_id, line.sku).channel_sku_id,
                        "title": line.title or line.sku,
                        "quantity": line.quantity,
                        "unit_price_fen": line.unit_price_fen,
                        "paid_fen": paid_fen,
                        "refund_status": "NONE",
                    }
                )
            goods = sum(line.unit_price_fen * line.quantity for line in spec.lines)
            status = ("COMPLETED" if kind == "STORE_SALE" else "PAID") if paid else "PENDING_PAYMENT"
            order: dict[str, Any] = {
                "order_id": order_id,
                "store_id": spec.shop_id,
                "type": kind,
                "status": status,
                "revision": 1,
                "created_at": _iso(created),
                "updated_at": _iso(created),
                "cashier_id": "C007",
                "member_id": spec.buyer_id,
                "currency": "CNY",
                "goods_fen": goods,
                "discount_fen": goods - lines_paid,
                "freight_fen": spec.freight_fen,
                "paid_fen": lines_paid + spec.freight_fen,
                "coupon_ids": [],
                "lines": lines,
            }
            if paid:
                order["paid_at"] = _iso(created)
            if kind == "PICKUP":
                order["pickup_store_id"] = spec.shop_id
            if kind != "STORE_SALE":
                r = spec.receiver
                order["receiver"] = {
                    "name": r.name,
                    "phone": r.phone,
                    "province": r.province,
                    "city": r.city,
                    "district": r.district,
                    "address": r.detail,
                }
            if spec.buyer_message:
                order["buyer_message"] = spec.buyer_message
            self._orders[order_id] = order
            return order_id

    def place_store_sale(self, spec: OrderSpec) -> str:
        return self.place_order(spec, kind="STORE_SALE")

    def place_delivery(self, spec: OrderSpec, *, paid: bool = True) -> str:
        return self.place_order(spec, paid=paid, kind="DELIVERY")

    def pay(self, order_id: str) -> None:
        self._move(order_id, {"PENDING_PAYMENT"}, "PAID", paid=True)

    def cancel(self, order_id: str) -> None:
        self._move(order_id, {"PENDING_PAYMENT", "PAID", "READY_FOR_PICKUP"}, "CANCELLED")

    def request_refund(self, order_id: str) -> None:
        with self.lock:
            order = self._order(order_id)
            for line in order["lines"]:
                line["refund_status"] = "REQUESTED"
            self._touch(order)

    def collect(self, order_id: str) -> None:
        self._move(order_id, {"READY_FOR_PICKUP"}, "COLLECTED")

    def refund(self, order_id: str) -> None:
        self._move(order_id, {"PAID", "COLLECTED", "COMPLETED", "DISPATCHED"}, "REFUNDED")

    def partial_refund(self, order_id: str, line_index: int = 0) -> None:
        with self.lock:
            order = self._order(order_id)
            if order["status"] not in ("COLLECTED", "COMPLETED", "PARTIALLY_REFUNDED"):
                raise ValueError(f"order {order_id} is {order['status']}: refund lines after handover only")
            order["lines"][line_index]["refund_status"] = "REFUNDED"
            order["status"] = "PARTIALLY_REFUNDED"
            self._touch(order)

    def shipments(self) -> list[dict[str, Any]]:
        with self.lock:
            return copy.deepcopy(self._shipments)

    def order(self, order_id: str) -> dict[str, Any]:
        with self.lock:
            return copy.deepcopy(self._order(order_id))

    # --- internals -----------------------------------------------------------------------------------
    def _order(self, order_id: str) -> dict[str, Any]:
        try:
            return self._orders[order_id]
        except KeyError as exc:
            raise KeyError(f"no POS order {order_id}") from exc

    def _move(self, order_id: str, allowed: set[str], status: str, *, paid: bool = False) -> None:
        with self.lock:
            order = self._order(order_id)
            if order["status"] not in allowed:
                raise ValueError(f"order {order_id} is {order['status']}: cannot become {status}")
            order["status"] = status
            if paid:
                order["paid_at"] = _iso(self.now())
            self._touch(order)

    def _touch(self, order: dict[str, Any]) -> None:
        previous = datetime.fromisoformat(order["updated_at"])
        moment = max(self.now().replace(microsecond=0), previous + timedelta(seconds=1))
        order["updated_at"] = _iso(moment)
        order["revision"] += 1
