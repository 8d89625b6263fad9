"""The routing decision: everything needed to see, and replay, why an order ships from where it ships.

JSON-serialisable (pydantic): `RoutingDecision.model_validate_json(decision.model_dump_json()) == decision`.
"""

from decimal import Decimal
from enum import StrEnum
from typing import NotRequired  # pydantic needs this TypedDict on Python < 3.12

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from typing_extensions import TypedDict

from functions.workflow.logic.routing.network import Capability, NodeKind
from schemas.order import FulfilmentMode


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RoutingOutcome(StrEnum):
    ROUTED = "ROUTED"  # every line from one node, one parcel
    SPLIT = "SPLIT"  # no single node could take it all: several parcels
    NOT_REQUIRED = "NOT_REQUIRED"  # STORE_SALE: handed over at the till, nothing to route
    UNROUTABLE = "UNROUTABLE"  # no plan passes the filters; `why` says what is missing


class FilterName(StrEnum):
    ACTIVE = "active"
    CHANNEL = "channel"
    CAPACITY = "capacity"
    COVERAGE = "coverage"
    CAPABILITY = "capability"
    CARRIER = "carrier"
    STOCK = "stock"


NODE_FILTERS = (FilterName.ACTIVE, FilterName.CHANNEL, FilterName.CAPACITY, FilterName.COVERAGE)
GROUP_FILTERS = (FilterName.CAPABILITY, FilterName.CARRIER, FilterName.STOCK)


class TermName(StrEnum):
    FREIGHT = "freight"
    DISTANCE = "distance"
    DELIVERY = "delivery"
    PARCELS = "parcels"
    UTILISATION = "utilisation"
    STOCK_BALANCE = "stock_balance"
    CHANNEL_POLICY = "channel_policy"


class SearchMethod(StrEnum):
    NONE = "NONE"  # nothing to search (store sale, or no candidate at all)
    SINGLE_NODE = "SINGLE_NODE"  # at least one node takes everything: only single-node plans are scored
    PICKUP = "PICKUP"  # the buyer's chosen store, or nothing
    EXACT = "EXACT"  # every assignment of line groups to nodes enumerated
    GREEDY = "GREEDY"  # set-cover heuristic plus one improvement pass (instance too large for EXACT)


class FilterVerdict(TypedDict):
    """One filter's verdict on one candidate (a TypedDict: a decision holds hundreds, models cost 4x more)."""

    filter: FilterName
    group_id: str | None  # the line group checked; None for checks about the node alone
    passed: bool
    reason: str


class ScoreTerm(TypedDict):
    """One term of a plan's score: contribution = normalised x weight (a TypedDict, like FilterVerdict)."""

    term: TermName
    raw: Decimal
    unit: str
    normalised: Decimal
    weight: Decimal
    contribution: Decimal
    detail: NotRequired[str]  # in a plan option's terms; left out of each candidate's (hundreds per decision)


class Candidate(TypedDict):
    """A node considered for the order, with every filter's verdict (a TypedDict: one per node in the network)."""

    node_id: str
    name: str
    kind: NodeKind
    verdicts: tuple[FilterVerdict, ...]
    groups_servable: tuple[str, ...]  # line groups this node passes every filter for
    whole_order: bool  # passes every filter for all line groups together
    score: Decimal | None  # score of shipping everything from here (when whole_order)
    terms: tuple[ScoreTerm, ...]  # the terms of that score


class GroupLine(_Frozen):
    order_key: str
    line_id: str
    sku: str
    quantity: int
    is_gift: bool = False


class LineGroup(_Frozen):
    """Lines that must leave together: a main line with its gifts and kit components."""

    group_id: str
    lines: tuple[GroupLine, ...]
    weight_g: int
    requires: tuple[Capability, ...]
    splittable: bool = Field(description="A single line whose units may leave from several nodes if no node has all")


class ParcelLine(_Frozen):
    order_key: str
    line_id: str
    sku: str
    quantity: int


class Parcel(_Frozen):
    node_id: str
    lines: tuple[ParcelLine, ...]
    weight_g: int
    carrier_id: str
    freight_fen: int
    distance_tier: str
    promised_hours: int
    promised_by: AwareDatetime


class PlanOption(_Frozen):
    rank: int = Field(ge=1)
    parcels: tuple[Parcel, ...]
    score: Decimal = Field(description="Sum of the terms' contributions; lower is better")
    freight_fen: int
    terms: tuple[ScoreTerm, ...]

    @property
    def node_ids(self) -> tuple[str, ...]:
        return tuple(parcel.node_id for parcel in self.parcels)

    @property
    def label(self) -> str:
        """The node for a one-parcel plan; every parcel's node and contents for a split."""
        if len(self.parcels) == 1:
            return self.parcels[0].node_id
        return " + ".join(f"{p.node_id}[{', '.join(f'{x.sku}×{x.quantity}' for x in p.lines)}]" for p in self.parcels)


class SearchInfo(_Frozen):
    method: SearchMethod
    plans_evaluated: int = 0
    note: str = ""


class Destination(_Frozen):
    province: str | None
    city: str | None


class RoutingDecision(_Frozen):
    order_keys: tuple[str, ...] = Field(min_length=1, description="More than one when orders were merged")
    channel: str
    shop_id: str
    fulfilment_mode: FulfilmentMode
    outcome: RoutingOutcome
    decided_at: AwareDatetime
    policy_version: str
    policy_checksum: str
    network_version: str
    network_checksum: str
    destination: Destination
    groups: tuple[LineGroup, ...]
    candidates: tuple[Candidate, ...]
    options: tuple[PlanOption, ...] = Field(description="Best scored plans, best first (the policy's options_kept)")
    chosen: PlanOption | None
    runner_up: PlanOption | None
    why: tuple[str, ...] = Field(description="Readable reasons for the outcome, most important first")
    search: SearchInfo
    stock_seen: dict[str, dict[str, int]] = Field(description="The snapshot used: sku -> node -> available")

    @property
    def order_key(self) -> str:
        return self.order_keys[0]
