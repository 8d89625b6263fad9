"""The Tmall / Taobao distribution connector: the brand as supplier, drop-shipping distributors' sales.

Two feeds, both polled with the supplier's session over TOP and both normalised to `DROP_SHIP` orders:

- 供销平台 purchase orders (`taobao.fenxiao.orders.get`, platforms.md §2.1), by *update* time
  (`time_type=update_time_type`) so status changes and refunds are seen, 代销 only, supplier role;
- 淘宝代发 (`taobao.daifa.supplier.order.query`, §2.2), by 分单时间 — the only time that query filters on.

One window serves both: the runner's page numbers are interleaved, odd pages are 供销 pages and even pages are
代发 pages (page p → 供销 page (p+1)/2, 代发 page p/2), so `list_changed` needs no state and a crash resumes on
the very page it was reading. Pages are walked last → first as TOP advises for modified-time lists: an order
that changes while we page leaves the window and shifts the rest towards pages not read yet.

Write-back picks the origin from the order id: a 供销 order ships with `taobao.logistics.offline.send`,
`tid = fenxiao_id` (§2.1); a 代发 order (`DF<Taobao order id>`) with `taobao.daifa.supplier.order.consign`
for its live 代发单s. A repeat is success once the platform shows the goods shipped (re-read after any refusal).
Stock: `taobao.fenxiao.product.quantity.update` (type 1, full overwrite) with the SKU's `properties` looked up
by `taobao.fenxiao.products.get`, which also reads the figure back.

Credentials.extra: `daifa_supplier_id:<shop_id>` — the 代发 supplier id of a shop (no key: that shop's 代发 feed
is not polled); `tmc_group` — a TMC group that only this connector consumes (no key: no queue).

[INFERRED] facts, the safest choice taken:
- windows of at most 1 day (the API allows 7 for 供销 and 30 for 代发), a 2-minute safety lag, and a first poll
  three days back so open purchase orders from before go-live are picked up;
- the 代发 query reports no total: its page count is found by reading pages until a short one;
- 代发 has no modified time and its list cannot find later changes (a cancelled assignment, a refund). Those
  arrive through TMC (`taobao_daifa_SupplierOrderStatusChange`, fields from the TMC typings) when a group is
  configured; each message makes the connector re-read the whole Taobao order. `taobao_fenxiao_*` messages
  naming a `fenxiao_id` re-read that purchase order; others are confirmed and dropped (windows cover 供销);
- the TMC group must not be shared with the Tmall connector: a consumer confirms (and so drops) what it does
  not understand;
- a split (partial) 供销 shipment is not documented for purchase orders and is refused; 代发 ships any subset of
  its 代发单s;
- 代发 consign answers and refusal codes are not in our sources: any refusal is followed by a re-read and only
  a 代发单 in CONSIGN counts as shipped;
- stock: the SKU is matched by `channel_sku_id` among the product's `skus`; a product without SKUs (or an item
  whose sku id is its product id) is updated at product level.
"""

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, ClassVar

import httpx

from connectors.sdk.contracts import (
    Credentials,
    OrderSummary,
    PollingConnector,
    PollPage,
    QueuedMessage,
    Shipment,
    StockItem,
)
from connectors.sdk.errors import ConnectorError, PlatformRejected
from connectors.tmall.client import ALREADY_SHIPPED_SUB_CODE, TopClient
from connectors.tmall.signing import SignMethod
from connectors.tmall_fenxiao.client import FenxiaoClient
from connectors.tmall_fenxiao.normalise import (
    daifa_order_id,
    daifa_parent_id,
    is_daifa_order_id,
    live_scp_order_ids,
    normalise,
)
from connectors.tmall_fenxiao.statuses import DISTRIBUTE_CONSIGNED, distribute_status
from schemas.order import Order, RawPayloadRef
from schemas.timeutil import from_shanghai_text, utc_now

SHIPPED_PURCHASE_STATUSES = frozenset(
    {
        "WAIT_BUYER_CONFIRM_GOODS",
        "WAIT_BUYER_CONFIRM_GOODS_ACOUNTED",
        "PAY_WAIT_ACOUNT_GOODS_CONFIRM",
        "PAY_ACOUNTED_GOODS_CONFIRM",
        "TRADE_FINISHED",
    }
)
DAIFA_TOPIC = "taobao_daifa_SupplierOrderStatusChange"
FENXIAO_TOPIC_PREFIX = "taobao_fenxiao_"
MAX_CONFIRM_IDS = 200


class PartialShipmentUnsupported(ConnectorError):
    code = "PARTIAL_SHIPMENT_UNSUPPORTED"
    http_status = 409


class TmallFenxiaoConnector(PollingConnector):
    channel: ClassVar[str] = "tmall_fenxiao"
    max_window: ClassVar[timedelta] = timedelta(days=1)
    safety_lag: ClassVar[timedelta] = timedelta(minutes=2)
    window_overlap: ClassVar[timedelta] = timedelta(minutes=1)
    initial_lookback: ClassVar[timedelta] = timedelta(days=3)
    page_backwards: ClassVar[bool] = True
    supports_messages: ClassVar[bool] = True
    page_size: ClassVar[int] = 50  # 供销: at most 50
    daifa_page_size: ClassVar[int] = 20  # 代发: default 10, maximum not documented
    tmc_quantity: ClassVar[int] = 100
    sign_method: ClassVar[SignMethod] = "hmac-sha256"
    http_max_attempts: ClassVar[int] = 4
    http_initial_backoff: ClassVar[float] = 0.2
    http_max_jitter: ClassVar[float] = 1.0

    def __init__(
        self,
        credentials: Credentials,
        api_base_url: str,
        *,
        clock: Callable[[], datetime] = utc_now,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        super().__init__(credentials, api_base_url)
        top = TopClient(
            self.api_base_url,
            app_key=credentials.app_key,
            app_secret=credentials.app_secret,
            sign_method=self.sign_method,
            clock=clock,
            max_attempts=self.http_max_attempts,
            initial_backoff=self.http_initial_backoff,
            max_jitter=self.http_max_jitter,
            transport=transport,
        )
        self.client = FenxiaoClient(top)

    # --- configuration -------------------------------------------------------------------------------
    def supplier_id(self, shop_id: str) -> str | None:
        """The shop's 代发 supplier id, or None when its 代发 feed is not configured."""
        return self.credentials.extra.get(f"daifa_supplier_id:{shop_id}") or None

    @property
    def tmc_group(self) -> str | None:
        return self.credentials.extra.get("tmc_group") or None

    # --- polling -------------------------------------------------------------------------------------
    def count_pages(self, shop_id: str, start: datetime, end: datetime) -> int:
        total, _ = self.client.fenxiao_orders_get(
            session=self.credentials.token_for(shop_id),
            start_modified=start,
            end_modified=end,
            page_no=1,
            page_size=self.page_size,
        )
        purchase_pages = -(-total // self.page_size)
        daifa_pages = self._daifa_page_count(shop_id, start, end)
        return max(2 * purchase_pages - 1, 2 * daifa_pages, 0)

    def _daifa_page_count(self, shop_id: str, start: datetime, end: datetime) -> int:
        supplier_id = self.supplier_id(shop_id)
        if supplier_id is None:
            return 0
        pages = 0
        while True:
            models = self._daifa_page(shop_id, supplier_id, start, end, pages + 1)
            if not models:
                return pages
            pages += 1
            if len(models) < self.daifa_page_size:
                return pages

    def _daifa_page(
        self, shop_id: str, supplier_id: str, start: datetime, end: datetime, page: int
    ) -> list[Mapping[str, Any]]:
        return self.client.daifa_orders(
            session=self.credentials.token_for(shop_id),
            supplier_id=supplier_id,
            page_index=page,
            page_size=self.daifa_page_size,
            start_distributed=start,
            end_distributed=end,
        )

    def list_changed(self, shop_id: str, start: datetime, end: datetime, page: int) -> PollPage:
        if page % 2 == 1:
            summaries = self._purchase_summaries(shop_id, start, end, (page + 1) // 2)
        else:
            summaries = self._daifa_summaries(shop_id, start, end, page // 2)
        return PollPage(page_no=page, page_size=self.page_size, summaries=summaries)

    def _purchase_summaries(self, shop_id: str, start: datetime, end: datetime, page: int) -> tuple[OrderSummary, ...]:
        _, orders = self.client.fenxiao_orders_get(
            session=self.credentials.token_for(shop_id),
            start_modified=start,
            end_modified=end,
            page_no=page,
            page_size=self.page_size,
        )
        return tuple(
            OrderSummary(
                channel_order_id=str(po["fenxiao_id"]),
                modified_at=_shanghai(po.get("modified")),
                status=str(po["status"]) if po.get("status") else None,
            )
            for po in orders
            if po.get("fenxiao_id") is not None
        )

    def _daifa_summaries(self, shop_id: str, start: datetime, end: datetime, page: int) -> tuple[OrderSummary, ...]:
        supplier_id = self.supplier_id(shop_id)
        if supplier_id is None:
            return ()
        parents: dict[str, OrderSummary] = {}
        for model in self._daifa_page(shop_id, supplier_id, start, end, page):
            parent = model.get("parent_id") or model.get("biz_order_id")
            if parent is not None:
                order_id = daifa_order_id(str(parent))
                parents.setdefault(order_id, OrderSummary(channel_order_id=order_id))
        return tuple(parents.values())

    def fetch_order(self, shop_id: str, summary: OrderSummary) -> Mapping[str, Any]:
        session = self.credentials.token_for(shop_id)
        if not is_daifa_order_id(summary.channel_order_id):
            return self.client.purchase_order(session=session, fenxiao_id=summary.channel_order_id)
        return self._daifa_order(shop_id, daifa_parent_id(summary.channel_order_id))

    def _daifa_order(self, shop_id: str, parent_id: str) -> Mapping[str, Any]:
        """Every 代发单 of one Taobao order; the first is re-read by its own id, which adds the address."""
        supplier_id = self.supplier_id(shop_id)
        if supplier_id is None:
            raise PlatformRejected(f"no 代发 supplier id configured for shop {shop_id}")
        session = self.credentials.token_for(shop_id)
        models = self.client.daifa_orders(session=session, supplier_id=supplier_id, biz_order_id=parent_id)
        models = sorted(models, key=lambda model: str(model.get("scp_order_id")))
        if not models:
            raise PlatformRejected(f"no 代发单 for Taobao order {parent_id}", platform_code="not-found")
        first = str(models[0].get("scp_order_id"))
        detailed = self.client.daifa_orders(session=session, supplier_id=supplier_id, scp_order_id=first)
        with_address = [dict(models[0], **detailed[0])] if detailed else [models[0]]
        return {"supplier_id": supplier_id, "parent_id": parent_id, "scp_order_models": with_address + models[1:]}

    # --- TMC ----------------------------------------------------------------------------------------
    def consume_messages(self, shop_id: str) -> Sequence[QueuedMessage]:
        group = self.tmc_group
        if group is None:
            return ()
        return [_message(raw) for raw in self.client.tmc_consume(group_name=group, quantity=self.tmc_quantity)]

    def confirm_messages(self, message_ids: Sequence[str]) -> None:
        group = self.tmc_group
        ids = list(message_ids)
        if group is None or not ids:
            return
        for begin in range(0, len(ids), MAX_CONFIRM_IDS):
            self.client.tmc_confirm(group_name=group, message_ids=ids[begin : begin + MAX_CONFIRM_IDS])

    # --- orders --------------------------------------------------------------------------------------
    def normalise(self, raw_order: Mapping[str, Any], *, shop_id: str, raw_ref: RawPayloadRef | None) -> Order:
        return normalise(raw_order, shop_id=shop_id, raw_ref=raw_ref)

    def confirm_shipment(self, order: Order, shipment: Shipment) -> None:
        if is_daifa_order_id(order.channel_order_id):
            self._consign_daifa(order, shipment)
        else:
            self._send_purchase_order(order, shipment)

    def _send_purchase_order(self, order: Order, shipment: Shipment) -> None:
        """`taobao.logistics.offline.send`, `tid = fenxiao_id`; B04 (shipped or closed) → re-read the PO."""
        all_lines = {line.line_id for line in order.lines}
        if shipment.line_ids and set(shipment.line_ids) != all_lines:
            raise PartialShipmentUnsupported(
                f"purchase order {order.channel_order_id}: split shipment of a 供销 purchase order is not supported"
            )
        session = self.credentials.token_for(order.shop_id)
        try:
            self.client.logistics_offline_send(
                session=session,
                fenxiao_id=order.channel_order_id,
                out_sid=shipment.tracking_no,
                company_code=shipment.carrier_code,
            )
        except PlatformRejected as exc:
            if exc.platform_code != ALREADY_SHIPPED_SUB_CODE:
                raise
            po = self.client.purchase_order(session=session, fenxiao_id=order.channel_order_id)
            if str(po.get("status")) not in SHIPPED_PURCHASE_STATUSES:
                raise

    def _consign_daifa(self, order: Order, shipment: Shipment) -> None:
        supplier_id = self.supplier_id(order.shop_id)
        if supplier_id is None:
            raise PlatformRejected(f"no 代发 supplier id configured for shop {order.shop_id}")
        session = self.credentials.token_for(order.shop_id)
        parent_id = daifa_parent_id(order.channel_order_id)
        models = self.client.daifa_orders(session=session, supplier_id=supplier_id, biz_order_id=parent_id)
        live = set(live_scp_order_ids(models))
        wanted = set(shipment.line_ids) if shipment.line_ids else {line.line_id for line in order.lines}
        wanted &= live  # a 代发单 cancelled meanwhile must not be consigned
        if not wanted:
            raise PlatformRejected(f"代发 order {order.channel_order_id}: no live 代发单 left to consign")
        consigned = {
            str(m["scp_order_id"])
            for m in models
            if distribute_status(str(m.get("distribute_status"))) == DISTRIBUTE_CONSIGNED
        }
        pending = sorted(wanted - consigned)
        if not pending:
            return  # already consigned: a retried write-back
        try:
            self.client.daifa_consign(
                session=session,
                supplier_id=supplier_id,
                scp_order_ids=pending,
                out_sid=shipment.tracking_no,
                company_code=shipment.carrier_code,
            )
        except PlatformRejected:
            again = self.client.daifa_orders(session=session, supplier_id=supplier_id, biz_order_id=parent_id)
            done = {
                str(m["scp_order_id"])
                for m in again
                if distribute_status(str(m.get("distribute_status"))) == DISTRIBUTE_CONSIGNED
            }
            if not set(pending) <= done:
                raise

    # --- stock ---------------------------------------------------------------------------------------
    def _sku_properties(self, shop_id: str, item: StockItem) -> tuple[str, Mapping[str, Any]]:
        """(product id, the SKU record or the product itself when the item is the whole product)."""
        if not item.channel_product_id:
            raise PlatformRejected(f"供销 stock needs the product id of sku {item.channel_sku_id}")
        product = self.client.product(session=self.credentials.token_for(shop_id), product_id=item.channel_product_id)
        skus = _sku_list(product.get("skus"))
        if not skus or item.channel_sku_id == item.channel_product_id:
            return item.channel_product_id, product
        for sku in skus:
            if str(sku.get("id")) == item.channel_sku_id:
                return item.channel_product_id, sku
        raise PlatformRejected(f"product {item.channel_product_id} has no sku {item.channel_sku_id}")

    def push_stock(self, shop_id: str, item: StockItem, quantity: int) -> None:
        if quantity < 0:
            raise ValueError("a full stock overwrite cannot be negative")
        product_id, record = self._sku_properties(shop_id, item)
        properties = str(record.get("properties") or "") if record.get("pid") is None else None
        self.client.product_quantity_update(
            session=self.credentials.token_for(shop_id), product_id=product_id, quantity=quantity, properties=properties
        )

    def read_stock(self, shop_id: str, item: StockItem) -> int:
        _, record = self._sku_properties(shop_id, item)
        try:
            return int(str(record.get("quantity")))
        except ValueError as exc:
            raise PlatformRejected(f"product {item.channel_product_id} reports no quantity") from exc


def _sku_list(container: object) -> list[Mapping[str, Any]]:
    if isinstance(container, Mapping):
        container = next((value for value in container.values() if isinstance(value, list)), None)
    return [s for s in container if isinstance(s, Mapping)] if isinstance(container, list) else []


def _shanghai(value: object) -> datetime | None:
    try:
        return from_shanghai_text(str(value)) if value else None
    except ValueError:
        return None  # informative only: the full order is fetched and checked anyway


def _message(raw: Mapping[str, Any]) -> QueuedMessage:
    topic = str(raw.get("topic") or "")
    content: Any = raw.get("content")
    if isinstance(content, str):
        try:
            content = json.loads(content)
        except ValueError:
            content = {}
    payload: Mapping[str, Any] = content if isinstance(content, Mapping) else {}
    order_id: str | None = None
    if topic == DAIFA_TOPIC and payload.get("biz_order_id") not in (None, ""):
        order_id = daifa_order_id(str(payload["biz_order_id"]))
    elif topic.startswith(FENXIAO_TOPIC_PREFIX) and payload.get("fenxiao_id") not in (None, ""):
        order_id = str(payload["fenxiao_id"])
    return QueuedMessage(
        message_id=str(raw.get("id")),
        shop_id=str(raw.get("user_id") or payload.get("supplier_id") or ""),
        topic=topic,
        channel_order_id=order_id,
        payload=payload,
    )
