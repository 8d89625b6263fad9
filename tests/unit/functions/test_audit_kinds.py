"""Every rule of the packaged rules file that looks at one order alone: an order it hits and a close one it misses."""

from collections.abc import Callable
from typing import Any

import pytest

from functions.workflow.logic.audit import DEFAULT_RULES_FILE, audit, load_rules
from functions.workflow.logic.audit.base import WindowRule
from schemas.events import AuditOutcome
from schemas.order import AfterSaleStatus, Order, OrderLine, OrderStatus, Receiver
from tests.unit.core.factories import make_order

RULES = load_rules(str(DEFAULT_RULES_FILE))


def hit_ids(order: Order) -> list[str]:
    return [hit.rule_id for hit in audit(order, RULES).hits]


def line(sku: str = "AC-1P-INV", quantity: int = 1, unit: int = 399900, paid: int | None = None, **extra: Any):
    return OrderLine(
        line_id=extra.pop("line_id", f"l-{sku}-{quantity}-{unit}"),
        merchant_sku=sku,
        quantity=quantity,
        unit_price=unit,
        paid_amount=unit * quantity if paid is None else paid,
        **extra,
    )


def priced(*lines: OrderLine, discount: int | None = None, freight: int = 0, **overrides: Any) -> Order:
    """An order whose amounts add up: goods = list prices, paid = goods - discount + freight."""
    goods = sum(item.unit_price * item.quantity for item in lines)
    discount = goods - sum(item.paid_amount for item in lines) if discount is None else discount
    return make_order(
        lines=list(lines),
        goods_amount=goods,
        discount_amount=discount,
        freight_amount=freight,
        paid_amount=goods - discount + freight,
        **overrides,
    )


def receiver(**changes: Any):
    return make_order().receiver.model_copy(update=changes)


def at_region(province: str, city: str, district: str = "某区", **extra: Any) -> Order:
    return make_order(receiver=receiver(province=province, city=city, district=district), **extra)


def masked(text: str, **changes: Any) -> Order:
    return make_order(receiver=receiver(address_masked=text, **changes))


Case = tuple[str, Callable[[], Order], Callable[[], Order]]

CASES: list[Case] = [
    # platform status, after-sale, presale, seller flag
    ("platform-status-not-shippable", lambda: make_order(status=OrderStatus.CLOSED), lambda: make_order()),
    (
        "platform-forbids-shipment",
        lambda: make_order(status=OrderStatus.PAID_FORBID_SHIPMENT),
        lambda: make_order(status=OrderStatus.PAID),
    ),
    (
        "after-sale-refund-pending",
        lambda: priced(line(after_sale=AfterSaleStatus.IN_PROGRESS)),
        lambda: priced(line(after_sale=AfterSaleStatus.REJECTED)),
    ),
    (
        "presale-balance-unpaid",
        lambda: make_order(is_presale=True, presale_balance_due=50000, paid_amount=319900),
        lambda: make_order(is_presale=True, presale_balance_due=0),
    ),
    ("seller-flag-hold", lambda: make_order(seller_flag="RED"), lambda: make_order(seller_flag="3")),
    # blacklists (hashes of channel:value)
    ("buyer-blacklisted", lambda: make_order(buyer_id="blacklisted-buyer"), lambda: make_order(buyer_id="b-2")),
    (
        "receiver-blacklisted",
        lambda: make_order(receiver=receiver(match_token="blacklisted-receiver-token")),
        lambda: make_order(receiver=receiver(match_token="someone-else")),
    ),
    (
        "address-blacklisted",
        lambda: make_order(merge_key="blacklisted-address-key"),
        lambda: make_order(channel="kuaishou", merge_key="blacklisted-address-key"),  # listed for douyin/tmall only
    ),
    (
        "device-blacklisted",
        lambda: make_order(channel="tmall", device_id="blacklisted-device"),
        lambda: make_order(channel="tmall", device_id="device-ok"),
    ),
    # receiver and address
    ("address-incomplete", lambda: make_order(receiver=receiver(district=" ")), lambda: make_order()),
    (
        "receiver-contact-missing",
        lambda: make_order(receiver=receiver(phone_cipher=None, phone_masked=None)),
        lambda: make_order(receiver=receiver(phone_cipher=None)),  # the masked phone is enough (OAID platforms)
    ),
    (
        "receiver-undecryptable",
        lambda: make_order(receiver=receiver(decryptable=False)),
        lambda: make_order(receiver=receiver(decryptable=True)),
    ),
    ("address-province-mismatch", lambda: masked("广东省广州市天河区****"), lambda: masked("浙江省杭州市西湖区****")),
    ("address-province-mismatch", lambda: masked("上海市 浦东新区****"), lambda: masked("北京路88号****")),
    (
        "address-unreachable-region",
        lambda: at_region("香港特别行政区", "香港岛"),
        lambda: at_region("广东省", "深圳市"),
    ),
    (
        "address-remote-region",
        lambda: at_region("新疆维吾尔自治区", "喀什地区"),
        lambda: at_region("新疆维吾尔自治区", "乌鲁木齐市"),
    ),
    (
        "cod-to-remote-region",
        lambda: at_region("西藏", "拉萨市", is_cod=True),  # the province without its suffix still matches
        lambda: at_region("西藏自治区", "拉萨市", is_cod=False),
    ),
    ("address-parcel-station", lambda: masked("浙江省杭州市西湖区菜鸟驿站****"), lambda: masked("浙江省杭州市****")),
    (
        "address-parcel-station",
        lambda: make_order(receiver=receiver(town="丰巢快递柜")),
        lambda: make_order(receiver=receiver(town="文新街道")),
    ),
    (
        "address-forwarding-warehouse",
        lambda: masked("浙江省杭州市西湖区集运中心****"),
        lambda: masked("浙江省杭州市西湖区文三路****"),
    ),
    ("address-restricted-site", lambda: masked("浙江省杭州市西湖区某监狱****"), lambda: masked("浙江省杭州市****")),
    # money
    (
        "paid-far-below-list",
        lambda: priced(line(quantity=2, unit=10000, paid=5999)),
        lambda: priced(line(quantity=2, unit=10000, paid=6000)),
    ),
    (
        "zero-price-non-gift-line",
        lambda: priced(line(), line("KT-17L", unit=19900, paid=0)),
        lambda: priced(
            line(line_id="main"),
            line("KT-17L", unit=19900, paid=0, is_gift=True, parent_line_id="main"),
            line("FILTER", unit=5000, paid=0, parent_line_id="main"),  # a kit component priced into its main line
        ),
    ),
    (
        "gift-only-order",
        lambda: priced(line("KT-17L", unit=19900, paid=0, is_gift=True)),
        lambda: priced(line(line_id="main"), line("KT-17L", unit=19900, paid=0, is_gift=True)),
    ),
    (
        "fee-mismatch",
        lambda: make_order(goods_amount=399900, discount_amount=0, paid_amount=369900),
        lambda: make_order(goods_amount=399900, discount_amount=30000, freight_amount=100, paid_amount=369900),
    ),
    (
        "fee-mismatch",
        lambda: make_order(is_presale=True, presale_balance_due=40000, paid_amount=319900),
        lambda: make_order(is_presale=True, presale_balance_due=50000, paid_amount=319900),
    ),
    ("large-order", lambda: priced(line(unit=5_000_001)), lambda: priced(line(unit=5_000_000))),
    (
        "invoice-on-b2b-size-order",
        lambda: priced(line(unit=2_000_001), invoice_requested=True),
        lambda: priced(line(unit=2_000_001), invoice_requested=False),
    ),
    (
        "cod-over-limit",
        lambda: priced(line(unit=500_001), is_cod=True),
        lambda: priced(line(unit=500_000), is_cod=True),
    ),
    (
        "discount-share-too-high",
        lambda: priced(line(unit=10000), discount=5001),
        lambda: priced(line(unit=10000), discount=5000),
    ),
    (
        "coupon-stacking",
        lambda: make_order(coupon_ids=["c1", "c2", "c3", "c4"]),
        lambda: make_order(coupon_ids=["c1", "c2", "c3", "c3"]),  # the same coupon twice counts once
    ),
    # quantities
    (
        "quantity-over-per-order-limit",
        lambda: priced(line("KT-17L", 6, 19900, line_id="a"), line("KT-17L", 5, 19900, line_id="b")),
        lambda: priced(line("KT-17L", 5, 19900, line_id="a"), line("KT-17L", 5, 19900, line_id="b")),
    ),
    (
        "hot-sku-quantity-over-limit",
        lambda: priced(line("VC-CORDLESS", 3, 199900)),
        lambda: priced(line("AC-1P-INV", 3, 299900)),  # not on the hot list
    ),
    # messages and memos
    ("buyer-asks-address-change", lambda: make_order(buyer_message="麻烦改地址到公司"), lambda: make_order()),
    (
        "seller-memo-address-change",
        lambda: make_order(seller_memo="客户要求换地址"),
        lambda: make_order(buyer_message="客户要求换地址"),  # the rule reads the memo only
    ),
    (
        "buyer-asks-not-to-ship",
        lambda: make_order(buyer_message="先别发，等我通知"),
        lambda: make_order(buyer_message="请尽快发货"),
    ),
    ("seller-memo-hold", lambda: make_order(seller_memo="HOLD until Monday"), lambda: make_order(seller_memo="gift")),
    ("complaint-threat-in-message", lambda: make_order(buyer_message="不发货就投诉"), lambda: make_order()),
    ("buyer-asks-invoice", lambda: make_order(buyer_message="需要开票"), lambda: make_order(buyer_message="谢谢")),
    ("buyer-message-urgent", lambda: make_order(buyer_message="急用"), lambda: make_order(buyer_message="请尽快发货")),
]


@pytest.mark.parametrize(("rule_id", "hitting", "missing"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_rule_hits_and_misses(rule_id: str, hitting: Callable[[], Order], missing: Callable[[], Order]):
    hit, miss = hitting(), missing()

    assert rule_id in hit_ids(hit)
    assert rule_id not in hit_ids(miss)


def test_every_rule_that_needs_no_history_has_a_case():
    single_order_rules = {rule.id for rule in RULES.rules if not isinstance(rule, WindowRule)}
    assert single_order_rules <= {case[0] for case in CASES}


def test_a_case_hits_only_its_own_rule_where_the_order_is_otherwise_clean():
    alone = {
        "receiver-undecryptable": make_order(receiver=receiver(decryptable=False)),
        "address-province-mismatch": masked("广东省广州市天河区****"),
        "coupon-stacking": make_order(coupon_ids=["c1", "c2", "c3", "c4"]),
        "seller-flag-hold": make_order(seller_flag="1"),
    }
    for rule_id, order in alone.items():
        assert hit_ids(order) == [rule_id]


def test_undecryptable_receiver_is_held_for_review_at_zero_score():
    decision = audit(make_order(receiver=receiver(decryptable=False)), RULES)
    assert (decision.score, decision.outcome) == (0, AuditOutcome.REVIEW)
    assert [h.rule_id for h in decision.hits] == ["receiver-undecryptable"]


def test_hit_reasons_name_the_keyword_but_never_copy_the_message():
    message = "改地址：文三路1号 张三 13800138000"
    [hit] = audit(make_order(buyer_message=message), RULES).hits

    assert hit.rule_id == "buyer-asks-address-change"
    assert "'改地址'" in hit.reason and "buyer_message" in hit.reason
    assert "13800138000" not in hit.reason and "张三" not in hit.reason


def test_blacklist_hits_never_carry_the_listed_value():
    decision = audit(make_order(device_id="blacklisted-device", merge_key="blacklisted-address-key"), RULES)
    assert {h.rule_id for h in decision.hits} == {"address-blacklisted", "device-blacklisted"}
    assert decision.outcome == AuditOutcome.REJECT
    assert all("blacklisted-" not in hit.reason for hit in decision.hits)


def test_fee_mismatch_reports_the_arithmetic():
    [hit] = audit(make_order(goods_amount=399900, discount_amount=0, paid_amount=369900), RULES).hits
    assert hit.rule_id == "fee-mismatch"
    assert "= 399900 fen, but 369900 fen charged" in hit.reason


def test_platform_printed_waybills_need_only_the_region():
    # WeChat 小店 and Xiaohongshu print the waybill from their own copy of the receiver: the hub holds none of it
    bare = Receiver(province="浙江省", city="杭州市", district="西湖区")
    rules = load_rules(str(DEFAULT_RULES_FILE))
    for channel in ("wechat_shop", "xiaohongshu"):
        assert audit(make_order(channel=channel, receiver=bare), rules).outcome is AuditOutcome.PASS
    held = audit(make_order(channel="douyin", receiver=bare), rules)
    assert held.outcome is AuditOutcome.REVIEW
    assert {"address-incomplete", "receiver-contact-missing"} <= {hit.rule_id for hit in held.hits}
    no_region = Receiver(province="浙江省", city="杭州市")
    assert audit(make_order(channel="xiaohongshu", receiver=no_region), rules).outcome is AuditOutcome.REVIEW
