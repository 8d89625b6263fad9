"""Property tests of the allocation invariants over random policies, listings and stock."""

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from functions.stock_sync.channel_allocation import Target, allocate, apportion
from functions.stock_sync.rules import AllocationPolicy, ChannelRule

CHANNELS = ("douyin", "tmall", "jd", "kuaishou")
SHOPS = ("s1", "s2")

rules_strategy = st.builds(
    ChannelRule,
    exclusive=st.integers(0, 30),
    share_percent=st.decimals(0, 100, places=2),
    floor=st.integers(0, 5),
    cap=st.none() | st.integers(5, 60),
    priority=st.integers(0, 3),
)
keys = st.sampled_from(CHANNELS) | st.builds(lambda c, s: f"{c}:{s}", st.sampled_from(CHANNELS), st.sampled_from(SHOPS))
targets_strategy = st.sets(st.builds(Target, st.sampled_from(CHANNELS), st.sampled_from(SHOPS)), max_size=8)


@st.composite
def policies(draw: st.DrawFn) -> AllocationPolicy:
    oversell = draw(st.booleans())
    channels = draw(st.dictionaries(keys, rules_strategy, max_size=6))
    if not oversell:  # the validator refuses named percentages over 100 without oversell
        total = sum((rule.share_percent for rule in channels.values()), Decimal(0))
        if total > 100:
            channels = {
                k: r.model_copy(update={"share_percent": r.share_percent * 100 / total}) for k, r in channels.items()
            }
            channels = {
                k: r.model_copy(
                    update={"share_percent": r.share_percent.quantize(Decimal("0.01"), rounding="ROUND_FLOOR")}
                )
                for k, r in channels.items()
            }
    return AllocationPolicy(
        safety_stock=draw(st.integers(0, 20)),
        allow_oversell=oversell,
        default=draw(rules_strategy),
        channels=channels,
    )


@settings(max_examples=400, deadline=None)
@given(available=st.integers(-5, 500), policy=policies(), targets=targets_strategy)
def test_figures_are_non_negative_integers_within_the_sellable_units(
    available: int, policy: AllocationPolicy, targets: set[Target]
):
    figures = allocate(available, policy, targets)
    sellable = max(0, available - policy.safety_stock)

    assert set(figures) == targets
    assert all(isinstance(f, int) and 0 <= f <= sellable for f in figures.values())
    if not policy.allow_oversell:
        assert sum(figures.values()) <= sellable


@settings(max_examples=300, deadline=None)
@given(available=st.integers(0, 500), policy=policies(), targets=targets_strategy)
def test_caps_and_floors_hold_for_every_listing(available: int, policy: AllocationPolicy, targets: set[Target]):
    for target, figure in allocate(available, policy, targets).items():
        key = target.key if target.key in policy.channels else target.channel
        rule = policy.channels.get(key, policy.default)
        assert figure == 0 or figure >= rule.floor
        assert rule.cap is None or figure <= rule.cap


@settings(max_examples=300, deadline=None)
@given(available=st.integers(0, 500), policy=policies(), targets=targets_strategy)
def test_exclusive_units_are_given_before_anything_is_shared(
    available: int, policy: AllocationPolicy, targets: set[Target]
):
    plain = policy.model_copy(
        update={
            "channels": {k: r.model_copy(update={"floor": 0, "cap": None}) for k, r in policy.channels.items()},
            "default": policy.default.model_copy(update={"floor": 0, "cap": None}),
        }
    )
    figures = allocate(available, plain, targets)
    keys_of = {t: (t.key if t.key in plain.channels else t.channel) for t in targets}
    exclusive = sum(plain.channels.get(k, plain.default).exclusive for k in set(keys_of.values()))
    sellable = max(0, available - plain.safety_stock)

    # Every listing together gets at least the exclusive units the stock can cover.
    assert sum(figures.values()) >= min(exclusive, sellable)


@given(
    total=st.integers(0, 10_000),
    weights=st.dictionaries(st.text(min_size=1, max_size=3), st.decimals(0, 100, places=2)),
)
def test_apportion_hands_out_exactly_the_total_when_any_weight_is_positive(total: int, weights: dict[str, Decimal]):
    parts = apportion(total, weights)

    assert set(parts) == set(weights) and all(p >= 0 for p in parts.values())
    assert sum(parts.values()) == (total if any(w > 0 for w in weights.values()) else 0)
    weight_sum = sum(weights.values(), Decimal(0))
    for key, part in parts.items():  # each part is within one unit of its exact quota
        if weight_sum > 0:
            assert abs(Decimal(part) - Decimal(total) * weights[key] / weight_sum) < 1
