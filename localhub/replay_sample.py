"""The sample export for `omnihub replay`: the demo's day of orders as canonical orders, plus a few B2B and abuse
patterns a rule change is usually about. Deterministic; `events/replay/orders.jsonl` is its output:

    .venv/bin/python -m localhub.replay_sample --out events/replay/orders.jsonl

Receivers are normalised the way the connectors do it (ciphertext placeholders, masked text, region in clear,
the platform's match token); no real personal data.
"""

import argparse
import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from localhub.scenario import CATALOG, Anomaly, PlannedOrder, build_plan
from schemas.order import AfterSaleStatus, Order, OrderLine, OrderStatus, Receiver, make_version
from schemas.timeutil import SHANGHAI

DAY = datetime(2026, 11, 23, tzinfo=SHANGHAI)
PRICES = {sku.code: sku.list_price_fen for sku in CATALOG}
PLANNED = 189  # the demo's day; the patterns below make it 200


def _token(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:24]


def _receiver(channel: str, province: str, city: str, district: str, token: str, head: str) -> Receiver:
    """Douyin leaves the first two characters of the street in clear; Tmall the region ahead of the mask."""
    masked = head[:2] + "******" if channel == "douyin" else f"{province}{city}{district}****"
    return Receiver(
        name_cipher="~n~c~1~",
        name_masked="*",
        phone_cipher="$p$c$1$",
        phone_masked="138****0000",
        address_cipher="#a#c#1#",
        address_masked=masked,
        province=province,
        city=city,
        district=district or None,
        match_token=token,
    )


def _order(
    channel: str,
    order_id: str,
    buyer: str,
    receiver: Receiver,
    lines: Sequence[tuple[str, int]],
    created: datetime,
    *,
    paid_percent: int = 100,
    **extra: Any,
) -> Order:
    order_lines = [
        OrderLine(
            line_id=f"{order_id}-{n}",
            merchant_sku=sku,
            quantity=units,
            unit_price=PRICES[sku],
            paid_amount=PRICES[sku] * units * paid_percent // 100,
        )
        for n, (sku, units) in enumerate(lines, start=1)
    ]
    goods = sum(line.unit_price * line.quantity for line in order_lines)
    paid = sum(line.paid_amount for line in order_lines)
    status = extra.pop("status", OrderStatus.COMPLETED)
    fields: dict[str, Any] = {
        "channel": channel,
        "shop_id": {"douyin": "DY-SHOP-88", "tmall": "TM-SHOP-66"}[channel],
        "channel_order_id": order_id,
        "channel_status": status.value,
        "status": status,
        "version": make_version(created + timedelta(days=3), status),
        "buyer_id": buyer,
        "receiver": receiver,
        "lines": order_lines,
        "goods_amount": goods,
        "discount_amount": goods - paid,
        "paid_amount": paid,
        "created_at": created,
        "paid_at": created + timedelta(minutes=1) if status is not OrderStatus.PENDING_PAYMENT else None,
        "updated_at": created + timedelta(days=3),
    }
    return Order(**(fields | extra))


def _planned(planned: PlannedOrder) -> Order:
    """A planned order as it stands in the orders table a few days later (shipped, or as its anomaly left it)."""
    spec, receiver = planned.spec, planned.spec.receiver
    if planned.channel == "douyin":
        token = _token(receiver.phone)
    else:
        token = _token(receiver.name, receiver.phone, receiver.detail)
    extra: dict[str, Any] = {}
    if planned.anomaly is Anomaly.UNPAID:
        extra["status"] = OrderStatus.PENDING_PAYMENT
    elif planned.anomaly is Anomaly.REFUND_BEFORE_SHIPMENT:
        extra |= {"status": OrderStatus.CLOSED, "after_sale": AfterSaleStatus.REFUNDED}
    return _order(
        planned.channel,
        f"{4_100_000_000_000_000_000 + planned.index}",
        spec.buyer_id,
        _receiver(planned.channel, receiver.province, receiver.city, receiver.district, token, receiver.detail),
        [(line.sku, line.quantity) for line in spec.lines],
        spec.created_at,
        buyer_message=spec.buyer_message or None,
        **extra,
    )


def _patterns() -> list[Order]:
    """What rule and policy changes are usually about: scalping, hot-SKU limits, big first orders, bulk B2B
    purchases (which also need more than one node's stock), and unhappy buyers."""
    at = DAY + timedelta(hours=9)
    one_address = _token("scalper-address")
    hangzhou = ("浙江省", "杭州市", "西湖区")
    shanghai = ("上海市", "上海市", "浦东新区")
    orders = [
        # three accounts sending the hot dishwasher to one address within the afternoon
        *(
            _order(
                "douyin",
                f"49000000000000001{n}",
                f"dy-buyer-scalp-{n}",
                _receiver("douyin", *hangzhou, one_address, "文三路"),
                [("DW-13SET", 1)],
                at + timedelta(hours=n * 2),
                merge_key=f"dy-merge-{one_address}",
            )
            for n in range(3)
        ),
        # one account buying the hot vacuum twice (2 units each) on one day
        *(
            _order(
                "tmall",
                f"42000000000000002{n}",
                "tb-buyer-vacuum-fan",
                _receiver("tmall", *shanghai, _token("vacuum-fan"), ""),
                [("VC-CORDLESS", 2)],
                at + timedelta(hours=3 + n * 5),
            )
            for n in range(2)
        ),
        # a first-time buyer furnishing a flat: five fridges (27 495 yuan)
        _order(
            "tmall",
            "4200000000000000301",
            "tb-buyer-new-flat",
            _receiver("tmall", "江苏省", "南京市", "鼓楼区", _token("new-flat"), ""),
            [("FR-500L-FD", 5)],
            at + timedelta(hours=1),
        ),
        # a company buying 60 kettles with an invoice: more than any node holds, so it ships from two
        _order(
            "tmall",
            "4200000000000000302",
            "tb-buyer-company",
            _receiver("tmall", *hangzhou, _token("company"), ""),
            [("KT-17L", 60)],
            at + timedelta(hours=2),
            invoice_requested=True,
            buyer_message="公司采购，需要开发票",
        ),
        # a hotel that bought a kettle in the morning fits out its rooms in the afternoon: seven cabinet air
        # conditioners at the B2B price (20 % off), more than any one node holds
        _order(
            "douyin",
            "4900000000000000306",
            "dy-buyer-hotel",
            _receiver("douyin", *shanghai, _token("hotel"), "世纪"),
            [("KT-17L", 2)],
            at - timedelta(hours=1),
        ),
        _order(
            "douyin",
            "4900000000000000303",
            "dy-buyer-hotel",
            _receiver("douyin", *shanghai, _token("hotel"), "世纪"),
            [("AC-3P-CABINET", 7)],
            at + timedelta(hours=4),
            paid_percent=80,
        ),
        # an unhappy, hurried buyer
        _order(
            "douyin",
            "4900000000000000304",
            "dy-buyer-unhappy",
            _receiver("douyin", "广东省", "深圳市", "南山区", _token("unhappy"), "科技"),
            [("RC-4L-IH", 1)],
            at + timedelta(hours=6),
            buyer_message="急用，质量不好就投诉",
        ),
        # a new-model cabinet air conditioner for Chengdu (a store-free region, bulky, new model)
        _order(
            "tmall",
            "4200000000000000305",
            "tb-buyer-chengdu",
            _receiver("tmall", "四川省", "成都市", "武侯区", _token("chengdu"), ""),
            [("AC-3P-CABINET", 1), ("KT-17L", 1)],
            at + timedelta(hours=7),
        ),
    ]
    return orders


def sample_orders(seed: int = 7) -> list[Order]:
    """200 canonical orders of 2026-11-23, ordered by creation time."""
    plan = build_plan(PLANNED, seed, DAY)
    orders = [_planned(planned) for planned in plan.orders] + _patterns()
    return sorted(orders, key=lambda order: (order.created_at, order.order_key))


def to_jsonl(orders: Sequence[Order]) -> str:
    return "".join(order.model_dump_json() + "\n" for order in orders)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="write the sample orders export for omnihub replay")
    parser.add_argument("--out", default="events/replay/orders.jsonl", help="JSON Lines file to write")
    parser.add_argument("--seed", type=int, default=7, help="seed of the demo day (default 7)")
    args = parser.parse_args(argv)
    Path(args.out).write_text(to_jsonl(sample_orders(args.seed)), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
