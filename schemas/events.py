"""Events on the OmniHub bus.

Every event is `detail = {data, metadata}` with `source = omnihub.<context>` and a PascalCase,
past-tense `detail-type` equal to the data model's class name.
"""

from datetime import datetime
from enum import StrEnum
from typing import ClassVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, SerializeAsAny

from schemas.order import Order, OrderStatus
from schemas.timeutil import utc_now


class EventMetadata(BaseModel):
    model_config = ConfigDict(frozen=True)

    event_version: str = "1"
    correlation_id: str = Field(description="The order key the event is about")
    channel: str
    occurred_at: AwareDatetime = Field(default_factory=utc_now)


class EventData(BaseModel):
    """Base of every event payload; subclasses name the detail-type and the source context."""

    model_config = ConfigDict(frozen=True)
    source_context: ClassVar[str] = "workflow"

    @classmethod
    def detail_type(cls) -> str:
        return cls.__name__


class OrderReceived(EventData):
    source_context: ClassVar[str] = "connector"
    order: Order


class OrderUpdated(EventData):
    source_context: ClassVar[str] = "connector"
    order: Order
    previous_status: OrderStatus
    previous_version: int


class AuditOutcome(StrEnum):
    PASS = "PASS"
    REVIEW = "REVIEW"
    REJECT = "REJECT"


class RuleHit(BaseModel):
    """One rule that hit: its id, what it added to the score, why, and the outcome it forces (if any)."""

    model_config = ConfigDict(frozen=True)

    rule_id: str
    weight: int = Field(description="The rule's contribution to the score")
    reason: str
    forces: AuditOutcome | None = None


class OrderAudited(EventData):
    order_key: str
    outcome: AuditOutcome
    score: int
    hits: list[RuleHit]
    rules_version: str = Field(description="`{version}#{first 12 hex of the rules file's sha256}`")
    rules_checksum: str = Field(default="", description="sha256 of the rules file the decision was made with")
    history_available: bool = Field(
        default=False, description="False when the window rules could not see other orders and were skipped"
    )


class StockLine(BaseModel):
    model_config = ConfigDict(frozen=True)

    sku: str
    quantity: int = Field(gt=0)


class StockReserved(EventData):
    source_context: ClassVar[str] = "inventory"
    order_key: str
    node_id: str
    lines: list[StockLine]


class Shortage(BaseModel):
    model_config = ConfigDict(frozen=True)

    sku: str
    requested: int
    available: int


class ReservationFailed(EventData):
    source_context: ClassVar[str] = "inventory"
    order_key: str
    reason: str
    shortages: list[Shortage]


class FulfilmentRequested(EventData):
    """One parcel of an order to ship from `node_id`. Orders of one receiver may name the same `fulfilment_id`
    (a merged shipment): the warehouse ships it once with every order's lines."""

    order_key: str
    fulfilment_id: str
    node_id: str
    lines: list[StockLine]
    receiver_region: str
    parcel: int = Field(default=1, ge=1, description="This parcel's number among the order's parcels")
    parcels: int = Field(default=1, ge=1, description="How many parcels the order ships in (split shipment)")
    merge_group: str | None = Field(
        default=None, description="The receiver's merge group (a hash): other orders may join this fulfilment"
    )
    open_until: AwareDatetime | None = Field(
        default=None, description="End of the merge window: a warehouse may hold the fulfilment until then"
    )


class ShipmentConfirmed(EventData):
    order_key: str
    fulfilment_id: str
    node_id: str
    carrier_code: str
    tracking_no: str
    shipped_at: AwareDatetime


class OrderCancelled(EventData):
    order_key: str
    reason: str
    released_reservation: bool


ALL_EVENT_TYPES: tuple[type[EventData], ...] = (
    OrderReceived,
    OrderUpdated,
    OrderAudited,
    StockReserved,
    ReservationFailed,
    FulfilmentRequested,
    ShipmentConfirmed,
    OrderCancelled,
)


class Event(BaseModel):
    """What goes into an EventBridge entry's Detail."""

    model_config = ConfigDict(frozen=True)

    data: SerializeAsAny[EventData]  # keeps the concrete event's fields when serialising
    metadata: EventMetadata

    @property
    def detail_type(self) -> str:
        return self.data.detail_type()

    def source(self) -> str:
        context = self.data.source_context
        if context == "connector":
            return f"omnihub.connector.{self.metadata.channel}"
        return f"omnihub.{context}"

    def detail_json(self) -> str:
        return self.model_dump_json()


def make_event(data: EventData, *, correlation_id: str, channel: str, occurred_at: datetime | None = None) -> Event:
    metadata = EventMetadata(correlation_id=correlation_id, channel=channel, occurred_at=occurred_at or utc_now())
    return Event(data=data, metadata=metadata)
