"""The Kuaishou 快手小店 connector: encrypted pushes and `open.order.cursor.list` polling in one class.

Intake, both ways (platforms.md §5):
- Push: the body is AES-CBC ciphertext sealed with the app's MsgSecret and carries no signature; `verify`
  accepts only a body that decrypts (strict PKCS#7) to a JSON message naming this app, sent within
  REPLAY_WINDOW (30 min) of receipt — see `connectors.kuaishou.push`. Order events (`kwaishop_order_*`) and
  refund events (`kwaishop_aftersales_*`) lead to one `open.order.detail` of the order; heartbeats (`test`),
  other events and messages of sellers without a configured token are acknowledged and dropped (the poller
  of each configured shop is the safety net).
- Poll: `open.order.cursor.list` by update time (queryType 2), windows of 30 minutes (the platform allows
  up to 7 days and 90 days back [SRC-3P]), pageSize ≤ 50. Kuaishou pages by an opaque cursor (first page
  "", end marker `nomore` [INFERRED]), not by page number, and whether the cursor is a position (keyset) or
  an offset is [NOT FOUND]. So `count_pages` walks the window forward once and remembers each page's cursor,
  and the runner then reads pages last → first (`page_backwards`) with the remembered cursors: correct under
  either cursor semantics (an order modified mid-walk leaves the window and can only shift unread pages
  towards page 1, which is read last) at the cost of one extra list call per page. A fresh process asked
  for page k (a crash resumed in a new Lambda) re-walks pages 1..k-1 to find k's cursor.

Outbound:
- Shipment: `open.seller.order.goods.deliver` {orderId, expressNo, expressCode} [params INFERRED from SDK
  mirrors]; whole orders only (a partial shipment is refused here). `expressCode` is Kuaishou's integer
  carrier code: a numeric `carrier_code` is sent as is, otherwise it is looked up in the operator-configured
  table `Credentials.extra["express_codes"]` (JSON object, e.g. {"SF": 4}) — Kuaishou's code table is not in
  the reference, so no code is guessed. Since 2024-11 a repeat with the same expressNo is answered as success
  [SRC-3P]; any refusal is checked by re-reading the order: already shipped (40/50/70) is success.
- Stock: `open.item.sku.stock.update` is a **delta** (§5.5), so a full overwrite is read-then-change: read
  `open.item.sku.list.get` [INFERRED read call], send the difference once (never retried blindly: a repeat
  would apply it twice), re-read, and repeat until the figure is the target (a few rounds at most).

Credentials: `app_key` = AppKey; `app_secret` = AppSecret (OAuth only, unused here); `extra.sign_secret` =
SignSecret (API signing, required); `extra.msg_secret` = MsgSecret (push decryption, required for webhooks);
`extra.express_codes` optional. Push reply: `{"result":1}` with HTTP 200 [NOT FOUND in the reference;
inferred from the API envelope, where result 1 = success]; a refusal is a non-2xx with `{"result":0,...}`.
The shop id is the seller's Kuaishou user id (`userId` / `sellerId` in pushes) [INFERRED].
"""

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import httpx

from connectors.kuaishou import normalise as kuaishou_normalise
from connectors.kuaishou import push
from connectors.kuaishou.client import NO_MORE, KuaishouApiError, KuaishouClient
from connectors.kuaishou.statuses import SHIPPED_CODES
from connectors.sdk.contracts import (
    Credentials,
    Notification,
    OrderSummary,
    PollingConnector,
    PollPage,
    Shipment,
    StockItem,
    WebhookConnector,
    WebhookReply,
    WebhookRequest,
)
from connectors.sdk.errors import ConnectorError, PlatformRejected, PlatformUnavailable
from connectors.sdk.http import PlatformHttp
from hubcore.errors import HubError
from hubcore.observability import logger
from schemas.order import Order, RawPayloadRef

SUCCESS_BODY = '{"result":1}'
MAX_PAGES_PER_WINDOW = 2000  # a guard against a cursor that never ends
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class KuaishouNotConfigured(ConnectorError):
    code = "KUAISHOU_NOT_CONFIGURED"
    http_status = 500


class PartialShipmentUnsupported(ConnectorError):
    code = "PARTIAL_SHIPMENT_UNSUPPORTED"
    http_status = 409


class UnknownCarrier(ConnectorError):
    code = "UNKNOWN_CARRIER"
    http_status = 422


@dataclass
class _WindowCursors:
    """The cursors of one window's pages: `cursors[k - 1]` fetches page k (page 1's is "")."""

    start: datetime
    end: datetime
    cursors: list[str] = field(default_factory=lambda: [""])


def _millis(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: windows must be timezone-aware")
    return (moment - _EPOCH) // timedelta(milliseconds=1)


class KuaishouConnector(WebhookConnector, PollingConnector):
    channel: ClassVar[str] = "kuaishou"
    max_window: ClassVar[timedelta] = timedelta(minutes=30)
    safety_lag: ClassVar[timedelta] = timedelta(minutes=1)
    window_overlap: ClassVar[timedelta] = timedelta(minutes=1)
    initial_lookback: ClassVar[timedelta] = timedelta(hours=1)
    page_backwards: ClassVar[bool] = True
    supports_messages: ClassVar[bool] = False
    max_page_size: ClassVar[int] = 50  # Kuaishou: at most 50 [SRC-3P]
    stock_rounds: ClassVar[int] = 4
    http_max_attempts: ClassVar[int] = 4
    http_initial_backoff: ClassVar[float] = 0.2

    def __init__(
        self,
        credentials: Credentials,
        api_base_url: str,
        *,
        http: PlatformHttp | None = None,
        write_http: PlatformHttp | None = None,
        transport: httpx.BaseTransport | None = None,
        page_size: int | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__(credentials, api_base_url)
        sign_secret = credentials.extra.get("sign_secret")
        if not sign_secret:
            raise KuaishouNotConfigured("Kuaishou credentials need extra.sign_secret (the app's SignSecret)")
        self.page_size = min(page_size or self.max_page_size, self.max_page_size)
        self._http = http or PlatformHttp(
            self.api_base_url,
            max_attempts=self.http_max_attempts,
            initial_backoff=self.http_initial_backoff,
            transport=transport,
        )
        self._write_http = write_http or PlatformHttp(self.api_base_url, max_attempts=1, transport=transport)
        self.client = KuaishouClient(
            app_key=credentials.app_key,
            sign_secret=sign_secret,
            http=self._http,
            write_http=self._write_http,
            clock=(lambda: clock().timestamp()) if clock else time.time,
        )
        self._windows: dict[str, _WindowCursors] = {}

    # --- push ----------------------------------------------------------------------------------------
    def _open(self, request: WebhookRequest) -> dict[str, Any]:
        msg_secret = self.credentials.extra.get("msg_secret")
        if not msg_secret:
            raise KuaishouNotConfigured("Kuaishou credentials need extra.msg_secret to read pushes")
        try:
            return push.open_message(request.body, msg_secret=msg_secret, app_key=self.credentials.app_key)
        except ValueError as exc:  # the configured MsgSecret itself is unusable
            raise KuaishouNotConfigured(str(exc)) from exc

    def verify(self, request: WebhookRequest) -> None:
        push.check_fresh(self._open(request), request.received_at)

    def parse_notifications(self, request: WebhookRequest) -> Sequence[Notification]:
        message = push.parse_message(self._open(request))
        if message.is_test or message.order_id is None:
            logger.info("kuaishou push acknowledged without an order", kuaishou_event=message.event)
            return []
        if message.seller_id not in self.credentials.shop_tokens:
            logger.warning("kuaishou push for a seller without a token; dropped", kuaishou_event=message.event)
            return []
        logger.info("kuaishou push parsed", kuaishou_event=message.event)
        return [
            Notification(
                message_id=message.event_id,
                shop_id=message.seller_id,
                channel_order_id=message.order_id,
                topic=message.event,
                payload=message.info,
            )
        ]

    def fetch_notified_order(self, notification: Notification) -> Mapping[str, Any]:
        return self.client.order_detail(notification.channel_order_id, self.credentials.token_for(notification.shop_id))

    def success_reply(self) -> WebhookReply:
        return WebhookReply(status=200, body=SUCCESS_BODY)

    def error_reply(self, error: HubError) -> WebhookReply:
        # Kuaishou's own envelope shape (result ≠ 1), plus the hub's machine-readable error.
        body = {"result": 0, "error_msg": error.message, "error": {"code": error.code, "message": error.message}}
        return WebhookReply(status=error.http_status, body=json.dumps(body, ensure_ascii=False))

    # --- polling -------------------------------------------------------------------------------------
    def _window(self, shop_id: str, start: datetime, end: datetime) -> _WindowCursors:
        known = self._windows.get(shop_id)
        if known is None or (known.start, known.end) != (start, end):
            known = self._windows[shop_id] = _WindowCursors(start, end)
        return known

    def _fetch(self, shop_id: str, window: _WindowCursors, cursor: str) -> tuple[list[dict[str, Any]], str]:
        return self.client.order_cursor_list(
            access_token=self.credentials.token_for(shop_id),
            begin_ms=_millis(window.start),
            end_ms=_millis(window.end),
            cursor=cursor,
            page_size=self.page_size,
        )

    def _read_page(self, shop_id: str, window: _WindowCursors, page: int) -> tuple[list[dict[str, Any]], str]:
        """Page `page` of the window, walking forward from the last known cursor when it is not known yet."""
        while len(window.cursors) < page:
            orders, following = self._fetch(shop_id, window, window.cursors[-1])
            if not orders or following in (NO_MORE, window.cursors[-1]):
                return [], NO_MORE  # the window has fewer pages now
            window.cursors.append(following)
        cursor = window.cursors[page - 1]
        orders, following = self._fetch(shop_id, window, cursor)
        if len(window.cursors) == page and orders and following not in (NO_MORE, cursor):
            window.cursors.append(following)
        return orders, following

    def count_pages(self, shop_id: str, start: datetime, end: datetime) -> int:
        """Walk the window forward once, remembering every page's cursor for the backward read."""
        window = self._windows[shop_id] = _WindowCursors(start, end)
        pages = 0
        while pages < MAX_PAGES_PER_WINDOW:
            cursor = window.cursors[pages]
            orders, following = self._fetch(shop_id, window, cursor)
            if not orders:
                break
            pages += 1
            if following in (NO_MORE, cursor):
                break
            window.cursors.append(following)
        return pages

    def list_changed(self, shop_id: str, start: datetime, end: datetime, page: int) -> PollPage:
        if page < 1:
            raise ValueError("pages are 1-based")
        orders, following = self._read_page(shop_id, self._window(shop_id, start, end), page)
        summaries = tuple(_summary(order) for order in orders)
        return PollPage(page_no=page, page_size=self.page_size, summaries=summaries, has_next=following != NO_MORE)

    def fetch_order(self, shop_id: str, summary: OrderSummary) -> Mapping[str, Any]:
        return self.client.order_detail(summary.channel_order_id, self.credentials.token_for(shop_id))

    # --- orders --------------------------------------------------------------------------------------
    def normalise(self, raw_order: Mapping[str, Any], *, shop_id: str, raw_ref: RawPayloadRef | None) -> Order:
        return kuaishou_normalise.to_order(raw_order, shop_id=shop_id, raw_ref=raw_ref)

    def confirm_shipment(self, order: Order, shipment: Shipment) -> None:
        """Deliver the whole order; an order Kuaishou already shows as shipped counts as success."""
        line_ids = {line.line_id for line in order.lines}
        if shipment.line_ids and not line_ids.issubset(shipment.line_ids):
            raise PartialShipmentUnsupported(f"order {order.order_key}: partial shipment write-back is not supported")
        express_code = self._express_code(shipment.carrier_code)
        token = self.credentials.token_for(order.shop_id)
        try:
            self.client.goods_deliver(
                order_id=order.channel_order_id,
                express_no=shipment.tracking_no,
                express_code=express_code,
                access_token=token,
            )
        except KuaishouApiError:
            detail = self.client.order_detail(order.channel_order_id, token)
            base = detail.get("orderBaseInfo") or {}
            if _int_or_none(base.get("status")) not in SHIPPED_CODES:
                raise
            parcels = detail.get("orderLogisticsInfo") or []
            same = any(isinstance(p, dict) and p.get("expressNo") == shipment.tracking_no for p in parcels)
            log = logger.info if same else logger.warning
            log("kuaishou order was already shipped", order_key=order.order_key, same_tracking_no=same)
            return
        logger.info("kuaishou shipment written back", order_key=order.order_key)

    def _express_code(self, carrier_code: str) -> int:
        code = carrier_code.strip()
        if code.isdigit():
            return int(code)
        try:
            table = json.loads(self.credentials.extra.get("express_codes") or "{}")
        except ValueError as exc:
            raise KuaishouNotConfigured("extra.express_codes is not a JSON object") from exc
        value = table.get(code.upper()) if isinstance(table, dict) else None
        if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).strip().isdigit():
            raise UnknownCarrier(f"no Kuaishou expressCode configured for carrier {code!r} (extra.express_codes)")
        return int(value)

    # --- stock ---------------------------------------------------------------------------------------
    def push_stock(self, shop_id: str, item: StockItem, quantity: int) -> None:
        """Set the figure to `quantity` through Kuaishou's delta API: read, change by the difference, re-read."""
        if quantity < 0:
            raise ValueError("stock cannot be negative")
        token, product_id = self.credentials.token_for(shop_id), _product_id(item)
        for attempt in range(self.stock_rounds):
            current = self.client.sku_stock(item_id=product_id, sku_id=item.channel_sku_id, access_token=token)
            if current == quantity:
                return
            if attempt == self.stock_rounds - 1:
                break
            try:
                self.client.sku_stock_change(
                    item_id=product_id, sku_id=item.channel_sku_id, delta=quantity - current, access_token=token
                )
            except PlatformUnavailable:
                continue  # it may or may not have applied: the next read decides
        raise PlatformUnavailable(f"Kuaishou stock of sku {item.channel_sku_id} did not settle at {quantity}")

    def read_stock(self, shop_id: str, item: StockItem) -> int:
        return self.client.sku_stock(
            item_id=_product_id(item), sku_id=item.channel_sku_id, access_token=self.credentials.token_for(shop_id)
        )


def _product_id(item: StockItem) -> str:
    if not item.channel_product_id:
        raise PlatformRejected(f"Kuaishou needs the item id (kwaiItemId) of sku {item.channel_sku_id}")
    return item.channel_product_id


def _int_or_none(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _summary(order: Mapping[str, Any]) -> OrderSummary:
    base = order.get("orderBaseInfo")
    if not isinstance(base, Mapping) or base.get("oid") in (None, ""):
        raise PlatformRejected("open.order.cursor.list returned an order without orderBaseInfo.oid")
    updated = _int_or_none(base.get("updateTime"))
    status = _int_or_none(base.get("status"))
    return OrderSummary(
        channel_order_id=str(base["oid"]),
        modified_at=kuaishou_normalise.from_millis(updated) if updated else None,
        status=str(status) if status is not None else None,
    )
