"""A realistic day of appliance orders across channels, with planted anomalies — deterministic per seed.

Pure data: which orders exist, on which channel, what happens to them, and what the hub should end with.
The demo (localhub.demo) plays the plan through the platform simulators.
"""

import random
from dataclasses import dataclass, field
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
)
SOLD_OUT_SKU = "AC-3P-CABINET"


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


EXPECTED_STATE: dict[Anomaly, str] = {
    Anomaly.NONE: "DONE",
    Anomaly.DUPLICATE_DELIVERY: "DONE",
    Anomaly.OUT_OF_ORDER: "DONE",
    Anomaly.REFUND_BEFORE_SHIPMENT: "CANCELLED",
    Anomaly.SOLD_OUT: "BACKORDERED",
    Anomaly.BLACKLISTED: "REJECTED",
    Anomaly.UNPAID: "PENDING_PAYMENT",
    Anomaly.INCOMPLETE_ADDRESS: "HELD",
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


def _anomalies_for(count: int) -> dict[int, Anomaly]:
    """Spread the planted anomalies over the day, each channel getting its share."""
    wanted = [
        (Anomaly.DUPLICATE_DELIVERY, "douyin"),
        (Anomaly.DUPLICATE_DELIVERY, "douyin"),
        (Anomaly.OUT_OF_ORDER, "douyin"),
        (Anomaly.OUT_OF_ORDER, "tmall"),
        (Anomaly.REFUND_BEFORE_SHIPMENT, "douyin"),
        (Anomaly.REFUND_BEFORE_SHIPMENT, "tmall"),
        (Anomaly.SOLD_OUT, "douyin"),
        (Anomaly.SOLD_OUT, "tmall"),
        (Anomaly.BLACKLISTED, "douyin"),
        (Anomaly.BLACKLISTED, "tmall"),
        (Anomaly.UNPAID, "tmall"),
        (Anomaly.INCOMPLETE_ADDRESS, "tmall"),
    ]
    planted: dict[int, Anomaly] = {}
    if count < len(wanted) * 2:
        wanted = wanted[: max(count // 2, 0)]
    step = count // (len(wanted) + 1) if wanted else 0
    for n, (anomaly, channel) in enumerate(wanted, start=1):
        index = n * step
        if CHANNELS[index % 2] != channel:
            index += 1
        planted[index] = anomaly
    return planted


def build_plan(count: int, seed: int, day: datetime) -> Plan:
    rng = random.Random(seed)
    planted = _anomalies_for(count)
    plan = Plan()
    start = day.replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=SHANGHAI)
    regular = [s for s in CATALOG if s.code != SOLD_OUT_SKU]
    for index in range(count):
        channel = CHANNELS[index % 2]
        anomaly = planted.get(index, Anomaly.NONE)
        skus = rng.sample(regular, k=rng.choice((1, 1, 1, 2, 3)))
        if anomaly is Anomaly.SOLD_OUT:
            skus = [next(s for s in CATALOG if s.code == SOLD_OUT_SKU)]
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
        province, city, district = rng.choice(REGIONS)
        if anomaly is Anomaly.INCOMPLETE_ADDRESS:
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
        created = start + timedelta(seconds=int(index * 86_000 / max(count, 1)) + rng.randrange(0, 60))
        spec = OrderSpec(
            shop_id=SHOPS[channel],
            buyer_id=buyer,
            lines=lines,
            receiver=receiver,
            created_at=created,
            freight_fen=0,
            buyer_message=rng.choice(("", "", "请尽快发货", "工作日送货")),
        )
        plan.orders.append(PlannedOrder(index=index, channel=channel, spec=spec, anomaly=anomaly))
    return plan
