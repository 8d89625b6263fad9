"""The routing policy as versioned data: score weights, delivery promises, split and merge settings.

Loaded from `policy.json` beside this module (or `$OMNIHUB_ROUTING_POLICY_FILE`), validated by pydantic, and
fingerprinted by the file's sha256: every decision records `version#checksum`, so it can be traced to the
exact policy and replayed against another one.
"""

import hashlib
import os
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from functions.workflow.logic.routing.errors import RoutingConfigError
from functions.workflow.logic.routing.geography import DistanceTier
from functions.workflow.logic.routing.network import Network

POLICY_FILE_ENV = "OMNIHUB_ROUTING_POLICY_FILE"
DEFAULT_POLICY_FILE = Path(__file__).with_name("policy.json")

Weight = Decimal


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Weights(_Frozen):
    """How much each score term counts. Score = sum of weight x normalised value; lower wins."""

    freight: Weight = Field(ge=0)
    distance: Weight = Field(ge=0)
    delivery: Weight = Field(ge=0)
    parcels: Weight = Field(ge=0)
    utilisation: Weight = Field(ge=0)
    stock_balance: Weight = Field(ge=0)
    channel_policy: Weight = Field(ge=0)

    @model_validator(mode="after")
    def _something_counts(self) -> "Weights":
        if not any(value > 0 for value in self.model_dump().values()):
            raise ValueError("at least one score weight must be positive")
        return self


class TransitDays(_Frozen):
    """Carrier days to deliver, by distance tier."""

    same_city: int = Field(ge=0)
    same_province: int = Field(ge=0)
    same_region: int = Field(ge=0)
    national: int = Field(ge=0)

    def for_tier(self, tier: DistanceTier) -> int:
        return int(getattr(self, tier.name.lower()))


class Delivery(_Frozen):
    transit_days: TransitDays
    large_appliance_extra_days: int = Field(default=0, ge=0, description="Bulky-goods carriers are slower")
    sla_hours: int = Field(gt=0, description="Promise to the buyer, from routing to delivery")
    sla_hours_by_channel: dict[str, Annotated[int, Field(gt=0)]] = Field(default_factory=dict)

    def sla_for(self, channel: str) -> int:
        return self.sla_hours_by_channel.get(channel, self.sla_hours)


class ChannelRules(_Frozen):
    new_model_flagship_first: bool = Field(description="Parcels with a new-model SKU should leave from a flagship node")
    preferred_nodes: dict[str, tuple[str, ...]] = Field(
        default_factory=dict, description="Channel -> nodes it prefers; others count as a miss"
    )


class Split(_Frozen):
    allow_quantity_split: bool = Field(description="May one line's units leave from several nodes (no node has all)")
    max_parcels: int = Field(ge=1, le=10)
    exact_search_max_plans: int = Field(
        ge=0, description="Exhaustive search when the number of assignments is at most this; greedy beyond"
    )


class Merge(_Frozen):
    window_minutes: int = Field(gt=0, le=24 * 60, description="Orders created within this span may ship together")


class RoutingPolicy(_Frozen):
    version: str = Field(min_length=1)
    description: str = ""
    weights: Weights
    freight_scale_fen: int = Field(gt=0, description="Freight that normalises to 1.0")
    stock_cover_target_days: Decimal = Field(gt=0, description="Days of cover below which a node is penalised")
    delivery: Delivery
    channel_rules: ChannelRules
    split: Split
    merge: Merge
    options_kept: int = Field(default=10, ge=2, le=100, description="Scored plans kept in a decision")
    checksum: str = Field(default="", description="sha256 of the file the policy was loaded from")

    @property
    def label(self) -> str:
        return f"{self.version}#{self.checksum[:12]}"


def parse_policy(raw: bytes) -> RoutingPolicy:
    try:
        policy = RoutingPolicy.model_validate_json(raw)
    except ValidationError as exc:
        raise RoutingConfigError(f"invalid routing policy: {exc}") from exc
    return policy.model_copy(update={"checksum": hashlib.sha256(raw).hexdigest()})


@cache
def load_policy(path: str | None = None) -> RoutingPolicy:
    """The policy from `path`, `$OMNIHUB_ROUTING_POLICY_FILE` or the packaged default (cached per path)."""
    return parse_policy(Path(path or os.environ.get(POLICY_FILE_ENV) or DEFAULT_POLICY_FILE).read_bytes())


def check_references(policy: RoutingPolicy, network: Network) -> None:
    """Refuse a policy that names nodes the network does not have (a rule that would silently never match)."""
    unknown = sorted(
        {
            f"{channel}:{node_id}"
            for channel, node_ids in policy.channel_rules.preferred_nodes.items()
            for node_id in node_ids
            if network.node(node_id) is None
        }
    )
    if unknown:
        raise RoutingConfigError(f"policy {policy.label} prefers nodes the network lacks: {', '.join(unknown)}")
