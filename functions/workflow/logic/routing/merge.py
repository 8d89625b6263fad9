"""Merging orders of one receiver into one shipment (合单), with a reason for every order merged or not.

Orders merge only when all of these hold:
- same channel, same shop and the same platform merge key (`Order.merge_key`). Receiver ciphertext differs
  per shop and per app (Taobao's OAID even per week), so a key is never compared across shops;
- fulfilment mode SHIP (a pickup, till sale or drop-ship has its own party and place);
- paid (platform status PAID) and not yet routed;
- created within the policy's window of the group's first order (the group never spans more than the window).
"""

import hashlib
from collections.abc import Collection, Sequence
from datetime import timedelta

from pydantic import AwareDatetime, BaseModel, ConfigDict

from functions.workflow.logic.routing.errors import RoutingInputError
from functions.workflow.logic.routing.policy import RoutingPolicy, load_policy
from schemas.order import FulfilmentMode, Order, OrderStatus


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class MergeVerdict(_Frozen):
    order_key: str
    merged: bool
    group_id: str | None
    reason: str


class MergeGroup(_Frozen):
    group_id: str
    order_keys: tuple[str, ...]
    channel: str
    shop_id: str
    first_created_at: AwareDatetime
    last_created_at: AwareDatetime
    reason: str


class MergePlan(_Frozen):
    window_minutes: int
    groups: tuple[MergeGroup, ...]
    verdicts: tuple[MergeVerdict, ...]  # one per input order, in input order

    def verdict(self, order_key: str) -> MergeVerdict:
        return next(v for v in self.verdicts if v.order_key == order_key)


def _ineligible(order: Order, routed: Collection[str]) -> str | None:
    if order.order_key in routed:
        return "already routed: merging happens only before routing"
    if order.fulfilment_mode is not FulfilmentMode.SHIP:
        return f"fulfilment mode {order.fulfilment_mode.value} never merges (only SHIP orders ship together)"
    if order.status is not OrderStatus.PAID:
        return f"platform status {order.status.value}: only paid orders merge"
    if not order.merge_key:
        return "the platform gave no merge key, and receiver ciphertext cannot be compared"
    return None


def _group_id(first: Order) -> str:
    digest = hashlib.sha256(f"{first.channel}|{first.shop_id}|{first.merge_key}|{first.order_key}".encode())
    return f"M-{digest.hexdigest()[:12]}"


def _minutes(delta: timedelta) -> str:
    return f"{delta.total_seconds() / 60:.0f} min"


def plan_merges(
    orders: Sequence[Order],
    window: timedelta | None = None,
    *,
    policy: RoutingPolicy | None = None,
    routed: Collection[str] = frozenset(),
) -> MergePlan:
    """Which orders ship together. `window` defaults to the policy's `merge.window_minutes`."""
    keys = [o.order_key for o in orders]
    if len(keys) != len(set(keys)):
        raise RoutingInputError("plan_merges got the same order twice")
    if window is None:
        window = timedelta(minutes=(policy or load_policy()).merge.window_minutes)
    if window <= timedelta(0):
        raise RoutingInputError("the merge window must be positive")
    reasons: dict[str, str] = {}
    groups: list[MergeGroup] = []
    membership: dict[str, str] = {}
    buckets: dict[tuple[str, str, str], list[Order]] = {}
    for order in orders:
        why_not = _ineligible(order, routed)
        if why_not:
            reasons[order.order_key] = why_not
        else:
            buckets.setdefault((order.channel, order.shop_id, order.merge_key or ""), []).append(order)
    for (channel, shop_id, _), members in buckets.items():
        members.sort(key=lambda o: (o.created_at, o.order_key))
        clusters: list[list[Order]] = []
        for order in members:
            if clusters and order.created_at - clusters[-1][0].created_at <= window:
                clusters[-1].append(order)
            else:
                clusters.append([order])
        for cluster in clusters:
            first, last = cluster[0], cluster[-1]
            if len(cluster) == 1:
                reasons[first.order_key] = _alone(first, members, buckets, window)
                continue
            group_id = _group_id(first)
            span = _minutes(last.created_at - first.created_at)
            reason = (
                f"{len(cluster)} paid SHIP orders of {channel} shop {shop_id} with the same platform merge key, "
                f"created {span} apart (window {_minutes(window)})"
            )
            groups.append(
                MergeGroup(
                    group_id=group_id,
                    order_keys=tuple(o.order_key for o in cluster),
                    channel=channel,
                    shop_id=shop_id,
                    first_created_at=first.created_at,
                    last_created_at=last.created_at,
                    reason=reason,
                )
            )
            for order in cluster:
                membership[order.order_key] = group_id
                reasons[order.order_key] = reason
    verdicts = tuple(
        MergeVerdict(order_key=k, merged=k in membership, group_id=membership.get(k), reason=reasons[k]) for k in keys
    )
    return MergePlan(window_minutes=int(window.total_seconds() // 60), groups=tuple(groups), verdicts=verdicts)


def _alone(
    order: Order, same_key: list[Order], buckets: dict[tuple[str, str, str], list[Order]], window: timedelta
) -> str:
    others = [o for o in same_key if o.order_key != order.order_key]
    if others:
        nearest = min(others, key=lambda o: abs(o.created_at - order.created_at))
        gap = _minutes(abs(nearest.created_at - order.created_at))
        return (
            f"same receiver key as {nearest.order_key}, but {gap} apart falls outside its group's "
            f"{_minutes(window)} window"
        )
    elsewhere = sorted(
        f"{channel} shop {shop}"
        for (channel, shop, key), members in buckets.items()
        if key == order.merge_key and (channel, shop) != (order.channel, order.shop_id) and members
    )
    if elsewhere:
        return (
            f"the same merge key appears in {', '.join(elsewhere)}: platform keys are per shop and are never "
            "compared across shops"
        )
    return "no other unrouted paid SHIP order for this receiver in the shop"


def check_mergeable(orders: Sequence[Order]) -> None:
    """Refuse to route orders together unless they could have been merged (same shop, key, SHIP)."""
    if len(orders) < 2:
        return
    first = orders[0]
    if len({o.order_key for o in orders}) != len(orders):
        raise RoutingInputError("the same order appears twice in a merge group")
    for order in orders:
        if (order.channel, order.shop_id) != (first.channel, first.shop_id):
            raise RoutingInputError("orders of different shops are never routed together")
        if not order.merge_key or order.merge_key != first.merge_key:
            raise RoutingInputError("orders routed together need the same platform merge key")
        if order.fulfilment_mode is not FulfilmentMode.SHIP:
            raise RoutingInputError("only SHIP orders are routed together")
