"""A local TOP router for Tmall / Taobao: signed calls in, TOP-shaped answers out.

What it does like TOP (reference/platforms.md §1):
- one endpoint, `/router/rest`, taking parameters from the query string and the form body; checks the
  system parameters, the timestamp (GMT+8, within `timestamp_tolerance` of its clock), the app key, the
  session, and the signature (md5, hmac, hmac-sha256);
- `taobao.trades.sold.increment.get`: trades of the session's shop modified within [start, end], sorted by
  modified descending, paged for real (`page_no`, `page_size` ≤ 100, `total_results` or `has_next`), and an
  error when the window spans more than one day;
- `taobao.trade.fullinfo.get`: the current trade, restricted to the requested `fields` (`oaid` only when the
  receiver fields and `created` are requested); `serve_stale_once` makes the next read return the previous
  snapshot, as a lagging replica would;
- TMC over HTTP: `taobao.tmc.messages.consume` returns unconfirmed messages — again and again until they are
  confirmed — and `taobao.tmc.messages.confirm` removes them;
- `taobao.logistics.offline.send`: ships a paid trade (or some sub-orders), and answers a repeat with B04;
- faults: the base class's HTTP faults (429/5xx on any call) and `inject_method_faults` for one API,
  optionally after some successful calls (a "crash mid-window").

The router itself (system parameters, signature, faults) is `connectors.tmall.top_router`.
"""

import copy
import hashlib
import json
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, ClassVar

from connectors.sdk.simulator import OrderSpec
from connectors.tmall.client import ALREADY_SHIPPED_SUB_CODE
from connectors.tmall.top_router import TopApi, TopFault, TopRouterSimulator, required
from schemas.money import fen_to_yuan, yuan_to_fen
from schemas.timeutil import from_shanghai_text, to_shanghai_text, utc_now

TOP_PUBLISHER_APP_KEY = "12497914"  # [INFERRED] the app key TMC messages from Taobao carry
OAID_FIELDS = frozenset({"receiver_name", "receiver_address", "created", "receiver_mobile", "receiver_phone"})
SHIPPED = "WAIT_BUYER_CONFIRM_GOODS"


def _masked_name(name: str) -> str:
    return name[0] + "*" * max(len(name) - 1, 1)


def _masked_phone(phone: str) -> str:
    return "*" * max(len(phone) - 4, 3) + phone[-4:]


class TmallSimulator(TopRouterSimulator):
    channel: ClassVar[str] = "tmall"

    def __init__(
        self,
        *,
        app_key: str = "12345678",
        app_secret: str = "tmall-sim-secret",
        shop_tokens: Mapping[str, str] | None = None,
        now: Callable[[], datetime] = utc_now,
        timestamp_tolerance: timedelta | None = timedelta(minutes=10),
    ) -> None:
        super().__init__(
            app_key=app_key,
            app_secret=app_secret,
            shop_tokens=shop_tokens or {"2200000001": "sim-session-1"},
            now=now,
            timestamp_tolerance=timestamp_tolerance,
        )
        self._trades: dict[str, dict[str, Any]] = {}
        self._owner: dict[str, str] = {}  # tid -> shop_id
        self._history: dict[str, list[dict[str, Any]]] = {}
        self._stale_once: set[str] = set()
        self._queue: list[dict[str, Any]] = []  # unconfirmed TMC messages, oldest first
        self._confirmed: list[str] = []
        self._shipments: list[dict[str, Any]] = []
        self._last_topic: dict[str, str] = {}
        self._next_tid = 3_900_000_000_000_000_000
        self._next_message_id = 1_000_000_000_001

    def api_methods(self) -> Mapping[str, tuple[TopApi, bool]]:
        return _HANDLERS

    # --- APIs ----------------------------------------------------------------------------------------
    def _increment_get(self, params: Mapping[str, str], shop_id: str | None) -> dict[str, Any]:
        fields = required(params, "fields").split(",")
        try:
            start = from_shanghai_text(required(params, "start_modified"))
            end = from_shanghai_text(required(params, "end_modified"))
            page_no = int(params.get("page_no") or 1)
            page_size = int(params.get("page_size") or 40)
        except ValueError as exc:
            raise TopFault(41, "Invalid Arguments") from exc
        if end < start or end - start > timedelta(days=1):
            raise TopFault(
                15,
                "Remote service error",
                "isv.invalid-parameter:start_modified-end_modified",
                "start_modified and end_modified must be ordered and at most one day apart",
            )
        if page_no < 1 or not 1 <= page_size <= 100:
            raise TopFault(41, "Invalid Arguments", "isv.invalid-parameter:page", "page_no >= 1, page_size 1-100")
        matching = [
            trade
            for tid, trade in self._trades.items()
            if self._owner[tid] == shop_id and start <= from_shanghai_text(trade["modified"]) <= end
        ]
        matching.sort(key=lambda t: (from_shanghai_text(t["modified"]), int(t["tid"])), reverse=True)
        page = matching[(page_no - 1) * page_size : page_no * page_size]
        body: dict[str, Any] = {"trades": {"trade": [_only(t, fields) for t in page]}}
        if params.get("use_has_next") == "true":
            body["has_next"] = page_no * page_size < len(matching)
        else:
            body["total_results"] = len(matching)
        return body

    def _fullinfo_get(self, params: Mapping[str, str], shop_id: str | None) -> dict[str, Any]:
        fields = required(params, "fields").split(",")
        tid = required(params, "tid")
        if tid not in self._trades or self._owner[tid] != shop_id:
            raise TopFault(15, "Remote service error", "isv.trade-not-exist", f"trade {tid} not found")
        trade = self._trades[tid]
        if tid in self._stale_once and len(self._history[tid]) >= 2:
            self._stale_once.discard(tid)
            trade = self._history[tid][-2]
        shown = _only(trade, fields)
        if not OAID_FIELDS.issubset(fields):
            shown.pop("oaid", None)
        return {"trade": shown}

    def _tmc_consume(self, params: Mapping[str, str], shop_id: str | None) -> dict[str, Any]:
        try:
            quantity = int(params.get("quantity") or 100)
        except ValueError as exc:
            raise TopFault(41, "Invalid Arguments") from exc
        if not 10 <= quantity <= 200:
            raise TopFault(41, "Invalid Arguments", "isv.invalid-parameter:quantity", "quantity must be 10-200")
        group = params.get("group_name") or "default"
        if group != "default":
            raise TopFault(15, "Remote service error", "isv.group-not-exist", f"group {group} does not exist")
        batch = [copy.deepcopy(m) for m in self._queue[:quantity]]
        return {"messages": {"tmc_message": batch}} if batch else {}

    def _tmc_confirm(self, params: Mapping[str, str], shop_id: str | None) -> dict[str, Any]:
        ids = {i.strip() for i in required(params, "s_message_ids").split(",") if i.strip()}
        if len(ids) > 200:
            raise TopFault(41, "Invalid Arguments", "isv.invalid-parameter:s_message_ids", "at most 200 ids")
        self._confirmed.extend(str(m["id"]) for m in self._queue if str(m["id"]) in ids)
        self._queue = [m for m in self._queue if str(m["id"]) not in ids]
        return {"is_success": True}

    def _offline_send(self, params: Mapping[str, str], shop_id: str | None) -> dict[str, Any]:
        tid = required(params, "tid")
        out_sid = required(params, "out_sid")
        company = required(params, "company_code")
        if tid not in self._trades or self._owner[tid] != shop_id:
            raise TopFault(15, "Remote service error", "isv.logistics-offline-service-error:B01", "订单不存在")
        trade = self._trades[tid]
        if trade.get("type") == "cod":
            raise TopFault(15, "Remote service error", "isv.logistics-offline-service-error:COD", "货到付款订单")
        subs = trade["orders"]["order"]
        wanted = {s["oid_str"] for s in subs}
        if params.get("is_split") == "1":
            wanted = {i.strip() for i in params.get("sub_tid", "").split(",") if i.strip()}
            if not wanted or not wanted <= {s["oid_str"] for s in subs}:
                raise TopFault(15, "Remote service error", "isv.logistics-offline-service-error:P38", "拆单校验未通过")
        sendable = trade["status"] in ("WAIT_SELLER_SEND_GOODS", "SELLER_CONSIGNED_PART")
        if not sendable or any(s["status"] != "WAIT_SELLER_SEND_GOODS" for s in subs if s["oid_str"] in wanted):
            raise TopFault(
                15, "Remote service error", ALREADY_SHIPPED_SUB_CODE, "订单状态不对，已经发货或者已关闭，不能重复发货"
            )
        for sub in subs:
            if sub["oid_str"] in wanted:
                sub["status"] = SHIPPED
        trade["status"] = SHIPPED if all(s["status"] == SHIPPED for s in subs) else "SELLER_CONSIGNED_PART"
        trade["consign_time"] = to_shanghai_text(self.now())
        self._touch(tid)
        topic = "TradeSellerShip" if trade["status"] == SHIPPED else "TradePartlySellerShip"
        self._publish(tid, f"taobao_trade_{topic}")
        self._shipments.append(
            {"order_id": tid, "carrier_code": company, "tracking_no": out_sid, "sub_tids": sorted(wanted)}
        )
        return {"shipping": {"is_success": True}}

    def _listed_sku(self, params: Mapping[str, str], shop_id: str | None) -> str:
        sku_id = required(params, "sku_id")
        item = self.listing_by_channel_sku(shop_id or "", sku_id)
        if item is None or params.get("num_iid") != item.channel_product_id:
            raise TopFault(15, "Remote service error", "isv.item-not-exist", f"商品或SKU不存在: {sku_id}")
        return sku_id

    def _quantity_update(self, params: Mapping[str, str], shop_id: str | None) -> dict[str, Any]:
        sku_id = self._listed_sku(params, shop_id)
        quantity = required(params, "quantity")
        if not quantity.lstrip("-").isdigit():
            raise TopFault(41, "Invalid Arguments", "isv.invalid-parameter:quantity", "quantity 不是整数")
        figure = self.record_stock_push(shop_id or "", sku_id, int(quantity), incremental=params.get("type") == "2")
        return {"item": {"num_iid": int(params["num_iid"]), "num": figure, "modified": to_shanghai_text(self.now())}}

    def _sku_get(self, params: Mapping[str, str], shop_id: str | None) -> dict[str, Any]:
        sku_id = self._listed_sku(params, shop_id)
        return {
            "sku": {
                "sku_id": int(sku_id),
                "num_iid": int(params["num_iid"]),
                "quantity": self.shown_stock(shop_id or "", sku_id),
            }
        }

    # --- scenario ------------------------------------------------------------------------------------
    def place_order(self, spec: OrderSpec, *, paid: bool = True) -> str:
        if spec.shop_id not in self.shop_tokens:
            raise ValueError(f"unknown shop {spec.shop_id}")
        with self.lock:
            self._next_tid += 100
            tid = self._next_tid
            # The spec's creation time, but never later than the platform's now (created <= modified).
            created = to_shanghai_text(min(spec.created_at, self.now()).replace(microsecond=0))
            subs: list[dict[str, Any]] = []
            for index, line in enumerate(spec.lines, start=1):
                listed = self.listing(spec.shop_id, line.sku)
                paid_fen = line.paid_fen if line.paid_fen is not None else line.unit_price_fen * line.quantity
                subs.append(
                    {
                        "oid": tid + index,
                        "oid_str": str(tid + index),
                        "num_iid": int(listed.channel_product_id or 0),
                        "sku_id": listed.channel_sku_id,
                        "outer_iid": line.sku.split("-")[0],
                        "outer_sku_id": line.sku,
                        "title": line.title or line.sku,
                        "num": line.quantity,
                        "price": fen_to_yuan(line.unit_price_fen),
                        "total_fee": fen_to_yuan(line.unit_price_fen * line.quantity),
                        "payment": fen_to_yuan(paid_fen),
                        "divide_order_fee": fen_to_yuan(paid_fen),
                        "status": "WAIT_BUYER_PAY",
                        "refund_status": "NO_REFUND",
                    }
                )
            goods = sum(yuan_to_fen(s["total_fee"]) for s in subs)
            paid_total = sum(yuan_to_fen(s["payment"]) for s in subs) + spec.freight_fen
            receiver = spec.receiver
            oaid = hashlib.sha256(f"{receiver.name}|{receiver.phone}|{receiver.detail}".encode()).hexdigest()[:40]
            trade: dict[str, Any] = {
                "tid": tid,
                "tid_str": str(tid),
                "status": "WAIT_BUYER_PAY",
                "type": "fixed",
                "created": created,
                "modified": created,  # an untouched order was last modified when it was created
                "payment": fen_to_yuan(paid_total),
                "total_fee": fen_to_yuan(goods),
                "post_fee": fen_to_yuan(spec.freight_fen),
                "discount_fee": fen_to_yuan(max(goods + spec.freight_fen - paid_total, 0)),
                "adjust_fee": "0.00",
                "buyer_open_uid": spec.buyer_id,
                "buyer_message": spec.buyer_message or None,
                "receiver_name": _masked_name(receiver.name),
                "receiver_mobile": _masked_phone(receiver.phone),
                "receiver_phone": "",
                "receiver_state": receiver.province,
                "receiver_city": receiver.city,
                "receiver_district": receiver.district,
                "receiver_town": "",
                "receiver_address": f"{receiver.province}{receiver.city}{receiver.district}****",
                "receiver_zip": "000000",
                "oaid": oaid,
                "shipping_type": "express",
                "orders": {"order": subs},
            }
            tid_text = str(tid)
            self._trades[tid_text] = {k: v for k, v in trade.items() if v is not None}
            self._owner[tid_text] = spec.shop_id
            self._history[tid_text] = [copy.deepcopy(self._trades[tid_text])]
            self._publish(tid_text, "taobao_trade_TradeCreate")
        if paid:
            self.pay(tid_text)
        return tid_text

    def pay(self, order_id: str) -> None:
        with self.lock:
            trade = self._trade(order_id)
            if trade["status"] != "WAIT_BUYER_PAY":
                raise ValueError(f"trade {order_id} is {trade['status']}, not awaiting payment")
            trade["status"] = "WAIT_SELLER_SEND_GOODS"
            trade["pay_time"] = to_shanghai_text(self.now())
            for sub in trade["orders"]["order"]:
                sub["status"] = "WAIT_SELLER_SEND_GOODS"
            self._touch(order_id)
            self._publish(order_id, "taobao_trade_TradeBuyerPay")

    def cancel(self, order_id: str) -> None:
        """Unpaid: Taobao closes it (TRADE_CLOSED_BY_TAOBAO). Paid, unshipped: refunded and TRADE_CLOSED."""
        with self.lock:
            trade = self._trade(order_id)
            subs = trade["orders"]["order"]
            if trade["status"] in ("WAIT_BUYER_PAY", "TRADE_NO_CREATE_PAY"):
                trade["status"] = "TRADE_CLOSED_BY_TAOBAO"
                for sub in subs:
                    sub["status"] = "TRADE_CLOSED_BY_TAOBAO"
            elif trade["status"] in ("WAIT_SELLER_SEND_GOODS", "PAID_FORBID_CONSIGN"):
                trade["status"] = "TRADE_CLOSED"
                for sub in subs:
                    sub.update({"status": "TRADE_CLOSED", "refund_status": "SUCCESS"})
                self._publish(order_id, "taobao_refund_RefundSuccess", refund=True)
            else:
                raise ValueError(f"trade {order_id} is {trade['status']}: it cannot be cancelled")
            trade["end_time"] = to_shanghai_text(self.now())
            self._touch(order_id)
            self._publish(order_id, "taobao_trade_TradeClose")

    def request_refund(self, order_id: str) -> None:
        with self.lock:
            trade = self._trade(order_id)
            if trade["status"] not in ("WAIT_SELLER_SEND_GOODS", "SELLER_CONSIGNED_PART", SHIPPED):
                raise ValueError(f"trade {order_id} is {trade['status']}: nothing to refund")
            for sub in trade["orders"]["order"]:
                sub.update({"refund_status": "WAIT_SELLER_AGREE", "refund_id": str(int(sub["oid"]) + 7)})
            self._touch(order_id)
            self._publish(order_id, "taobao_refund_RefundCreated", refund=True)

    def touch(self, order_id: str) -> None:
        """A change that moves `modified` without a status change (e.g. the seller edits the memo)."""
        with self.lock:
            self._trade(order_id)["seller_memo"] = "memo updated"
            self._touch(order_id)
            self._publish(order_id, "taobao_trade_TradeMemoModified")

    def serve_stale_once(self, order_id: str) -> None:
        """The next fullinfo read of this trade returns its previous snapshot (a lagging replica)."""
        with self.lock:
            self._trade(order_id)
            self._stale_once.add(order_id)

    def replay_last_message(self, order_id: str) -> None:
        """TMC delivers the last message about this trade once more (an at-least-once redelivery)."""
        with self.lock:
            self._trade(order_id)
            self._publish(order_id, self._last_topic.get(order_id, "taobao_trade_TradeChanged"))

    def drop_messages(self) -> None:
        """TMC loses everything queued (an outage): only the increment windows can find those changes."""
        with self.lock:
            self._queue.clear()

    def reset(self) -> None:
        """Forget every trade, message, shipment and fault (the clock and credentials stay)."""
        with self.lock:
            for store in (self._trades, self._owner, self._history, self._last_topic):
                store.clear()
            self._stale_once.clear()
            self._queue.clear()
            self._confirmed.clear()
            self._shipments.clear()
            self._method_faults.clear()
            self.faults.remaining = 0
        with self.requests.lock:
            self.requests.entries.clear()

    def shipments(self) -> list[dict[str, Any]]:
        with self.lock:
            return copy.deepcopy(self._shipments)

    def trade(self, order_id: str) -> dict[str, Any]:
        with self.lock:
            return copy.deepcopy(self._trade(order_id))

    def pending_messages(self) -> list[dict[str, Any]]:
        with self.lock:
            return copy.deepcopy(self._queue)

    def confirmed_message_ids(self) -> list[str]:
        with self.lock:
            return list(self._confirmed)

    def calls(self, method: str) -> int:
        """How many requests named this API (including refused ones)."""
        count = 0
        with self.requests.lock:
            entries = list(self.requests.entries)
        for entry in entries:
            params = {**dict(entry.query), **(entry.form() if entry.body else {})}
            count += params.get("method") == method
        return count

    # --- internals -----------------------------------------------------------------------------------
    def _trade(self, order_id: str) -> dict[str, Any]:
        try:
            return self._trades[order_id]
        except KeyError as exc:
            raise KeyError(f"no trade {order_id}") from exc

    def _touch(self, tid: str) -> None:
        """Move `modified` to now (strictly later than before: TOP times have one-second resolution)."""
        trade = self._trades[tid]
        moment = self.now().replace(microsecond=0)
        previous = from_shanghai_text(trade["modified"])
        if moment <= previous:
            moment = previous + timedelta(seconds=1)
        trade["modified"] = to_shanghai_text(moment)
        self._history[tid].append(copy.deepcopy(trade))

    def _publish(self, tid: str, topic: str, *, refund: bool = False) -> None:
        trade = self._trades[tid]
        shop_id = self._owner[tid]
        first = trade["orders"]["order"][0]
        content: dict[str, Any] = {
            "tid": int(tid),
            "oid": int(first["oid"]),
            "status": trade["status"],
            "payment": trade["payment"],
            "type": trade["type"],
            "buyer_open_uid": trade["buyer_open_uid"],
            "seller_nick": f"shop-{shop_id}",
        }
        if refund:
            content.update(
                {
                    "refund_id": int(first.get("refund_id") or int(first["oid"]) + 7),
                    "refund_fee": trade["payment"],
                    "bill_type": "refund_bill",
                    "refund_phase": "onsale",
                    "modified": trade["modified"],
                }
            )
        self._queue.append(
            {
                "id": self._next_message_id,
                "topic": topic,
                "pub_app_key": TOP_PUBLISHER_APP_KEY,
                "pub_time": to_shanghai_text(self.now()),
                "user_id": int(shop_id) if shop_id.isdigit() else shop_id,
                "user_nick": f"shop-{shop_id}",
                "content": json.dumps(content, ensure_ascii=False),
            }
        )
        self._next_message_id += 1
        self._last_topic[tid] = topic


def _only(trade: Mapping[str, Any], fields: list[str]) -> dict[str, Any]:
    """The trade restricted to the requested top-level fields (`orders` brings every sub-order field)."""
    wanted = {f.strip() for f in fields if f.strip()}
    shown = {k: copy.deepcopy(v) for k, v in trade.items() if k in wanted}
    if "orders" not in wanted and any(f.startswith("orders.") for f in wanted):
        keep = {f.removeprefix("orders.") for f in wanted if f.startswith("orders.")}
        shown["orders"] = {"order": [{k: v for k, v in s.items() if k in keep} for s in trade["orders"]["order"]]}
    return shown


# method -> (handler, needs a session)
_HANDLERS: dict[str, tuple[TopApi, bool]] = {
    "taobao.trades.sold.increment.get": (TmallSimulator._increment_get, True),
    "taobao.trade.fullinfo.get": (TmallSimulator._fullinfo_get, True),
    "taobao.tmc.messages.consume": (TmallSimulator._tmc_consume, False),
    "taobao.tmc.messages.confirm": (TmallSimulator._tmc_confirm, False),
    "taobao.logistics.offline.send": (TmallSimulator._offline_send, True),
    "taobao.item.quantity.update": (TmallSimulator._quantity_update, True),
    "taobao.item.sku.get": (TmallSimulator._sku_get, True),
}
