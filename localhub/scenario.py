"""A realistic day of appliance orders across channels, with planted anomalies — deterministic per seed.

Pure data: which orders exist, on which channel, what happens to them, and what the hub should end with.
The demo (localhub.demo) plays the plan through the platform simulators.
"""

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum

from connectors.sdk.simulator import LineSpec, OrderSpec, ReceiverSpec
from schemas.timeutil import SHANGHAI


@dataclass(frozen=True)
class Sku:
    code: str
    title: str
    list_price_fen: int


CATALOG: tuple[Sku, ...] = (
    Sku("AC-1P-INV", "变频空调 1匹 壁挂式", 299_900),
    Sku("AC-3P-CABINET", "新一级能效 3匹 立柜式空调", 799_900),
    Sku("FR-500L-FD", "十字对开门冰箱 500L", 549_900),
    Sku("WM-10KG-DD", "直驱滚筒洗衣机 10公斤", 329_900),
    Sku("DW-13SET", "嵌入式洗碗机 13套", 459_900),
    Sku("KT-17L", "电热水壶 1.7L", 19_900),
    Sku("RC-4L-IH", "IH电饭煲 4L", 69_900),
    Sku("VC-CORDLESS", "无线吸尘器", 199_900),
    Sku("WP-RO-600G", "RO反渗透净水器 600G", 259_900),
)
SOLD_OUT_SKU = "AC-3P-CABINET"
# Stocked only at the Wuhan warehouse: an order for it and an air conditioner to Zhejiang ships in two parcels.
SPLIT_SKU = "WP-RO-600G"
SPLIT_NODE = "WH-WH"
SPLIT_PARTNER_SKU = "FR-500L-FD"  # the demo stocks it everywhere but at SPLIT_NODE


@dataclass(frozen=True)
class Node:
    node_id: str
    name: str
    province: str
    city: str
    priority: int


NODES: tuple[Node, ...] = (
    Node("WH-HZ", "杭州中心仓", "浙江省", "杭州市", 1),
    Node("WH-GZ", "广州区域仓", "广东省", "广州市", 2),
    Node("WH-BJ", "北京区域仓", "北京市", "北京市", 3),
    Node("WH-CD", "成都区域仓", "四川省", "成都市", 4),
)
STOCK_PER_NODE = 400

REGIONS: tuple[tuple[str, str, str], ...] = (
    ("浙江省", "杭州市", "西湖区"),
    ("浙江省", "宁波市", "鄞州区"),
    ("广东省", "广州市", "天河区"),
    ("广东省", "深圳市", "南山区"),
    ("北京市", "北京市", "朝阳区"),
    ("上海市", "上海市", "浦东新区"),
    ("四川省", "成都市", "武侯区"),
    ("江苏省", "南京市", "鼓楼区"),
    ("湖北省", "武汉市", "洪山区"),
)
SURNAMES = "王李张刘陈杨黄赵吴周"
STREETS = ("文三路", "中山路", "人民路", "解放路")
GIVEN = ("伟", "芳", "娜", "敏", "静", "磊", "洋", "艳", "勇", "军")
BLACKLISTED_BUYERS = {"douyin": "dy-buyer-blacklisted-0001", "tmall": "tb-buyer-blacklisted-0001"}


class Anomaly(StrEnum):
    NONE = "normal"
    DUPLICATE_DELIVERY = "duplicated delivery (x3)"
    OUT_OF_ORDER = "out-of-order (stale) update"
    REFUND_BEFORE_SHIPMENT = "refund before shipment"
    SOLD_OUT = "sold-out SKU"
    BLACKLISTED = "blacklisted buyer"
    UNPAID = "never paid"
    INCOMPLETE_ADDRESS = "incomplete address"
    REVIEW_APPROVED = "held for review, approved via the API"
    SPLIT = "split over two warehouses"
    MERGED_FIRST = "first of two orders to one receiver"
    MERGED = "merged into the same receiver's earlier order"


EXPECTED_STATE: dict[Anomaly, str] = {
    Anomaly.NONE: "DONE",
    Anomaly.DUPLICATE_DELIVERY: "DONE",
    Anomaly.OUT_OF_ORDER: "DONE",
    Anomaly.REFUND_BEFORE_SHIPMENT: "CANCELLED",
    Anomaly.SOLD_OUT: "BACKORDERED",
    Anomaly.BLACKLISTED: "REJECTED",
    Anomaly.UNPAID: "PENDING_PAYMENT",
    Anomaly.INCOMPLETE_ADDRESS: "HELD",
    Anomaly.REVIEW_APPROVED: "DONE",
    Anomaly.SPLIT: "DONE",
    Anomaly.MERGED_FIRST: "DONE",
    Anomaly.MERGED: "DONE",
}


@dataclass(frozen=True)
class PlannedOrder:
    index: int
    channel: str
    spec: OrderSpec
    anomaly: Anomaly = Anomaly.NONE

    @property
    def expected_state(self) -> str:
        return EXPECTED_STATE[self.anomaly]


@dataclass
class Plan:
    orders: list[PlannedOrder] = field(default_factory=list)
    forged_deliveries: int = 1


SHOPS = {"douyin": "DY-SHOP-88", "tmall": "TM-SHOP-66"}
CHANNELS = ("douyin", "tmall")

# The anomalies each channel gets, beyond its share of normal orders. Douyin and Tmall carry the planted cases
# whose expected end state depends on platform-specific data (blacklisted buyers are listed per channel in the
# audit rules; stale reads need the simulator's serve_stale_once); every other channel gets the cases any
# platform produces. Webhook channels also get a duplicated delivery.
CHANNEL_ANOMALIES: dict[str, tuple[Anomaly, ...]] = {
    "douyin": (
        Anomaly.DUPLICATE_DELIVERY,
        Anomaly.DUPLICATE_DELIVERY,
        Anomaly.OUT_OF_ORDER,
        Anomaly.REFUND_BEFORE_SHIPMENT,
        Anomaly.SOLD_OUT,
        Anomaly.BLACKLISTED,
    ),
    "tmall": (
        Anomaly.OUT_OF_ORDER,
        Anomaly.REFUND_BEFORE_SHIPMENT,
        Anomaly.SOLD_OUT,
        Anomaly.BLACKLISTED,
        Anomaly.UNPAID,
        Anomaly.INCOMPLETE_ADDRESS,
        Anomaly.REVIEW_APPROVED,
        Anomaly.SPLIT,
    ),
    # Pinduoduo gives a receiver key the hub may merge on (receiver ciphertext is not comparable).
    "pinduoduo": (Anomaly.SOLD_OUT, Anomaly.REFUND_BEFORE_SHIPMENT, Anomaly.MERGED),
}
GENERIC_ANOMALIES = (Anomaly.SOLD_OUT, Anomaly.REFUND_BEFORE_SHIPMENT)


def _anomalies_for(count: int, channels: Sequence[str], webhook_channels: frozenset[str]) -> dict[int, Anomaly]:
    """Spread the planted anomalies over the day; each lands on an order of its own channel."""
    wanted: list[tuple[Anomaly, str]] = []
    for channel in channels:
        kinds = CHANNEL_ANOMALIES.get(channel)
        if kinds is None:
            kinds = GENERIC_ANOMALIES + ((Anomaly.DUPLICATE_DELIVERY,) if channel in webhook_channels else ())
        wanted += [(kind, channel) for kind in kinds]
    wanted.sort(key=lambda item: list(Anomaly).index(item[0]))
    if count < len(wanted) * 2:
        wanted = wanted[: max(count // 2, 0)]
    planted: dict[int, Anomaly] = {}
    per_channel = {channel: [i for i in range(count) if channels[i % len(channels)] == channel] for channel in channels}
    for n, (anomaly, channel) in enumerate(wanted):
        slots = [i for i in per_channel[channel] if i not in planted]
        if slots:
            # spread: the n-th anomaly of the day sits about n/len(wanted) of the way through the channel's orders
            planted[slots[min(len(slots) - 1, (n * len(slots)) // max(len(wanted), 1))]] = anomaly
    return planted


def build_plan(
    count: int,
    seed: int,
    day: datetime,
    *,
    channels: Sequence[str] = CHANNELS,
    shops: Mapping[str, str] = SHOPS,
    webhook_channels: frozenset[str] = frozenset({"douyin"}),
    spread_seconds: int = 86_000,
) -> Plan:
    """`count` orders round-robin over `channels`, created over `spread_seconds` from the start of `day`."""
    rng = random.Random(seed)
    planted = _anomalies_for(count, channels, webhook_channels)
    plan = Plan()
    start = day.replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=SHANGHAI) if spread_seconds >= 86_000 else day
    regular = [s for s in CATALOG if s.code not in (SOLD_OUT_SKU, SPLIT_SKU)]
    by_code = {s.code: s for s in CATALOG}
    for index in range(count):
        channel = channels[index % len(channels)]
        anomaly = planted.get(index, Anomaly.NONE)
        skus = rng.sample(regular, k=rng.choice((1, 1, 1, 2, 3)))
        if anomaly is Anomaly.SOLD_OUT:
            skus = [by_code[SOLD_OUT_SKU]]
        elif anomaly is Anomaly.SPLIT:
            skus = [by_code[SPLIT_PARTNER_SKU], by_code[SPLIT_SKU]]
        elif anomaly is Anomaly.MERGED:
            skus = [by_code["KT-17L"]]
        lines = tuple(
            LineSpec(
                sku=sku.code,
                quantity=rng.choice((1, 1, 1, 2)),
                unit_price_fen=sku.list_price_fen,
                paid_fen=None,
                title=sku.title,
            )
            for sku in skus
        )
        planted_region = anomaly in (Anomaly.SPLIT, Anomaly.MERGED)
        province, city, district = REGIONS[0] if planted_region else rng.choice(REGIONS)
        if anomaly in (Anomaly.INCOMPLETE_ADDRESS, Anomaly.REVIEW_APPROVED):
            district = ""
        receiver = ReceiverSpec(
            name=rng.choice(SURNAMES) + rng.choice(GIVEN),
            phone=f"1{rng.choice('3578')}{rng.randrange(10**9):09d}",
            province=province,
            city=city,
            district=district,
            detail=f"{rng.choice(STREETS)}{rng.randrange(1, 999)}号{rng.randrange(1, 30)}幢",
        )
        buyer = (
            BLACKLISTED_BUYERS[channel]
            if anomaly is Anomaly.BLACKLISTED
            else f"{channel[:2]}-buyer-{rng.randrange(10**8):08d}"
        )
        created = start + timedelta(seconds=int(index * spread_seconds / max(count, 1)) + rng.randrange(0, 60))
        spec = OrderSpec(
            shop_id=shops[channel],
            buyer_id=buyer,
            lines=lines,
            receiver=receiver,
            created_at=created,
            freight_fen=0,
            buyer_message=rng.choice(("", "", "请尽快发货", "工作日送货")),
        )
        plan.orders.append(PlannedOrder(index=index, channel=channel, spec=spec, anomaly=anomaly))
    _pair_merges(plan, by_code)
    return plan


def _pair_merges(plan: Plan, by_code: Mapping[str, Sku]) -> None:
    """The buyer of a planted merge had ordered an air conditioner to the same receiver shortly before."""
    for second in [p for p in plan.orders if p.anomaly is Anomaly.MERGED]:
        earlier = [p for p in plan.orders if p.index < second.index and p.channel == second.channel]
        first = next((p for p in reversed(earlier) if p.anomaly is Anomaly.NONE), None)
        if first is None:
            continue
        unit = by_code["AC-1P-INV"]
        line = LineSpec(sku=unit.code, quantity=1, unit_price_fen=unit.list_price_fen, title=unit.title)
        spec = replace(first.spec, buyer_id=second.spec.buyer_id, receiver=second.spec.receiver, lines=(line,))
        plan.orders[first.index] = replace(first, spec=spec, anomaly=Anomaly.MERGED_FIRST)
