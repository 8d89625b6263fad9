"""What-if replay: past orders through candidate audit rules and a candidate routing policy, compared with the
live ones, order by order and in totals. Pure: orders, rule sets, policies, the network and a stock snapshot
come in as values; nothing is read from AWS or written anywhere (docs/replay.md).

Each order is replayed as the workflow would take it: audited (window rules see the other orders of the file,
`history_among`), and routed only when its audit passes (REVIEW holds it, REJECT ends it). Every order is routed
against the same stock snapshot at the time it was paid, so every difference comes from the rules and the
policy, not from the order in which the orders drained stock.
"""

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

from pydantic import AwareDatetime, BaseModel, ConfigDict, NonNegativeInt, TypeAdapter, ValidationError

from functions.workflow.logic.audit import (
    AuditDecision,
    AuditHistory,
    RiskKeys,
    RuleSet,
    audit,
    history_among,
    risk_keys,
)
from functions.workflow.logic.audit.history import HISTORY_KEYS, HistoryKey
from functions.workflow.logic.routing import Network, RoutingDecision, RoutingInputError, RoutingOutcome, route
from functions.workflow.logic.routing.network import Capability
from functions.workflow.logic.routing.policy import RoutingPolicy
from hubcore.errors import HubError
from schemas.events import AuditOutcome, RuleHit
from schemas.order import Order

Snapshot = Mapping[tuple[str, str], int]  # (sku, node_id) -> units available
NOT_ROUTED = "NOT_ROUTED"  # the audit did not let the order through to routing
ROUTING_ERROR = "ERROR"  # route() refused the order (the note says why)
DEFAULT_COVER_DAYS = 3
_RATIO = Decimal("0.0001")
_ROUTED = (RoutingOutcome.ROUTED.value, RoutingOutcome.SPLIT.value)
_STOCK_FILE = TypeAdapter(dict[str, dict[str, NonNegativeInt]])


class ReplayInputError(HubError):
    """An orders, stock or configuration input replay cannot use."""

    code = "REPLAY_INPUT_INVALID"
    http_status = 422


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# --- inputs ---


class SkippedOrder(_Frozen):
    """An input record that is not a valid canonical order: where it is and what is wrong (never its values)."""

    record: int  # 1-based line of a JSON Lines file, or item of a JSON array
    error: str


@dataclass(frozen=True)
class OrdersInput:
    orders: tuple[Order, ...]
    skipped: tuple[SkippedOrder, ...]
    superseded: int  # older versions of an order that appears more than once (the newest is replayed)


@dataclass(frozen=True)
class Setup:
    """One side of the comparison: the audit rules and the routing policy it runs."""

    rules: RuleSet
    policy: RoutingPolicy


def _explain(error: ValidationError) -> str:
    # Only places and messages: pydantic's own text would repeat the input, i.e. receiver data.
    return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or '<order>'}: {e['msg']}" for e in error.errors())


def parse_orders(text: str) -> OrdersInput:
    """Canonical orders from JSON Lines (one order per line) or a JSON array; invalid records are skipped and
    reported. An order key seen twice keeps its highest version."""
    records: list[tuple[int, object]] = []
    if text.lstrip().startswith("["):
        try:
            items = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ReplayInputError(f"the orders file is not valid JSON: {exc.msg} at line {exc.lineno}") from exc
        records = list(enumerate(items, start=1))
    else:
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                records.append((number, json.loads(line)))
            except json.JSONDecodeError as exc:
                records.append((number, SkippedOrder(record=number, error=f"not JSON: {exc.msg}")))
    newest: dict[str, Order] = {}
    skipped: list[SkippedOrder] = []
    superseded = 0
    for number, record in records:
        if isinstance(record, SkippedOrder):
            skipped.append(record)
            continue
        try:
            order = Order.model_validate(record)
        except ValidationError as exc:
            skipped.append(SkippedOrder(record=number, error=_explain(exc)))
            continue
        known = newest.get(order.order_key)
        if known is not None:
            superseded += 1
            if known.version >= order.version:
                continue
        newest[order.order_key] = order
    return OrdersInput(orders=tuple(newest.values()), skipped=tuple(skipped), superseded=superseded)


def parse_stock(raw: bytes) -> dict[tuple[str, str], int]:
    """A stock snapshot file: `{"SKU": {"NODE": units}}` (the shape of a routing decision's `stock_seen`)."""
    try:
        found = _STOCK_FILE.validate_json(raw)
    except ValidationError as exc:
        raise ReplayInputError(f"the stock file is invalid: {_explain(exc)}") from exc
    return {(sku, node_id): units for sku, nodes in found.items() for node_id, units in nodes.items()}


def derived_stock(network: Network, cover_days: int = DEFAULT_COVER_DAYS) -> dict[tuple[str, str], int]:
    """A reproducible snapshot from the network alone: `cover_days` of each SKU's daily velocity, shared among
    the nodes that can hold it (bulky SKUs only where LARGE_APPLIANCE is a capability) by daily capacity,
    rounded down. Big RDCs hold a few days of everything; small stores hold little or none of the slow SKUs."""
    snapshot: dict[tuple[str, str], int] = {}
    for product in network.catalog:
        holders = [
            node
            for node in network.nodes
            if not product.large_appliance or Capability.LARGE_APPLIANCE in node.capabilities
        ]
        capacity = sum(node.daily_capacity for node in holders)
        for node in holders:
            units = product.daily_velocity * cover_days * node.daily_capacity / capacity
            snapshot[(product.sku, node.node_id)] = int(units.to_integral_value(rounding=ROUND_FLOOR))
    return snapshot


# --- the report ---


class AuditView(_Frozen):
    outcome: AuditOutcome
    score: int
    hits: tuple[RuleHit, ...]


class ParcelView(_Frozen):
    node_id: str
    carrier_id: str
    contents: str  # "SKU×units, ..."
    freight_fen: int
    promised_hours: int
    promised_by: AwareDatetime
    late: bool  # promised later than the policy's SLA for the channel


class RoutingView(_Frozen):
    outcome: str  # a RoutingOutcome, NOT_ROUTED or ERROR
    parcels: tuple[ParcelView, ...] = ()
    freight_fen: int = 0
    sla_hours: int | None = None
    note: str = ""  # why it was not routed, or the first reason of an unroutable decision

    @property
    def late(self) -> bool:
        return any(parcel.late for parcel in self.parcels)

    @property
    def promised_by(self) -> datetime | None:
        return max((parcel.promised_by for parcel in self.parcels), default=None)


class SideView(_Frozen):
    audit: AuditView
    routing: RoutingView


class OrderChange(_Frozen):
    """An order whose audit outcome or routing differs between the two sides."""

    order_key: str
    channel: str
    created_at: AwareDatetime
    changed: tuple[str, ...]  # "audit", "routing"
    baseline: SideView
    candidate: SideView
    hits_added: tuple[RuleHit, ...]  # candidate hits the baseline did not have (rule, weight and reason)
    hits_removed: tuple[RuleHit, ...]
    routing_why: tuple[str, ...]  # the candidate routing's reasons, when the routing changed


class Totals(_Frozen):
    orders: int
    passed: int
    review: int
    reject: int
    review_rate: Decimal
    reject_rate: Decimal
    routed: int  # ROUTED or SPLIT
    split: int
    split_rate: Decimal  # of the routed orders
    unroutable: int
    freight_fen: int
    mean_freight_fen: int  # per routed order, rounded half up
    promised_misses: int  # routed orders with a parcel promised later than the SLA


class NodeLoad(_Frozen):
    node_id: str
    orders_before: int
    orders_after: int
    parcels_before: int
    parcels_after: int


class ReplayReport(_Frozen):
    baseline_rules: str
    candidate_rules: str
    baseline_policy: str
    candidate_policy: str
    network: str
    stock: str
    orders_replayed: int
    skipped: tuple[SkippedOrder, ...]
    superseded: int
    before: Totals
    after: Totals
    node_load: tuple[NodeLoad, ...]
    # Freight of the orders routed on both sides: the policy's own effect, apart from orders the rules now hold.
    routed_both: int
    routed_both_freight_before_fen: int
    routed_both_freight_after_fen: int
    changes: tuple[OrderChange, ...]  # ordered by creation time, then order key
    unchanged: int
    score_only_changes: int  # orders whose hits or score changed but whose outcome and routing did not


# --- replaying ---


def _histories(orders: Sequence[Order]) -> dict[str, AuditHistory]:
    """Per order, the history the risk ledger would hold had every other order of the file been recorded.
    Orders are indexed by their hashed keys first, so each order only scans those sharing a key (linear in
    the file rather than quadratic)."""
    keyed: dict[tuple[HistoryKey, str], list[Order]] = defaultdict(list)
    keys_of: dict[str, RiskKeys] = {}
    for order in orders:
        keys = keys_of[order.order_key] = risk_keys(order)
        for name in HISTORY_KEYS:
            value = keys.of(name)
            if value is not None:
                keyed[(name, value)].append(order)
    histories: dict[str, AuditHistory] = {}
    for order in orders:
        keys = keys_of[order.order_key]
        sharing: dict[str, Order] = {}
        for name in HISTORY_KEYS:
            value = keys.of(name)
            if value is not None:
                sharing |= {o.order_key: o for o in keyed[(name, value)] if o.order_key != order.order_key}
        histories[order.order_key] = history_among(order, sharing.values())
    return histories


def _audit_view(decision: AuditDecision) -> AuditView:
    return AuditView(outcome=decision.outcome, score=decision.score, hits=tuple(decision.hits))


def _routing_view(decision: RoutingDecision, sla_hours: int) -> RoutingView:
    chosen = decision.chosen
    if chosen is None:
        note = decision.why[0] if decision.why else ""
        return RoutingView(outcome=decision.outcome.value, sla_hours=sla_hours, note=note)
    parcels = tuple(
        ParcelView(
            node_id=parcel.node_id,
            carrier_id=parcel.carrier_id,
            contents=", ".join(f"{line.sku}×{line.quantity}" for line in parcel.lines),
            freight_fen=parcel.freight_fen,
            promised_hours=parcel.promised_hours,
            promised_by=parcel.promised_by,
            late=parcel.promised_hours > sla_hours,
        )
        for parcel in chosen.parcels
    )
    return RoutingView(
        outcome=decision.outcome.value, parcels=parcels, freight_fen=chosen.freight_fen, sla_hours=sla_hours
    )


def _side(
    order: Order, history: AuditHistory, setup: Setup, network: Network, available: Snapshot
) -> tuple[SideView, tuple[str, ...]]:
    decision = audit(order, setup.rules, history)
    view = _audit_view(decision)
    if decision.outcome is not AuditOutcome.PASS:
        held = "held for review" if decision.outcome is AuditOutcome.REVIEW else "rejected"
        return SideView(audit=view, routing=RoutingView(outcome=NOT_ROUTED, note=f"audit {held}")), ()
    sla = setup.policy.delivery.sla_for(order.channel)
    try:
        routing = route(order, network, setup.policy, available, now=order.paid_at or order.created_at)
    except RoutingInputError as exc:
        return SideView(audit=view, routing=RoutingView(outcome=ROUTING_ERROR, note=exc.message)), ()
    return SideView(audit=view, routing=_routing_view(routing, sla)), routing.why


def _rate(part: int, whole: int) -> Decimal:
    return (Decimal(part) / Decimal(whole)).quantize(_RATIO, rounding=ROUND_HALF_UP) if whole else Decimal(0)


def _totals(sides: Sequence[SideView]) -> Totals:
    outcomes = [side.audit.outcome for side in sides]
    routed = [side.routing for side in sides if side.routing.outcome in _ROUTED]
    split = sum(1 for r in routed if r.outcome == RoutingOutcome.SPLIT)
    freight = sum(r.freight_fen for r in routed)
    mean = (Decimal(freight) / len(routed)).quantize(Decimal(1), rounding=ROUND_HALF_UP) if routed else Decimal(0)
    return Totals(
        orders=len(sides),
        passed=outcomes.count(AuditOutcome.PASS),
        review=outcomes.count(AuditOutcome.REVIEW),
        reject=outcomes.count(AuditOutcome.REJECT),
        review_rate=_rate(outcomes.count(AuditOutcome.REVIEW), len(sides)),
        reject_rate=_rate(outcomes.count(AuditOutcome.REJECT), len(sides)),
        routed=len(routed),
        split=split,
        split_rate=_rate(split, len(routed)),
        unroutable=sum(1 for side in sides if side.routing.outcome == RoutingOutcome.UNROUTABLE),
        freight_fen=freight,
        mean_freight_fen=int(mean),
        promised_misses=sum(1 for r in routed if r.late),
    )


def _load(sides: Iterable[SideView]) -> tuple[dict[str, int], dict[str, int]]:
    orders: dict[str, int] = defaultdict(int)
    parcels: dict[str, int] = defaultdict(int)
    for side in sides:
        for node_id in {parcel.node_id for parcel in side.routing.parcels}:
            orders[node_id] += 1
        for parcel in side.routing.parcels:
            parcels[parcel.node_id] += 1
    return orders, parcels


def _node_load(before: Sequence[SideView], after: Sequence[SideView]) -> tuple[NodeLoad, ...]:
    (orders_b, parcels_b), (orders_a, parcels_a) = _load(before), _load(after)
    return tuple(
        NodeLoad(
            node_id=node_id,
            orders_before=orders_b.get(node_id, 0),
            orders_after=orders_a.get(node_id, 0),
            parcels_before=parcels_b.get(node_id, 0),
            parcels_after=parcels_a.get(node_id, 0),
        )
        for node_id in sorted(set(orders_b) | set(orders_a))
    )


def _routing_key(view: RoutingView) -> tuple[object, ...]:
    """What makes two routings different: where, what, how and when, not the SLA it is measured against."""
    return (view.outcome, view.note, view.parcels)


def replay(
    orders: Sequence[Order],
    *,
    baseline: Setup,
    candidate: Setup,
    network: Network,
    available: Snapshot,
    stock_label: str,
    skipped: Sequence[SkippedOrder] = (),
    superseded: int = 0,
) -> ReplayReport:
    """Audit and route every order under both setups and report what changed."""
    ordered = sorted(orders, key=lambda o: (o.created_at, o.order_key))
    histories = _histories(ordered)
    befores: list[SideView] = []
    afters: list[SideView] = []
    changes: list[OrderChange] = []
    score_only = 0
    for order in ordered:
        history = histories[order.order_key]
        before, _ = _side(order, history, baseline, network, available)
        after, why = _side(order, history, candidate, network, available)
        befores.append(before)
        afters.append(after)
        changed = tuple(
            name
            for name, differs in (
                ("audit", before.audit.outcome != after.audit.outcome),
                ("routing", _routing_key(before.routing) != _routing_key(after.routing)),
            )
            if differs
        )
        if not changed:
            score_only += before.audit != after.audit
            continue
        added = tuple(hit for hit in after.audit.hits if hit not in before.audit.hits)
        removed = tuple(hit for hit in before.audit.hits if hit not in after.audit.hits)
        changes.append(
            OrderChange(
                order_key=order.order_key,
                channel=order.channel,
                created_at=order.created_at,
                changed=changed,
                baseline=before,
                candidate=after,
                hits_added=added,
                hits_removed=removed,
                routing_why=tuple(why) if "routing" in changed else (),
            )
        )
    both = [
        (before, after)
        for before, after in zip(befores, afters, strict=True)
        if before.routing.outcome in _ROUTED and after.routing.outcome in _ROUTED
    ]
    return ReplayReport(
        baseline_rules=baseline.rules.label,
        candidate_rules=candidate.rules.label,
        baseline_policy=baseline.policy.label,
        candidate_policy=candidate.policy.label,
        network=network.label,
        stock=stock_label,
        orders_replayed=len(ordered),
        skipped=tuple(skipped),
        superseded=superseded,
        before=_totals(befores),
        after=_totals(afters),
        node_load=_node_load(befores, afters),
        routed_both=len(both),
        routed_both_freight_before_fen=sum(before.routing.freight_fen for before, _ in both),
        routed_both_freight_after_fen=sum(after.routing.freight_fen for _, after in both),
        changes=tuple(changes),
        unchanged=len(ordered) - len(changes),
        score_only_changes=score_only,
    )
