"""Builders shared by the routing tests: a tiny network whose freight is easy to compute by hand."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from functions.workflow.logic.routing import load_policy
from functions.workflow.logic.routing.network import Network
from functions.workflow.logic.routing.policy import RoutingPolicy
from schemas.order import OrderLine, Receiver
from tests.unit.core.factories import make_order

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)

REGIONS = {
    "华东": ["上海市", "浙江省", "江苏省"],
    "华南": ["广东省"],
    "华北": ["北京市"],
}

# Express: 1 kg first weight, then per kg. Zone prices (first_fen, step_fen): same province 500/100,
# same region 700/200, other region 1000/400. Bulky: 30 kg first weight, then per 10 kg, x10 the price.
EXPRESS = {"province": (500, 100), "region": (700, 200), "other": (1000, 400)}


def _rows(first_g: int, step_g: int, scale: int) -> list[dict[str, Any]]:
    rows = [
        {
            "origin": "*",
            "destination": "*",
            "first_weight_g": first_g,
            "first_fen": 1000 * scale,
            "step_g": step_g,
            "step_fen": 400 * scale,
        },
    ]
    for region, provinces in REGIONS.items():
        rows.append(
            {
                "origin": region,
                "destination": region,
                "first_weight_g": first_g,
                "first_fen": 700 * scale,
                "step_g": step_g,
                "step_fen": 200 * scale,
            }
        )
        for province in provinces:
            rows.append(
                {
                    "origin": province,
                    "destination": province,
                    "first_weight_g": first_g,
                    "first_fen": 500 * scale,
                    "step_g": step_g,
                    "step_fen": 100 * scale,
                }
            )
    return rows  # fmt: skip


def node(node_id: str, province: str, city: str, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "node_id": node_id,
        "name": f"node {node_id}",
        "kind": "WAREHOUSE",
        "province": province,
        "city": city,
        "coverage": ["*"],
        "capabilities": ["LARGE_APPLIANCE", "DELIVERY_INSTALL", "DROP_SHIP"],
        "daily_capacity": 100,
        "backlog": 0,
        "handling_hours": 12,
        "carriers": ["EXP", "BIG"],
    }
    data.update(overrides)
    return data


CATALOG = [
    {"sku": "SMALL", "weight_g": 1000, "daily_velocity": "10"},
    {"sku": "HEAVY", "weight_g": 2500, "daily_velocity": "10"},
    {"sku": "AC", "weight_g": 38000, "large_appliance": True, "needs_installation": True, "daily_velocity": "5"},
    {"sku": "GIFT", "weight_g": 500, "daily_velocity": "0"},
    {"sku": "NEW", "weight_g": 1000, "new_model": True, "daily_velocity": "10"},
]


def network(*nodes: dict[str, Any]) -> Network:
    data = {
        "version": "test-1",
        "regions": REGIONS,
        "carriers": [
            {"carrier_id": "EXP", "name": "express", "max_weight_g": 30000, "rates": _rows(1000, 1000, 1)},
            {"carrier_id": "BIG", "name": "bulky", "handles_large": True, "rates": _rows(30000, 10000, 10)},
        ],
        "nodes": list(nodes),
        "catalog": CATALOG,
    }
    return Network.model_validate(data).model_copy(update={"checksum": "0" * 64})


def policy(**weights: str) -> RoutingPolicy:
    """The packaged policy; with `weights`, those weights and every other weight 0."""
    base = load_policy()
    if not weights:
        return base
    zero = {name: Decimal(0) for name in type(base.weights).model_fields}
    values = base.weights.model_copy(update={**zero, **{k: Decimal(v) for k, v in weights.items()}})
    return base.model_copy(update={"weights": values})


def line(line_id: str, sku: str, quantity: int = 1, *, parent: str | None = None, gift: bool = False) -> OrderLine:
    return OrderLine(
        line_id=line_id,
        merchant_sku=sku,
        quantity=quantity,
        unit_price=0 if gift else 10000,
        paid_amount=0 if gift else 10000 * quantity,
        is_gift=gift,
        parent_line_id=parent,
    )


def order(*lines: OrderLine, province: str = "浙江省", city: str = "杭州市", **overrides: Any) -> Any:
    return make_order(
        lines=list(lines) or [line("L1", "SMALL")],
        receiver=Receiver(province=province, city=city, district="区"),
        **overrides,
    )


def stock(**by_node: dict[str, int]) -> dict[tuple[str, str], int]:
    """stock(A={"SMALL": 3}) -> {("SMALL", "A"): 3}"""
    return {(sku, node_id): units for node_id, skus in by_node.items() for sku, units in skus.items()}
