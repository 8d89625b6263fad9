"""The POS connector: the brand's own stores push their orders to the hub; the hub writes back to the stores.

Inbound (`POST /webhooks/pos`, contract in docs/pos-webhook.md): one order per signed JSON delivery — a till
sale (STORE_SALE, handed over), a click-and-collect order (PICKUP at `pickup_store_id`) or a store sale
delivered from a warehouse (DELIVERY). `verify` checks the store's HMAC over the raw bytes, the 5-minute
window, then the nonce (`replay.py`); the delivery carries the full order, so nothing is fetched back.
Receiver data arrives in clear from our own system and is sealed before the order exists (`pii.py`).
Reply: `{"accepted":true}`; a refusal is `{"accepted":false,"error":{code,message}}` with the error's status.

Outbound (`client.py`): the fulfilment target-state POST — READY_FOR_PICKUP for a click-and-collect order once the
warehouse has delivered it to the pickup store, DISPATCHED with carrier and waybill for a delivery; a till sale
has nothing to write back. `confirm_collected` tells the store an order was collected elsewhere (ops, locker).
Stock is a per-store full-overwrite POST and a GET to read the store's figure back.

Credentials.extra: `store_key:<store_id>` (each store's signing key), `pii_key` (base64 of 32 bytes, AES-256-GCM).
shop_tokens: `{store_id: API token}` for the write-back calls (bearer; optional — the signature is required).
Nothing here is inferred from a platform: the contract is ours. Best-effort part, by design: the nonce check
is per Lambda container (an LRU); exactly-once effect rests on the ingest version condition.
"""

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, ClassVar

import httpx

from connectors.pos.client import PosClient
from connectors.pos.normalise import normalise_order
from connectors.pos.pii import PII_KEY_NAME, PiiSealer, decode_key
from connectors.pos.replay import MemoryNonceStore, NonceStore, check_nonce
from connectors.pos.signing import REPLAY_WINDOW, verify
from connectors.sdk.contracts import (
    Credentials,
    Notification,
    Shipment,
    StockItem,
    WebhookConnector,
    WebhookReply,
    WebhookRequest,
)
from connectors.sdk.errors import MalformedPayload, PlatformRejected
from connectors.sdk.http import PlatformHttp
from hubcore.errors import HubError
from hubcore.observability import logger
from schemas.order import FulfilmentMode, Order, RawPayloadRef
from schemas.timeutil import utc_now

SUCCESS_BODY = '{"accepted":true}'
READY_FOR_PICKUP, DISPATCHED = "READY_FOR_PICKUP", "DISPATCHED"
# What the store may answer a target-state POST with when the order is already there or beyond: success.
_AT_OR_BEYOND = {
    READY_FOR_PICKUP: frozenset({READY_FOR_PICKUP, "COLLECTED", "COMPLETED"}),
    DISPATCHED: frozenset({DISPATCHED, "COMPLETED"}),
}

# One per container: best effort across deliveries that reach this container (see replay.py).
_DEFAULT_NONCES = MemoryNonceStore()


class PosConnector(WebhookConnector):
    channel: ClassVar[str] = "pos"
    http_max_attempts: ClassVar[int] = 4
    http_initial_backoff: ClassVar[float] = 0.2
    http_max_jitter: ClassVar[float] = 1.0

    def __init__(
        self,
        credentials: Credentials,
        api_base_url: str,
        *,
        nonces: NonceStore | None = None,
        clock: Callable[[], datetime] = utc_now,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        super().__init__(credentials, api_base_url)
        self._nonces = nonces if nonces is not None else _DEFAULT_NONCES
        self._sealer: PiiSealer | None = None
        http = PlatformHttp(
            self.api_base_url,
            max_attempts=self.http_max_attempts,
            initial_backoff=self.http_initial_backoff,
            max_jitter=self.http_max_jitter,
            transport=transport,
        )
        self.client = PosClient(http, keys=credentials.extra, tokens=credentials.shop_tokens, clock=clock)

    def _pii(self) -> PiiSealer:
        if self._sealer is None:
            self._sealer = PiiSealer(decode_key(self.credentials.extra.get(PII_KEY_NAME)))
        return self._sealer

    # --- inbound -------------------------------------------------------------------------------------
    def verify(self, request: WebhookRequest) -> None:
        signed = verify(request.headers, request.body, keys=self.credentials.extra, now=request.received_at)
        check_nonce(
            self._nonces,
            signed.store_id,
            signed.nonce,
            signed.signature,
            now=request.received_at,
            ttl=2 * REPLAY_WINDOW,  # a timestamp is good for five minutes either side of our clock
        )

    def parse_notifications(self, request: WebhookRequest) -> Sequence[Notification]:
        store_id = request.headers.get("x-omnihub-store", "").strip()
        try:
            # Floats stay floats: normalise refuses any amount that is not an integer number of fen.
            body = json.loads(request.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise MalformedPayload("POS delivery is not JSON") from exc
        order = body.get("order") if isinstance(body, dict) else None
        if not isinstance(order, dict):
            raise MalformedPayload("POS delivery has no order object")
        order_id, order_store = order.get("order_id"), order.get("store_id")
        if not isinstance(order_id, str) or not order_id.strip() or ":" in order_id:
            raise MalformedPayload("POS order has no usable order_id")
        if order_store != store_id:
            raise MalformedPayload("POS order belongs to another store than the one that signed it")
        event_id = body.get("event_id")
        logger.info("pos delivery parsed", store_id=store_id, order_id=order_id, order_type=order.get("type"))
        return [
            Notification(
                message_id=str(event_id) if event_id else order_id,
                shop_id=store_id,
                channel_order_id=order_id.strip(),
                topic=str(order.get("type") or ""),
                payload=order,
            )
        ]

    def fetch_notified_order(self, notification: Notification) -> Mapping[str, Any]:
        return notification.payload  # the POS pushes the whole order

    def normalise(self, raw_order: Mapping[str, Any], *, shop_id: str, raw_ref: RawPayloadRef | None) -> Order:
        sealer = self._pii() if raw_order.get("receiver") is not None else None
        return normalise_order(raw_order, shop_id=shop_id, raw_ref=raw_ref, sealer=sealer)

    def success_reply(self) -> WebhookReply:
        return WebhookReply(status=200, body=SUCCESS_BODY)

    def error_reply(self, error: HubError) -> WebhookReply:
        body = {"accepted": False, "error": {"code": error.code, "message": error.message}}
        return WebhookReply(status=error.http_status, body=json.dumps(body, ensure_ascii=False))

    # --- outbound ------------------------------------------------------------------------------------
    def confirm_shipment(self, order: Order, shipment: Shipment) -> None:
        """Tell the store the order is ready for pickup (PICKUP) or dispatched (SHIP). A till sale: nothing."""
        if order.fulfilment_mode is FulfilmentMode.STORE_SALE:
            return
        state = READY_FOR_PICKUP if order.fulfilment_mode is FulfilmentMode.PICKUP else DISPATCHED
        answer = self.client.put_fulfilment(
            order.shop_id,
            order.channel_order_id,
            state=state,
            carrier_code=shipment.carrier_code,
            tracking_no=shipment.tracking_no,
            at=shipment.shipped_at,
        )
        if str(answer.get("state")) not in _AT_OR_BEYOND[state]:
            raise PlatformRejected(f"store did not take order {order.order_key} to {state}")
        logger.info("pos fulfilment written back", order_key=order.order_key, state=state)

    def confirm_collected(self, order: Order, collected_at: datetime) -> None:
        """A click-and-collect order was collected (confirmed outside the till): the store records it."""
        if order.fulfilment_mode is not FulfilmentMode.PICKUP:
            raise PlatformRejected(f"order {order.order_key} is not a click-and-collect order")
        answer = self.client.put_collection(order.shop_id, order.channel_order_id, collected_at=collected_at)
        if str(answer.get("state")) not in ("COLLECTED", "COMPLETED"):
            raise PlatformRejected(f"store did not record order {order.order_key} as collected")

    def push_stock(self, shop_id: str, item: StockItem, quantity: int) -> None:
        if quantity < 0:
            raise ValueError("a full stock overwrite cannot be negative")
        self.client.put_stock(shop_id, item.channel_sku_id, quantity)

    def read_stock(self, shop_id: str, item: StockItem) -> int:
        return self.client.get_stock(shop_id, item.channel_sku_id)
