"""Money and quantities: price far below list, zero-priced lines, fees that do not add up, big or odd orders."""

from decimal import Decimal
from typing import Literal

from pydantic import Field

from functions.workflow.logic.audit.base import RuleBase
from functions.workflow.logic.audit.facts import OrderFacts

_RATIO = Decimal("0.0001")


class PriceRatioRule(RuleBase):
    kind: Literal["paid_below_list"]
    min_ratio: Decimal = Field(gt=0, le=1, description="Paid goods amount / list goods amount below this is a hit")

    def evaluate(self, facts: OrderFacts) -> str | None:
        lines = [line for line in facts.order.lines if not line.is_gift]
        listed = sum(line.unit_price * line.quantity for line in lines)
        paid = sum(line.paid_amount for line in lines)
        if listed > 0 and Decimal(paid) < Decimal(listed) * self.min_ratio:
            ratio = (Decimal(paid) / Decimal(listed)).quantize(_RATIO)
            return f"paid {paid} fen of {listed} fen list ({ratio} < {self.min_ratio})"
        return None


class ZeroPriceLineRule(RuleBase):
    """A line that is neither a gift nor a kit component, yet paid nothing (price error or 0元购 abuse)."""

    kind: Literal["zero_price_line"]

    def evaluate(self, facts: OrderFacts) -> str | None:
        free = sorted(
            line.merchant_sku
            for line in facts.order.lines
            if line.paid_amount == 0 and not line.is_gift and line.parent_line_id is None
        )
        return f"non-gift line(s) paid 0 fen: {', '.join(free)}" if free else None


class GiftOnlyRule(RuleBase):
    """Every line is a gift: nothing was bought, something would ship."""

    kind: Literal["gift_only"]

    def evaluate(self, facts: OrderFacts) -> str | None:
        lines = facts.order.lines
        return f"all {len(lines)} line(s) are gifts" if all(line.is_gift for line in lines) else None


class FeeMismatchRule(RuleBase):
    """goods − discount + freight must equal what was paid (plus a presale balance still owed)."""

    kind: Literal["fee_mismatch"]
    tolerance_fen: int = Field(default=0, ge=0)

    def evaluate(self, facts: OrderFacts) -> str | None:
        order = facts.order
        expected = order.goods_amount - order.discount_amount + order.freight_amount
        charged = order.paid_amount + (order.presale_balance_due if order.is_presale else 0)
        if abs(expected - charged) <= self.tolerance_fen:
            return None
        return (
            f"goods {order.goods_amount} - discount {order.discount_amount} + freight {order.freight_amount} "
            f"= {expected} fen, but {charged} fen charged"
        )


class LargeOrderRule(RuleBase):
    """Paid above a threshold, optionally only when the order also asks for an invoice or is cash on delivery."""

    kind: Literal["large_order"]
    above_fen: int = Field(ge=0)
    only_if: tuple[Literal["invoice_requested", "is_cod"], ...] = ()

    def evaluate(self, facts: OrderFacts) -> str | None:
        order = facts.order
        if order.paid_amount <= self.above_fen or not all(getattr(order, flag) for flag in self.only_if):
            return None
        condition = "".join(f", {flag}" for flag in self.only_if)
        return f"paid {order.paid_amount} fen > {self.above_fen} fen{condition}"


class CouponStackingRule(RuleBase):
    kind: Literal["coupon_stacking"]
    max_coupons: int = Field(ge=0)

    def evaluate(self, facts: OrderFacts) -> str | None:
        count = len(set(facts.order.coupon_ids))
        return f"{count} coupons on one order (policy allows {self.max_coupons})" if count > self.max_coupons else None


class DiscountShareRule(RuleBase):
    kind: Literal["discount_share"]
    max_share: Decimal = Field(gt=0, le=1, description="discount / goods amount above this is a hit")

    def evaluate(self, facts: OrderFacts) -> str | None:
        order = facts.order
        if order.goods_amount <= 0:
            return None
        share = Decimal(order.discount_amount) / Decimal(order.goods_amount)
        if share <= self.max_share:
            return None
        return f"discount {order.discount_amount} fen is {share.quantize(_RATIO)} of goods (> {self.max_share})"


class QuantityLimitRule(RuleBase):
    """Units of one SKU in one order above a limit (all SKUs, or only the hot-SKU list)."""

    kind: Literal["quantity_limit"]
    max_per_sku: int = Field(gt=0)
    hot_only: bool = False

    def evaluate(self, facts: OrderFacts) -> str | None:
        over = sorted(
            f"{sku} x{quantity}"
            for sku, quantity in facts.skus.items()
            if quantity > self.max_per_sku and (not self.hot_only or sku in facts.hot_skus)
        )
        return f"{', '.join(over)} (limit {self.max_per_sku} per order)" if over else None
