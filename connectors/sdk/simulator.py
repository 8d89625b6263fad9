"""Base of the platform simulators: a local HTTP fake of a platform's open API.

A simulator keeps an order book, signs and verifies exactly as the platform does, pages and windows like
it, and can be told to misbehave (429, 5xx, stale reads) so that connectors are tested against behaviour,
not against canned responses. The demo drives simulators through the scenario methods; the hub only ever
talks to them over HTTP.
"""

import json
import threading
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlsplit

from connectors.sdk.contracts import Credentials, StockItem, WebhookRequest


@dataclass(frozen=True)
class SimRequest:
    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]  # lower-cased keys
    body: bytes

    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body.decode("utf-8"), keep_blank_values=True))

    def json(self) -> Any:
        return json.loads(self.body or b"null")


@dataclass(frozen=True)
class SimResponse:
    status: int
    body: bytes
    content_type: str = "application/json;charset=UTF-8"

    @classmethod
    def of_json(cls, payload: Any, status: int = 200) -> "SimResponse":
        return cls(status=status, body=json.dumps(payload, ensure_ascii=False).encode("utf-8"))


@dataclass(frozen=True)
class LineSpec:
    sku: str  # merchant SKU code
    quantity: int
    unit_price_fen: int
    paid_fen: int | None = None  # after discount allocation; defaults to unit price x quantity
    title: str = ""


@dataclass(frozen=True)
class ReceiverSpec:
    name: str
    phone: str
    province: str
    city: str
    district: str
    detail: str


@dataclass(frozen=True)
class OrderSpec:
    """A platform-neutral description of an order the demo or a test places on a simulator."""

    shop_id: str
    buyer_id: str
    lines: tuple[LineSpec, ...]
    receiver: ReceiverSpec
    created_at: datetime
    freight_fen: int = 0
    buyer_message: str = ""


@dataclass
class FaultPlan:
    """Faults the simulator answers with before behaving normally again."""

    remaining: int = 0
    status: int = 429
    paths: tuple[str, ...] = ()  # empty = any path

    def take(self, path: str) -> int | None:
        if self.remaining <= 0 or (self.paths and not any(path.startswith(p) for p in self.paths)):
            return None
        self.remaining -= 1
        return self.status


@dataclass
class RequestLog:
    entries: list[SimRequest] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, request: SimRequest) -> None:
        with self.lock:
            self.entries.append(request)


class PlatformSimulator(ABC):
    channel: ClassVar[str]

    def __init__(self, *, app_key: str, app_secret: str, shop_tokens: Mapping[str, str]) -> None:
        self.app_key = app_key
        self.app_secret = app_secret
        self.shop_tokens = dict(shop_tokens)
        self.extra: dict[str, str] = {}  # Credentials.extra the hub needs to talk to this platform
        self.faults = FaultPlan()
        self.requests = RequestLog()
        self.lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._listings: dict[tuple[str, str], StockItem] = {}
        self._stock: dict[tuple[str, str], int] = {}  # (shop, channel sku id) -> quantity last pushed
        self._drift: dict[tuple[str, str], int] = {}

    # --- wiring -------------------------------------------------------------------------------------
    def credentials(self) -> Credentials:
        return Credentials(
            app_key=self.app_key,
            app_secret=self.app_secret,
            shop_tokens=dict(self.shop_tokens),
            extra=dict(self.extra),
        )

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("simulator not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        simulator = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body leave in two writes; with Nagle's algorithm on, a keep-alive client's delayed
            # ACK holds each body back ~40 ms on loopback. A platform's gateway has no such stall.
            disable_nagle_algorithm = True

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                request = SimRequest(
                    method=self.command,
                    path=parts.path,
                    query=dict(parse_qsl(parts.query, keep_blank_values=True)),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=self.rfile.read(length) if length else b"",
                )
                response = simulator.dispatch(request)
                self.send_response(response.status)
                self.send_header("Content-Type", response.content_type)
                self.send_header("Content-Length", str(len(response.body)))
                self.end_headers()
                self.wfile.write(response.body)

            do_GET = do_POST = _serve  # noqa: N815

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                return

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        name = f"{self.channel}-simulator"
        self._thread = threading.Thread(target=self._server.serve_forever, name=name, daemon=True)
        self._thread.start()
        return self.base_url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def dispatch(self, request: SimRequest) -> SimResponse:
        self.requests.add(request)
        with self.lock:
            status = self.faults.take(request.path)
        if status is not None:
            return SimResponse.of_json({"error": "injected fault", "status": status}, status=status)
        return self.handle(request)

    def inject_faults(self, count: int, status: int = 429, paths: tuple[str, ...] = ()) -> None:
        with self.lock:
            self.faults = FaultPlan(remaining=count, status=status, paths=paths)

    # --- channel stock: what the platform shows as sellable -------------------------------------------
    sku_id_base: ClassVar[int] = 3_000_000_000

    def listing(self, shop_id: str, merchant_sku: str) -> StockItem:
        """The platform's ids for a merchant SKU in a shop, assigned when first asked (as if the brand had
        published the product there). Simulators use these ids in the orders they serve."""
        with self.lock:
            key = (shop_id, merchant_sku)
            if key not in self._listings:
                number = self.sku_id_base + len(self._listings) + 1
                self._listings[key] = StockItem(merchant_sku, str(number), str(number // 10))
            return self._listings[key]

    def listing_by_channel_sku(self, shop_id: str, channel_sku_id: str) -> StockItem | None:
        with self.lock:
            found = (item for (shop, _), item in self._listings.items() if shop == shop_id)
            return next((item for item in found if item.channel_sku_id == channel_sku_id), None)

    def record_stock_push(self, shop_id: str, channel_sku_id: str, quantity: int, *, incremental: bool = False) -> int:
        """What a platform's stock-update API does to its figure; returns the new figure (never below zero)."""
        with self.lock:
            key = (shop_id, channel_sku_id)
            base = self._stock.get(key, 0) if incremental else 0
            self._stock[key] = max(0, base + quantity)
            return self._stock[key]

    def shown_stock(self, shop_id: str, channel_sku_id: str) -> int:
        """The figure the platform shows buyers: the last push plus any drift the test or demo injected."""
        with self.lock:
            key = (shop_id, channel_sku_id)
            return max(0, self._stock.get(key, 0) + self._drift.get(key, 0))

    def drift_stock(self, shop_id: str, merchant_sku: str, delta: int) -> None:
        """Make the platform's figure differ from what was pushed (a seller-backend edit, a platform-side
        hold), as real platforms do; the hub must notice when it reads the figure back."""
        item = self.listing(shop_id, merchant_sku)
        with self.lock:
            key = (shop_id, item.channel_sku_id)
            self._drift[key] = self._drift.get(key, 0) + delta

    # --- push (platforms that call the hub) -----------------------------------------------------------
    def push_request(
        self,
        order_id: str,
        *,
        forge: bool = False,
        omit_signature: bool = False,
        sent_at: datetime | None = None,
    ) -> WebhookRequest:
        """The request the platform would send the hub about the order's latest change, signed as the
        platform signs (forge: with a wrong key; omit_signature: without its signature headers; sent_at: as
        if sent then, to test replay windows). Only platforms that push implement it."""
        raise NotImplementedError(f"{type(self).__name__} does not push to the hub")

    # --- what each platform supplies ---------------------------------------------------------------
    @abstractmethod
    def handle(self, request: SimRequest) -> SimResponse:
        """Answer one API call exactly as the platform would (signature check first)."""

    @abstractmethod
    def place_order(self, spec: OrderSpec, *, paid: bool = True) -> str:
        """Create an order (paid or awaiting payment); returns the platform order id.

        An unpaid order stays last-modified at `spec.created_at` (the conformance kit places orders on
        poll-window edges that way); paying or any later change stamps the simulator's clock."""

    @abstractmethod
    def pay(self, order_id: str) -> None: ...

    @abstractmethod
    def cancel(self, order_id: str) -> None:
        """Buyer or platform cancels before shipment (refund if paid)."""

    @abstractmethod
    def request_refund(self, order_id: str) -> None:
        """Buyer asks for a refund before shipment."""

    @abstractmethod
    def shipments(self) -> list[dict[str, Any]]:
        """Shipment write-backs the simulator has accepted: [{order_id, carrier_code, tracking_no}]."""
