"""The fulfilment network as data: nodes, carriers with their rate tables, and the product catalog.

Loaded from `network.json` beside this module (or `$OMNIHUB_NETWORK_FILE`), validated by pydantic including
every reference (a node's carriers, coverage names, rate origins/destinations), and fingerprinted by the
file's sha256 so a routing decision names the exact network it was made against.

Freight is first-weight plus additional-weight pricing in integer fen:
`first_fen + ceil((weight_g - first_weight_g) / step_g) * step_fen`. A carrier's rate rows are keyed by
origin and destination, each a province, a region name or `*`; the most specific row wins (province over
region over `*`, destination first).
"""

import hashlib
import os
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Annotated, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

from functions.workflow.logic.routing.errors import RoutingConfigError
from functions.workflow.logic.routing.geography import province_aliases

NETWORK_FILE_ENV = "OMNIHUB_NETWORK_FILE"
DEFAULT_NETWORK_FILE = Path(__file__).with_name("network.json")
ANYWHERE = "*"

NodeId = Annotated[str, Field(pattern=r"^[A-Z0-9][A-Z0-9-]{1,31}$")]


class Capability(StrEnum):
    LARGE_APPLIANCE = "LARGE_APPLIANCE"  # can store and hand over bulky appliances (大件)
    DELIVERY_INSTALL = "DELIVERY_INSTALL"  # 送装一体: delivery with installation on the same visit
    PICKUP = "PICKUP"  # click-and-collect counter
    DROP_SHIP = "DROP_SHIP"  # ships distributors' (一件代发) orders


class NodeKind(StrEnum):
    WAREHOUSE = "WAREHOUSE"
    STORE = "STORE"
    DISTRIBUTOR = "DISTRIBUTOR"  # a distributor's stock the brand may source from


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Node(_Frozen):
    node_id: NodeId
    name: str = Field(min_length=1)
    kind: NodeKind
    province: str = Field(min_length=1)
    city: str = Field(min_length=1)
    coverage: tuple[str, ...] = Field(min_length=1, description="Provinces, region names or '*' the node ships to")
    capabilities: frozenset[Capability] = frozenset()
    daily_capacity: int = Field(gt=0, description="Orders the node can release per day")
    backlog: int = Field(ge=0, description="Orders released today and not yet handed to a carrier")
    handling_hours: int = Field(ge=0, description="From release to hand-over to the carrier")
    channels: frozenset[str] | None = Field(default=None, description="Only these channels; null serves every one")
    active: bool = True
    flagship: bool = False
    carriers: tuple[str, ...] = Field(min_length=1)


class RateRow(_Frozen):
    origin: str = Field(min_length=1)
    destination: str = Field(min_length=1)
    first_weight_g: int = Field(gt=0)
    first_fen: int = Field(ge=0)
    step_g: int = Field(gt=0)
    step_fen: int = Field(ge=0)

    def price(self, weight_g: int) -> int:
        extra = max(0, weight_g - self.first_weight_g)
        return self.first_fen + -(-extra // self.step_g) * self.step_fen


class Carrier(_Frozen):
    carrier_id: str = Field(pattern=r"^[A-Z0-9][A-Z0-9-]{1,15}$")
    name: str = Field(min_length=1)
    handles_large: bool = False
    max_weight_g: int | None = Field(default=None, gt=0)
    rates: tuple[RateRow, ...] = Field(min_length=1)

    def takes(self, weight_g: int, large: bool) -> bool:
        return (self.handles_large or not large) and (self.max_weight_g is None or weight_g <= self.max_weight_g)


class Product(_Frozen):
    sku: str = Field(min_length=1)
    title: str = ""
    weight_g: int = Field(gt=0, description="Shipping weight of one unit, packed")
    large_appliance: bool = False
    needs_installation: bool = False
    new_model: bool = False
    daily_velocity: Decimal = Field(ge=0, description="Units sold per day across the network (for days of cover)")


@dataclass
class NetworkIndex:
    """Plain-dict lookups built once per network."""

    region_of: dict[str, str]
    aliases: dict[str, str]
    nodes: dict[str, Node]
    products: dict[str, Product]
    carriers: dict[str, Carrier]
    rates: dict[tuple[str, str, str], RateRow] = field(default_factory=dict)  # (carrier, origin, destination)
    coverage: dict[str, frozenset[str]] = field(default_factory=dict)  # node id -> provinces it ships to
    # Values derived purely from this network and a few order attributes (e.g. a node's verdicts for a channel
    # and province), memoised because a network serves many orders; a new network starts empty.
    memo: dict[tuple[object, ...], object] = field(default_factory=dict)
    # (node id, destination) -> the node's carriers with a rate there; at most nodes x provinces entries
    lanes: dict[tuple[str, str], "Lanes"] = field(default_factory=dict)
    _lane_keys: dict[tuple[tuple[str, str, str], ...], int] = field(default_factory=dict)

    def node_lanes(self, node: Node, destination: str) -> "Lanes":
        key = (node.node_id, destination)
        found = self.lanes.get(key)
        if found is None:
            lanes = tuple(
                Lane(carrier_id, self.carriers[carrier_id], row)
                for carrier_id in node.carriers
                if (row := self.rates.get((carrier_id, node.province, destination))) is not None
            )
            rows = tuple((lane.carrier_id, lane.row.origin, lane.row.destination) for lane in lanes)
            found = self.lanes[key] = Lanes(self._lane_keys.setdefault(rows, len(self._lane_keys)), lanes)
        return found

    def cheapest_carrier(self, node: Node, destination: str, weight_g: int, large: bool) -> tuple[str, int] | None:
        """(carrier id, freight in fen) of the cheapest of the node's carriers that takes the parcel there."""
        return self.cheapest_on(self.node_lanes(node, destination).lanes, weight_g, large)

    @staticmethod
    def cheapest_on(lanes: tuple["Lane", ...], weight_g: int, large: bool) -> tuple[str, int] | None:
        best: tuple[str, int] | None = None
        for carrier_id, carrier, row in lanes:
            if not carrier.takes(weight_g, large):
                continue
            fen = row.price(weight_g)
            if best is None or fen < best[1]:
                best = (carrier_id, fen)
        return best


class Lane(NamedTuple):
    """One of a node's carriers with the rate row that prices its parcels to one destination."""

    carrier_id: str
    carrier: Carrier
    row: RateRow


class Lanes(NamedTuple):
    """A node's lanes to one destination. Nodes whose lanes have the same `key` use the same carriers and rate
    rows there, so any parcel costs the same from each (a routing call prices such nodes once)."""

    key: int
    lanes: tuple[Lane, ...]


def _most_specific(carrier: Carrier, origin: str, destination: str, region_of: dict[str, str]) -> RateRow | None:
    def rank(name: str, province: str) -> int | None:
        if name == province:
            return 2
        if name == region_of.get(province):
            return 1
        return 0 if name == ANYWHERE else None

    best: tuple[tuple[int, int], RateRow] | None = None
    for row in carrier.rates:
        o, d = rank(row.origin, origin), rank(row.destination, destination)
        if o is not None and d is not None and (best is None or (d, o) > best[0]):
            best = ((d, o), row)
    return best[1] if best else None


class Network(_Frozen):
    version: str = Field(min_length=1)
    description: str = ""
    regions: dict[str, tuple[str, ...]] = Field(min_length=1, description="Region name -> its provinces (full names)")
    carriers: tuple[Carrier, ...] = Field(min_length=1)
    nodes: tuple[Node, ...] = Field(min_length=1)
    catalog: tuple[Product, ...] = Field(min_length=1)
    checksum: str = Field(default="", description="sha256 of the file the network was loaded from")

    _index: NetworkIndex = PrivateAttr()

    @model_validator(mode="after")
    def _references_resolve(self) -> "Network":
        errors: list[str] = []
        region_of: dict[str, str] = {}
        for region, provinces in self.regions.items():
            for province in provinces:
                if province in region_of:
                    errors.append(f"province {province} is in regions {region_of[province]} and {region}")
                region_of[province] = region
        places = set(region_of) | set(self.regions) | {ANYWHERE}
        errors += _duplicates("node id", [n.node_id for n in self.nodes])
        errors += _duplicates("carrier id", [c.carrier_id for c in self.carriers])
        errors += _duplicates("catalog sku", [p.sku for p in self.catalog])
        carrier_ids = {c.carrier_id for c in self.carriers}
        for carrier in self.carriers:
            errors += _duplicates(
                f"rate row of {carrier.carrier_id}", [(r.origin, r.destination) for r in carrier.rates]
            )
            for row in carrier.rates:
                errors += [
                    f"carrier {carrier.carrier_id}: unknown rate {side} {name!r}"
                    for side, name in (("origin", row.origin), ("destination", row.destination))
                    if name not in places
                ]
        for node in self.nodes:
            if node.province not in region_of:
                errors.append(f"node {node.node_id}: province {node.province!r} is in no region")
            errors += [f"node {node.node_id}: unknown coverage {c!r}" for c in node.coverage if c not in places]
            errors += [f"node {node.node_id}: unknown carrier {c!r}" for c in node.carriers if c not in carrier_ids]
        if errors:
            raise ValueError("; ".join(errors))
        self._index_lookups(region_of)
        self._check_rates_cover_coverage()
        return self

    def _index_lookups(self, region_of: dict[str, str]) -> None:
        index = NetworkIndex(
            region_of=region_of,
            aliases=province_aliases(region_of),
            nodes={n.node_id: n for n in self.nodes},
            products={p.sku: p for p in self.catalog},
            carriers={c.carrier_id: c for c in self.carriers},
        )
        origins = {n.province for n in self.nodes}
        for carrier in self.carriers:
            for origin in origins:
                for destination in region_of:
                    row = _most_specific(carrier, origin, destination, region_of)
                    if row is not None:
                        index.rates[(carrier.carrier_id, origin, destination)] = row
        for node in self.nodes:
            covered: set[str] = set()
            for name in node.coverage:
                if name == ANYWHERE:
                    covered |= set(region_of)
                elif name in self.regions:
                    covered |= set(self.regions[name])
                else:
                    covered.add(name)
            index.coverage[node.node_id] = frozenset(covered)
        self._index = index

    def _check_rates_cover_coverage(self) -> None:
        errors = []
        rates = self._index.rates
        for node in self.nodes:
            for province in sorted(self._index.coverage[node.node_id]):
                if not any((c, node.province, province) in rates for c in node.carriers):
                    errors.append(f"node {node.node_id} covers {province} but none of its carriers has a rate there")
        if errors:
            raise ValueError("; ".join(errors[:10]) + (f" (and {len(errors) - 10} more)" if len(errors) > 10 else ""))

    # --- lookups (routing's hot paths use `index` directly: pydantic private attributes are slow to reach) ---

    @property
    def index(self) -> NetworkIndex:
        return self._index

    def province(self, name: str | None) -> str | None:
        """The full province name the network uses for a receiver's province, or None if unknown."""
        return self._index.aliases.get(name.strip()) if name else None

    def region_of(self) -> dict[str, str]:
        return self._index.region_of

    def node(self, node_id: str) -> Node | None:
        return self._index.nodes.get(node_id)

    def product(self, sku: str) -> Product | None:
        return self._index.products.get(sku)

    def covers(self, node: Node, province: str) -> bool:
        return province in self._index.coverage[node.node_id]

    def cheapest_carrier(self, node: Node, destination: str, weight_g: int, large: bool) -> tuple[str, int] | None:
        return self._index.cheapest_carrier(node, destination, weight_g, large)

    def with_backlog(self, backlog: dict[str, int]) -> "Network":
        """The same network with today's backlog per node replaced (the file holds a snapshot)."""
        data = self.model_dump()
        for node in data["nodes"]:
            node["backlog"] = backlog.get(node["node_id"], node["backlog"])
        return Network.model_validate(data).model_copy(update={"checksum": self.checksum})

    @property
    def label(self) -> str:
        return f"{self.version}#{self.checksum[:12]}"


def _duplicates(what: str, values: list[object]) -> list[str]:
    return [f"duplicate {what} {value!r}" for value, count in Counter(values).items() if count > 1]


def parse_network(raw: bytes) -> Network:
    try:
        network = Network.model_validate_json(raw)
    except ValidationError as exc:
        raise RoutingConfigError(f"invalid network file: {exc}") from exc
    return network.model_copy(update={"checksum": hashlib.sha256(raw).hexdigest()})


@cache
def load_network(path: str | None = None) -> Network:
    """The network from `path`, `$OMNIHUB_NETWORK_FILE` or the packaged default (cached per path)."""
    return parse_network(Path(path or os.environ.get(NETWORK_FILE_ENV) or DEFAULT_NETWORK_FILE).read_bytes())
