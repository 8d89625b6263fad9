"""What a connector tells the conformance kit (`tests/conformance/`) about its platform.

Every connector package defines `PROFILE` in `connectors/<channel>/conformance.py`. The kit then checks the
connector against its simulator and against the platform's documented facts written here — statuses,
replies, replay window, a sample order whose money and times a person worked out by hand — so a new
connector is correct by construction. Keep the documented sets quoted from ../shared/reference/platforms.md:
when the platform documents a new status, add it here and the kit fails until the connector maps it.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from connectors.sdk.contracts import Connector, WebhookReply
from connectors.sdk.simulator import PlatformSimulator
from schemas.order import AfterSaleStatus, OrderStatus


@dataclass(frozen=True)
class SampleFacts:
    """Facts about the sample order (`ConformanceProfile.sample_order`) computed by hand, not by the connector."""

    shop_id: str
    channel_order_id: str
    goods_fen: int
    paid_fen: int
    freight_fen: int
    created_at: datetime  # timezone-aware
    line_count: int


@dataclass(frozen=True)
class ConformanceProfile:
    channel: str
    # Status maps: the connector's own tables, keyed by the platform's value as text.
    order_statuses: Mapping[str, OrderStatus]
    documented_order_statuses: frozenset[str]
    after_sale_statuses: Mapping[str, AfterSaleStatus]
    documented_after_sale_statuses: frozenset[str]
    # The sample order (as `normalise` accepts it), the same order with another platform status, and facts.
    sample_order: Callable[[], Mapping[str, Any]]
    with_status: Callable[[Mapping[str, Any], str], Mapping[str, Any]]
    sample: SampleFacts
    # A fresh, unstarted simulator whose credentials cover `shop_id`, and a connector talking to a started
    # one with fast retries (total backoff well under a second: the kit injects 429s and 5xx).
    new_simulator: Callable[[], PlatformSimulator]
    connector_for: Callable[[PlatformSimulator], Connector]
    shop_id: str
    # Webhook platforms: the documented reply to an accepted push, the status a forged push gets, and
    # how old a signed delivery may be (None: the platform signs no timestamp; replays are deduplicated).
    success_reply: WebhookReply | None = None
    refusal_status: int = 401
    replay_window: timedelta | None = None
    notes: tuple[str, ...] = field(default=())  # what the kit cannot check for this platform, and why
