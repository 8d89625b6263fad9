"""A local fake of WeChat Pay's notifications, the brand's mini-program order service and WeChat's shipping API.

One base URL serves both APIs (`credentials().extra["order_service_url"]` is the simulator itself):
- brand order service (the contract in `connectors.wechat_pay.client`): orders with plaintext receivers, stock;
  bearer-token auth (401 `UNAUTHORIZED`, 404 `ORDER_NOT_FOUND`);
- WeChat: `cgi-bin/stable_token`, `wxa/sec/order/upload_shipping_info`, `wxa/sec/order/get_order`
  ([INFERRED] errcodes 10060001 unknown order, 10060003 already shipped, 40001 token).
Notifications are signed with the simulator's RSA key (its public key PEM and serial are the credentials'
`platform_public_key` / `platform_serial`) and their resource sealed with the APIv3 key; a notification keeps
its id and body across re-sends, as WeChat Pay's retries do.
WeChat Pay itself notifies only successful payments and refund outcomes; `push_request` of an order not paid
yet (or closed unpaid) sends the transaction as the query API would report it (NOTPAY / CLOSED) so the kit can
drive those states — a simulator convenience, documented as such.

Demo anomalies: `push_request(forge=…, omit_signature=…, sent_at=…)`, `wrong_serial_push`, `underpaid_push`
(amount.total below the order: refused 422), `refund_abnormal`, `partial_refund`.
"""

import base64
import itertools
import json
import secrets
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

from connectors.sdk.contracts import Credentials, WebhookRequest
from connectors.sdk.simulator import OrderSpec, PlatformSimulator, SimRequest, SimResponse
from connectors.wechat_pay import signing
from connectors.wechat_pay.client import ORDER_PATH, STOCK_PATH
from connectors.wechat_shop.access_token import TOKEN_PATH
from schemas.timeutil import SHANGHAI

_TOKEN_LIFETIME = 7200
DEFAULT_APPID = "wx8d2c4b6a1e3f5a79"
_MCHID = "1900000109"
_PUSH_PATH = "/webhooks/wechat_pay"


@dataclass
class _SimOrder:
    out_trade_no: str
    appid: str
    spec: OrderSpec
    total: int
    trade_state: str = "NOTPAY"
    transaction_id: str = ""
    success_time: str | None = None
    shipped: bool = False
    shipping: dict[str, Any] | None = None
    notification: bytes = b""  # the latest notification body, re-sent as is


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).isoformat(timespec="seconds")


class WechatPaySimulator(PlatformSimulator):
    channel: ClassVar[str] = "wechat_pay"

    def __init__(
        self,
        *,
        app_key: str = DEFAULT_APPID,
        app_secret: str = "wechat-pay-sim-appsecret",
        shop_tokens: Mapping[str, str] | None = None,
        mchid: str = _MCHID,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(app_key=app_key, app_secret=app_secret, shop_tokens=shop_tokens or {app_key: "brand-tok"})
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        self._private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._forged_key: Any = None
        self.serial = secrets.token_hex(20).upper()
        self.apiv3_key = secrets.token_urlsafe(24)[:32]
        self.mchid = mchid
        public_pem = self._private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.extra = {
            "platform_public_key": public_pem.decode("ascii"),
            "platform_serial": self.serial,
            "apiv3_key": self.apiv3_key,
            "pii_key": base64.b64encode(secrets.token_bytes(32)).decode("ascii"),
            "mchid": mchid,
        }
        self._clock = clock
        self._orders: dict[str, _SimOrder] = {}
        self._numbers = itertools.count(1)
        self._tokens: dict[str, float] = {}
        self._shipments: list[dict[str, Any]] = []

    def credentials(self) -> Credentials:
        base = super().credentials()
        extra = {**base.extra, "order_service_url": self.base_url if self._server else "http://127.0.0.1:1"}
        return Credentials(base.app_key, base.app_secret, base.shop_tokens, extra)

    # --- scenario ------------------------------------------------------------------------------------
    def place_order(self, spec: OrderSpec, *, paid: bool = True) -> str:
        if spec.shop_id not in self.shop_tokens:
            raise ValueError(f"mini-program {spec.shop_id} is not on this simulator")
        with self.lock:
            out_trade_no = f"MP{spec.created_at.astimezone(SHANGHAI):%Y%m%d}{next(self._numbers):08d}"
            total = sum(_paid(line) for line in spec.lines) + spec.freight_fen
            order = _SimOrder(out_trade_no, spec.shop_id, spec, total)
            self._orders[out_trade_no] = order
            self._notify_transaction(order, spec.created_at)
        if paid:
            self.pay(out_trade_no)
        return out_trade_no

    def pay(self, order_id: str) -> None:
        with self.lock:
            order = self._order(order_id)
            if order.trade_state != "NOTPAY":
                raise ValueError(f"order {order_id} is not awaiting payment")
            now = self._now()
            order.trade_state, order.success_time = "SUCCESS", _rfc3339(now)
            order.transaction_id = f"42000{secrets.randbelow(10**22):022d}"
            self._notify_transaction(order, now)

    def cancel(self, order_id: str) -> None:
        """Unpaid: the brand closes the payment (CLOSED). Paid and unshipped: a full refund (REFUND.SUCCESS)."""
        with self.lock:
            order = self._order(order_id)
            if order.trade_state == "NOTPAY":
                order.trade_state = "CLOSED"
                self._notify_transaction(order, self._now())
            elif order.trade_state == "SUCCESS" and not order.shipped:
                self._refund(order, order.total, "SUCCESS")
            else:
                raise ValueError(f"order {order_id} can no longer be cancelled")

    def request_refund(self, order_id: str) -> None:
        """Before shipment the brand refunds a buyer's request at once [brand policy]: REFUND.SUCCESS, whole."""
        with self.lock:
            order = self._order(order_id)
            if order.trade_state != "SUCCESS" or order.shipped:
                raise ValueError(f"order {order_id} is not paid and unshipped")
            self._refund(order, order.total, "SUCCESS")

    def partial_refund(self, order_id: str, fen: int) -> None:
        with self.lock:
            self._refund(self._order(order_id), fen, "SUCCESS")

    def refund_abnormal(self, order_id: str) -> None:
        """A refund WeChat Pay could not pay out (the buyer's card closed): REFUND.ABNORMAL."""
        with self.lock:
            self._refund(self._order(order_id), self._order(order_id).total, "ABNORMAL")

    def shipments(self) -> list[dict[str, Any]]:
        with self.lock:
            return [dict(s) for s in self._shipments]

    # --- push ----------------------------------------------------------------------------------------
    def push_request(
        self,
        order_id: str,
        *,
        forge: bool = False,
        omit_signature: bool = False,
        sent_at: datetime | None = None,
    ) -> WebhookRequest:
        with self.lock:
            body = self._order(order_id).notification
        return self._signed(body, forge=forge, omit=omit_signature, sent_at=sent_at)

    def wrong_serial_push(self, order_id: str) -> WebhookRequest:
        """Signed correctly but naming another certificate serial (a rotated certificate not configured yet)."""
        with self.lock:
            body = self._order(order_id).notification
        return self._signed(body, serial="5157F09EFDC096DE15EBE81A47057A7232F1B8E1")

    def underpaid_push(self, order_id: str) -> WebhookRequest:
        """A TRANSACTION.SUCCESS whose amount is one fen short of the order: the hub must refuse it."""
        with self.lock:
            order = self._order(order_id)
            transaction = {**self._transaction(order), "trade_state": "SUCCESS"}
            transaction["amount"] = {**transaction["amount"], "total": order.total - 1, "payer_total": order.total - 1}
            body = self._envelope("TRANSACTION.SUCCESS", "支付成功", "transaction", transaction, self._now())
        return self._signed(body)

    def _signed(
        self,
        body: bytes,
        *,
        forge: bool = False,
        omit: bool = False,
        sent_at: datetime | None = None,
        serial: str | None = None,
    ) -> WebhookRequest:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding, rsa

        timestamp = str(int((sent_at or datetime.now(UTC)).timestamp()))
        nonce = secrets.token_hex(16).upper()
        key = self._private_key
        if forge:
            self._forged_key = self._forged_key or rsa.generate_private_key(public_exponent=65537, key_size=2048)
            key = self._forged_key
        signature = key.sign(signing.message(timestamp, nonce, body), padding.PKCS1v15(), hashes.SHA256())
        headers = {
            "content-type": "application/json",
            "wechatpay-serial": serial or self.serial,
            "wechatpay-timestamp": timestamp,
            "wechatpay-nonce": nonce,
            "wechatpay-signature-type": signing.SIGNATURE_TYPE,
            "request-id": str(uuid.uuid4()),
        }
        if not omit:
            headers["wechatpay-signature"] = base64.b64encode(signature).decode("ascii")
        return WebhookRequest(headers, {}, body, datetime.now(UTC), _PUSH_PATH)

    def _notify_transaction(self, order: _SimOrder, at: datetime) -> None:
        summary = {"SUCCESS": "支付成功", "NOTPAY": "未支付", "CLOSED": "已关闭"}.get(order.trade_state, "")
        event = "TRANSACTION.SUCCESS" if order.trade_state == "SUCCESS" else f"TRANSACTION.{order.trade_state}"
        order.notification = self._envelope(event, summary, "transaction", self._transaction(order), at)

    def _refund(self, order: _SimOrder, fen: int, status: str) -> None:
        if order.trade_state not in ("SUCCESS", "REFUND"):
            raise ValueError(f"order {order.out_trade_no} is not paid")
        now = self._now()
        refund = {
            "mchid": self.mchid,
            "out_trade_no": order.out_trade_no,
            "transaction_id": order.transaction_id,
            "out_refund_no": f"RF{order.out_trade_no}",
            "refund_id": f"50300{secrets.randbelow(10**24):024d}",
            "refund_status": status,
            "success_time": _rfc3339(now) if status == "SUCCESS" else None,
            "user_received_account": "招商银行信用卡0403",
            "amount": {"total": order.total, "refund": fen, "payer_total": order.total, "payer_refund": fen},
        }
        if status == "SUCCESS":
            order.trade_state = "REFUND"
        order.notification = self._envelope(f"REFUND.{status}", "退款状态变更", "refund", refund, now)

    def _transaction(self, order: _SimOrder) -> dict[str, Any]:
        paid = order.trade_state in ("SUCCESS", "REFUND")
        return {
            "appid": order.appid,
            "mchid": self.mchid,
            "out_trade_no": order.out_trade_no,
            "transaction_id": order.transaction_id,
            "trade_type": "JSAPI",
            "trade_state": order.trade_state,
            "trade_state_desc": {"SUCCESS": "支付成功", "NOTPAY": "未支付", "CLOSED": "已关闭"}.get(
                order.trade_state, ""
            ),
            "bank_type": "CMB_CREDIT" if paid else "",
            "attach": "",
            "success_time": order.success_time,
            "payer": {"openid": order.spec.buyer_id},
            "amount": {
                "total": order.total,
                "payer_total": order.total if paid else 0,
                "currency": "CNY",
                "payer_currency": "CNY",
            },
        }

    def _envelope(self, event: str, summary: str, kind: str, resource: dict[str, Any], at: datetime) -> bytes:
        nonce = secrets.token_urlsafe(9)[:12]
        plaintext = json.dumps(resource, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        sealed = signing.encrypt_resource(
            self.apiv3_key.encode("utf-8"), nonce=nonce, associated_data=kind, plaintext=plaintext
        )
        envelope = {
            "id": str(uuid.uuid4()),
            "create_time": _rfc3339(at),
            "resource_type": "encrypt-resource",
            "event_type": event,
            "summary": summary,
            "resource": {
                "original_type": kind,
                "algorithm": signing.ALGORITHM,
                "ciphertext": sealed,
                "associated_data": kind,
                "nonce": nonce,
            },
        }
        return json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    # --- HTTP ----------------------------------------------------------------------------------------
    def handle(self, request: SimRequest) -> SimResponse:
        with self.lock:
            if request.path.startswith("/miniapp/v1/"):
                return self._brand(request)
            try:
                body = request.json() if request.body else {}
            except ValueError:
                return SimResponse.of_json({"errcode": 47001, "errmsg": "data format error"})
            if request.path == TOKEN_PATH:
                return SimResponse.of_json(self._stable_token(body))
            expiry = self._tokens.get(request.query.get("access_token", ""))
            if expiry is None or expiry <= self._clock():
                return SimResponse.of_json({"errcode": 40001, "errmsg": "invalid credential"})
            if request.path == "/wxa/sec/order/upload_shipping_info":
                return SimResponse.of_json(self._upload(body))
            if request.path == "/wxa/sec/order/get_order":
                return SimResponse.of_json(self._shipping_order(body))
            return SimResponse.of_json({"errcode": 40097, "errmsg": "invalid args"})

    def _stable_token(self, body: Mapping[str, Any]) -> dict[str, Any]:
        if body.get("appid") != self.app_key or body.get("secret") != self.app_secret:
            return {"errcode": 40125, "errmsg": "invalid appsecret"}
        now = self._clock()
        live = next((t for t, expiry in self._tokens.items() if expiry > now), None)
        if live is None:
            live = secrets.token_urlsafe(48)
            self._tokens[live] = now + _TOKEN_LIFETIME
        return {"access_token": live, "expires_in": int(self._tokens[live] - now)}

    def _upload(self, body: Mapping[str, Any]) -> dict[str, Any]:
        raw_key = body.get("order_key")
        key: Mapping[str, Any] = raw_key if isinstance(raw_key, Mapping) else {}
        order = self._orders.get(str(key.get("out_trade_no"))) if key.get("mchid") == self.mchid else None
        if order is None or order.trade_state != "SUCCESS":
            return {"errcode": 10060001, "errmsg": "支付单不存在"}
        if order.shipped:
            return {"errcode": 10060003, "errmsg": "订单已发货"}
        shipping = body.get("shipping_list")
        if not isinstance(shipping, list) or not shipping or not isinstance(body.get("payer"), Mapping):
            return {"errcode": 10060002, "errmsg": "参数错误"}
        first = shipping[0]
        order.shipped, order.shipping = True, dict(body)
        self._shipments.append(
            {
                "order_id": order.out_trade_no,
                "carrier_code": first.get("express_company"),
                "tracking_no": first.get("tracking_no"),
            }
        )
        return {"errcode": 0, "errmsg": "ok"}

    def _shipping_order(self, body: Mapping[str, Any]) -> dict[str, Any]:
        order = self._orders.get(str(body.get("merchant_trade_no")))
        if order is None or body.get("merchant_id") != self.mchid:
            return {"errcode": 10060001, "errmsg": "支付单不存在"}
        state = 5 if order.trade_state == "REFUND" else 2 if order.shipped else 1
        return {"errcode": 0, "errmsg": "ok", "order": {"merchant_trade_no": order.out_trade_no, "order_state": state}}

    def _brand(self, request: SimRequest) -> SimResponse:
        token = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        shop = next((s for s, t in self.shop_tokens.items() if t == token), None)
        if shop is None:
            return SimResponse.of_json({"code": "UNAUTHORIZED", "message": "bad token"}, status=401)
        order_prefix, stock_prefix = ORDER_PATH.format(""), STOCK_PATH.format("")
        if request.path.startswith(order_prefix) and request.method == "GET":
            order = self._orders.get(request.path[len(order_prefix) :])
            if order is None or order.appid != shop:
                return SimResponse.of_json({"code": "ORDER_NOT_FOUND", "message": "no such order"}, status=404)
            return SimResponse.of_json(self._brand_order(order))
        if request.path.startswith(stock_prefix):
            item = self.listing_by_channel_sku(shop, request.path[len(stock_prefix) :])
            if item is None:
                return SimResponse.of_json({"code": "SKU_NOT_FOUND", "message": "no such sku"}, status=404)
            if request.method == "POST":
                quantity = request.json().get("quantity")
                if not isinstance(quantity, int) or quantity < 0:
                    return SimResponse.of_json({"code": "BAD_REQUEST", "message": "quantity"}, status=400)
                self.record_stock_push(shop, item.channel_sku_id, quantity)
            return SimResponse.of_json(
                {"sku_id": item.channel_sku_id, "quantity": self.shown_stock(shop, item.channel_sku_id)}
            )
        return SimResponse.of_json({"code": "NOT_FOUND", "message": request.path}, status=404)

    def _brand_order(self, order: _SimOrder) -> dict[str, Any]:
        spec, receiver = order.spec, order.spec.receiver
        lines = []
        for number, line in enumerate(spec.lines, start=1):
            item = self.listing(order.appid, line.sku)
            lines.append(
                {
                    "line_id": str(number),
                    "sku_code": line.sku,
                    "sku_id": item.channel_sku_id,
                    "product_id": item.channel_product_id,
                    "title": line.title or line.sku,
                    "quantity": line.quantity,
                    "unit_price_fen": line.unit_price_fen,
                    "paid_fen": _paid(line),
                    "is_gift": _paid(line) == 0 and line.unit_price_fen > 0,
                }
            )
        goods = sum(line.unit_price_fen * line.quantity for line in spec.lines)
        return {
            "out_trade_no": order.out_trade_no,
            "appid": order.appid,
            "openid": spec.buyer_id,
            "created_at": _rfc3339(spec.created_at),
            "paid_at": order.success_time,
            "total_fen": order.total,
            "freight_fen": spec.freight_fen,
            "discount_fen": goods + spec.freight_fen - order.total,
            "coupon_ids": [],
            "buyer_message": spec.buyer_message,
            "fulfilment": {"mode": "SHIP", "store_id": None},
            "receiver": {
                "name": receiver.name,
                "phone": receiver.phone,
                "province": receiver.province,
                "city": receiver.city,
                "district": receiver.district,
                "detail": receiver.detail,
            },
            "lines": lines,
        }

    def _order(self, order_id: str) -> _SimOrder:
        try:
            return self._orders[order_id]
        except KeyError as exc:
            raise KeyError(f"no mini-program order {order_id} on the simulator") from exc

    def _now(self) -> datetime:
        return datetime.fromtimestamp(int(self._clock()), tz=UTC)


def _paid(line: Any) -> int:
    paid: int = line.paid_fen if line.paid_fen is not None else line.unit_price_fen * line.quantity
    return paid
