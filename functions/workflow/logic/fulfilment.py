"""Parcels and fulfilments: what the routing decision means for the ledger and the warehouse (pure, no AWS).

- A parcel is one node's share of an order (the routing decision's `chosen.parcels`); it becomes one
  fulfilment at the warehouse, with an id derived from the order key and the parcel's place in the plan, so a
  retried request reuses it. The first parcel keeps the order's own id (`fulfilment_id(order_key)`).
- The ledger reserves every parcel in one transaction: `allocations` adds the parcels up per SKU and node.
- Orders of one receiver may share a fulfilment (merged shipment): `merge_group` names the receiver's group
  by a hash of channel, shop and the platform merge key (the key itself never leaves the order).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from schemas.order import FulfilmentMode, Order, OrderStatus

if TYPE_CHECKING:  # the routing engine is ~25 ms of cold start that WriteBack and the shipments API never use
    from functions.workflow.logic.routing import RoutingDecision


class PlannedLine(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    line_id: str
    sku: str
    quantity: int = Field(gt=0)


class ParcelPlan(BaseModel):
    """One node's share of an order; `fulfilment_id` once fulfilment was requested (another order's when merged)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    node_id: str
    lines: tuple[PlannedLine, ...]
    fulfilment_id: str | None = None
    merged_with: tuple[str, ...] = ()  # the other orders sharing this parcel's fulfilment, when it joined one


def fulfilment_id(order_key: str, parcel: int = 0) -> str:
    """The fulfilment id of an order's `parcel`-th parcel; parcel 0 is the order's own id."""
    seed = order_key if parcel == 0 else f"{order_key}#P{parcel}"
    return "F" + hashlib.sha256(seed.encode("utf-8")).hexdigest()[:20].upper()


def receiver_region(province: str | None, city: str | None, district: str | None) -> str:
    """The region in clear for the warehouse's routing (no street address, no name, no phone)."""
    return " ".join(part for part in (province, city, district) if part)


def parcels_of(decision: RoutingDecision, order_key: str) -> list[ParcelPlan]:
    """The order's parcels in the decision's chosen plan (a merged decision holds other orders' lines too)."""
    if decision.chosen is None:
        return []
    plans = []
    for parcel in decision.chosen.parcels:
        lines = tuple(
            PlannedLine(line_id=line.line_id, sku=line.sku, quantity=line.quantity)
            for line in parcel.lines
            if line.order_key == order_key
        )
        if lines:
            plans.append(ParcelPlan(node_id=parcel.node_id, lines=lines))
    return plans


def allocations(parcels: Iterable[ParcelPlan]) -> list[tuple[str, str, int]]:
    """(sku, node_id, units) for the ledger: one entry per SKU and node, parcels added up."""
    totals: dict[tuple[str, str], int] = {}
    for parcel in parcels:
        for line in parcel.lines:
            key = (line.sku, parcel.node_id)
            totals[key] = totals.get(key, 0) + line.quantity
    return [(sku, node_id, units) for (sku, node_id), units in sorted(totals.items())]


def demand(order: Order) -> dict[str, int]:
    """Units per SKU over the order's lines (gifts included)."""
    totals: dict[str, int] = {}
    for line in order.lines:
        totals[line.merchant_sku] = totals.get(line.merchant_sku, 0) + line.quantity
    return dict(sorted(totals.items()))


def shortages(
    order: Order, available: Mapping[tuple[str, str], int], node_ids: Sequence[str]
) -> list[tuple[str, int, int]]:
    """(sku, requested, available over all the given nodes) for each SKU the nodes together cannot cover."""
    result = []
    for sku, wanted in demand(order).items():
        total = sum(max(available.get((sku, node_id), 0), 0) for node_id in node_ids)
        if total < wanted:
            result.append((sku, wanted, total))
    return result


def merge_group(order: Order) -> str | None:
    """The receiver's merge group, or None when the order can never share a shipment (see routing/merge.py)."""
    if order.fulfilment_mode is not FulfilmentMode.SHIP or order.status is not OrderStatus.PAID:
        return None
    if not order.merge_key:
        return None
    digest = hashlib.sha256(f"{order.channel}|{order.shop_id}|{order.merge_key}".encode())
    return "MG-" + digest.hexdigest()[:24]


def recorded_parcels(
    order: Order, recorded: Sequence[Mapping[str, object]] | None, reservation: Mapping[str, object] | None
) -> list[ParcelPlan]:
    """An order's parcels from its `parcels` attribute (with fulfilment ids, once requested), else from its
    `reservation` summary; a summary written before split shipments is one parcel with every line."""
    if recorded:
        return [ParcelPlan.model_validate(p) for p in recorded]
    summary = reservation or {}
    planned = summary.get("parcels")
    if isinstance(planned, list) and planned:
        return [ParcelPlan.model_validate(p) for p in planned]
    lines = [PlannedLine(line_id=x.line_id, sku=x.merchant_sku, quantity=x.quantity) for x in order.lines]
    return [ParcelPlan(node_id=str(summary.get("node_id") or ""), lines=tuple(lines))]
