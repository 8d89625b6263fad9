"""`omnihub connector new NAME`: a connector package that deploys, is discovered, and is tested at once.

The scaffold passes the conformance kit's structural checks immediately (manifest, handlers, simulator,
profile, sample payloads) and fails its behavioural checks until its author fills in every `TODO`.
Templates are plain `string.Template` text: the files are small and a template engine would be one more
dependency for a command run once per channel.
"""

import re
from dataclasses import dataclass
from pathlib import Path
from string import Template
from typing import Literal

Intake = Literal["webhook", "poll"]
_NAME = re.compile(r"^[a-z][a-z0-9_]{1,31}$")


class ScaffoldError(ValueError):
    """The name is unusable or the package already exists."""


@dataclass(frozen=True)
class Scaffold:
    channel: str
    files: tuple[Path, ...]


def class_prefix(channel: str) -> str:
    return "".join(part.capitalize() for part in channel.split("_"))


def new_connector(channel: str, *, root: Path, intake: Intake = "webhook", display_name: str = "") -> Scaffold:
    """Write `connectors/<channel>/` and `events/<channel>/` under `root` (the repository)."""
    if not _NAME.match(channel) or channel == "sdk":
        raise ScaffoldError(f"'{channel}' is not a usable channel name: lower-case letters, digits and _, 2-32 long")
    package = root / "connectors" / channel
    if package.exists():
        raise ScaffoldError(f"{package} already exists")
    values = {
        "channel": channel,
        "Prefix": class_prefix(channel),
        "display_name": display_name or channel.replace("_", " ").title(),
        "base": "WebhookConnector" if intake == "webhook" else "PollingConnector",
        "handler_line": (
            f'lambda_handler = make_webhook_handler("{channel}")'
            if intake == "webhook"
            else f'lambda_handler = make_poll_handler("{channel}")'
        ),
        "handler_import": (
            "from connectors.sdk.webhook_handler import make_webhook_handler"
            if intake == "webhook"
            else "from connectors.sdk.poll_handler import make_poll_handler"
        ),
        "handler_kind": "webhook_handler" if intake == "webhook" else "poll_handler",
        "intake_methods": _WEBHOOK_METHODS if intake == "webhook" else _POLL_METHODS,
        "imports": _WEBHOOK_IMPORTS if intake == "webhook" else _POLL_IMPORTS,
    }
    files = {
        package / "__init__.py": _INIT,
        package / "connector.py": _CONNECTOR,
        package / "handler.py": _HANDLER,
        package / "simulator.py": _SIMULATOR,
        package / "conformance.py": _CONFORMANCE,
        root / "events" / channel / "order.json": _SAMPLE,
    }
    written = []
    for path, template in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(Template(template).substitute(values), encoding="utf-8")
        written.append(path)
    return Scaffold(channel=channel, files=tuple(written))


_INIT = '''"""$display_name connector (scaffolded: fill in every TODO, then make the conformance kit pass).

Import-light on purpose: the registry reads `MANIFEST` at cold start and at synth time.
"""

from connectors.sdk.manifest import ConnectorManifest

MANIFEST = ConnectorManifest(
    channel="$channel",
    display_name="$display_name",
    connector_class="connectors.$channel.connector:${Prefix}Connector",
    api_base_url="https://open.$channel.example",  # TODO: the platform's production gateway
    $handler_kind="connectors.$channel.handler.lambda_handler",
    simulator="connectors.$channel.simulator:${Prefix}Simulator",
)
'''

_HANDLER = '''"""Lambda entry point of the $display_name connector."""

$handler_import

$handler_line
'''

_WEBHOOK_METHODS = """
    def verify(self, request: WebhookRequest) -> None:
        raise NotImplementedError("TODO: check the platform signature over request.body before anything else")

    def parse_notifications(self, request: WebhookRequest) -> Sequence[Notification]:
        raise NotImplementedError("TODO: parse the verified body into order notifications")

    def fetch_notified_order(self, notification: Notification) -> Mapping[str, Any]:
        raise NotImplementedError("TODO: fetch the full order (or return the pushed one)")

    def success_reply(self) -> WebhookReply:
        raise NotImplementedError("TODO: the platform's documented success reply, verbatim")
"""

_WEBHOOK_IMPORTS = """from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from connectors.sdk.contracts import (
    Notification,
    Shipment,
    StockItem,
    WebhookConnector,
    WebhookReply,
    WebhookRequest,
)"""

_POLL_IMPORTS = """from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar

from connectors.sdk.contracts import OrderSummary, PollingConnector, PollPage, Shipment, StockItem"""

_POLL_METHODS = """
    def list_changed(self, shop_id: str, start: datetime, end: datetime, page: int) -> PollPage:
        raise NotImplementedError("TODO: one page of the orders modified in [start, end]")

    def fetch_order(self, shop_id: str, summary: OrderSummary) -> Mapping[str, Any]:
        raise NotImplementedError("TODO: the platform's full order for a summary")
"""

_CONNECTOR = '''"""The $display_name connector.

TODO: describe intake (webhook or polling), signing, money unit and time zone, and list every fact taken as
[INFERRED] with the safe behaviour chosen for it.
"""

$imports
from schemas.order import Order, RawPayloadRef


class ${Prefix}Connector($base):
    channel: ClassVar[str] = "$channel"
$intake_methods
    def normalise(self, raw_order: Mapping[str, Any], *, shop_id: str, raw_ref: RawPayloadRef | None) -> Order:
        raise NotImplementedError("TODO: map the platform order onto schemas.order.Order (fen, aware times)")

    def confirm_shipment(self, order: Order, shipment: Shipment) -> None:
        raise NotImplementedError("TODO: write the shipment back; an already-shipped order is success")

    def push_stock(self, shop_id: str, item: StockItem, quantity: int) -> None:
        raise NotImplementedError("TODO: set the sellable quantity on the platform")

    def read_stock(self, shop_id: str, item: StockItem) -> int:
        raise NotImplementedError("TODO: read the platform's sellable quantity back")
'''

_SIMULATOR = '''"""A local fake of the $display_name API for tests, the demo and the conformance kit."""

from typing import Any, ClassVar

from connectors.sdk.simulator import OrderSpec, PlatformSimulator, SimRequest, SimResponse


class ${Prefix}Simulator(PlatformSimulator):
    channel: ClassVar[str] = "$channel"

    def handle(self, request: SimRequest) -> SimResponse:
        return SimResponse.of_json({"error": "TODO: answer the platform API, signature check first"}, status=501)

    def place_order(self, spec: OrderSpec, *, paid: bool = True) -> str:
        raise NotImplementedError("TODO: keep an order book like the platform's")

    def pay(self, order_id: str) -> None:
        raise NotImplementedError("TODO")

    def cancel(self, order_id: str) -> None:
        raise NotImplementedError("TODO")

    def request_refund(self, order_id: str) -> None:
        raise NotImplementedError("TODO")

    def shipments(self) -> list[dict[str, Any]]:
        raise NotImplementedError("TODO")
'''

_CONFORMANCE = '''"""What the conformance kit needs to know about $display_name (quote the platform's documentation)."""

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from connectors.$channel.connector import ${Prefix}Connector
from connectors.$channel.simulator import ${Prefix}Simulator
from connectors.sdk.conformance import ConformanceProfile, SampleFacts
from connectors.sdk.contracts import Connector
from connectors.sdk.simulator import PlatformSimulator

SHOP = "shop-1"
_SAMPLE = Path(__file__).parents[2] / "events" / "$channel" / "order.json"


def _sample_order() -> Mapping[str, Any]:
    order: dict[str, Any] = json.loads(_SAMPLE.read_text(encoding="utf-8"))
    return order


def _with_status(raw: Mapping[str, Any], status: str) -> Mapping[str, Any]:
    return {**raw, "status": status}  # TODO: where the platform keeps the order status


def _connector(sim: PlatformSimulator) -> Connector:
    return ${Prefix}Connector(sim.credentials(), sim.base_url)  # TODO: fast retries, small pages


PROFILE = ConformanceProfile(
    channel="$channel",
    order_statuses={},  # TODO: the connector's status table, keyed by the platform's value as text
    documented_order_statuses=frozenset(),  # TODO: every order status the platform documents
    after_sale_statuses={},
    documented_after_sale_statuses=frozenset(),
    sample_order=_sample_order,
    with_status=_with_status,
    sample=SampleFacts(  # TODO: worked out by hand from events/$channel/order.json
        shop_id=SHOP,
        channel_order_id="TODO",
        goods_fen=0,
        paid_fen=0,
        freight_fen=0,
        created_at=datetime(2000, 1, 1, tzinfo=UTC),
        line_count=0,
    ),
    new_simulator=lambda: ${Prefix}Simulator(app_key="kit-app", app_secret="kit-secret", shop_tokens={SHOP: "kit"}),
    connector_for=_connector,
    shop_id=SHOP,
)
'''

_SAMPLE = """{
  "TODO": "a realistic order exactly as the $display_name API returns it"
}
"""
