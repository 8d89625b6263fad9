"""Channel allocation: worked examples of each rule, and the rules file's validation."""

import hashlib
import json
from decimal import Decimal

import pytest

from functions.stock_sync.channel_allocation import Target, allocate, apportion, online_available, rule_key
from functions.stock_sync.rules import (
    DEFAULT_RULES_FILE,
    AllocationPolicy,
    AllocationRulesInvalid,
    ChannelRule,
    load_rules,
    parse_rules,
)

DY, TM, JD = Target("douyin", "dy-1"), Target("tmall", "tm-1"), Target("jd", "jd-1")


def policy(**fields: object) -> AllocationPolicy:
    return AllocationPolicy.model_validate(fields)


def test_safety_stock_is_held_back_from_every_channel():
    rules = policy(safety_stock=4, channels={"douyin": {"share_percent": 50}, "tmall": {"share_percent": 50}})

    assert allocate(20, rules, [DY, TM]) == {DY: 8, TM: 8}
    assert allocate(4, rules, [DY, TM]) == {DY: 0, TM: 0}
    assert allocate(3, rules, [DY, TM]) == {DY: 0, TM: 0}


def test_shares_use_every_unit_of_the_pool_by_largest_remainder():
    rules = policy(
        channels={"douyin": {"share_percent": 50}, "tmall": {"share_percent": 30}, "jd": {"share_percent": 20}}
    )

    figures = allocate(7, rules, [DY, TM, JD])

    # quotas 3.5 / 2.1 / 1.4: floors 3 / 2 / 1, the one unit left goes to the largest remainder (douyin)
    assert figures == {DY: 4, TM: 2, JD: 1}
    assert sum(figures.values()) == 7


def test_percentages_below_100_leave_the_rest_unallocated():
    rules = policy(channels={"douyin": {"share_percent": 40}, "tmall": {"share_percent": 40}})

    assert allocate(10, rules, [DY, TM]) == {DY: 4, TM: 4}


def test_an_exclusive_pool_is_only_its_channels_and_comes_before_the_shared_split():
    rules = policy(
        safety_stock=2,
        channels={"douyin": {"exclusive": 6, "share_percent": 50}, "tmall": {"share_percent": 50}},
    )

    # 20 - 2 = 18 sellable; douyin's live-stream pool 6; the shared 12 split 6 / 6
    assert allocate(20, rules, [DY, TM]) == {DY: 12, TM: 6}
    # Short: the exclusive pool is filled first and nothing is left to share
    assert allocate(6, rules, [DY, TM]) == {DY: 4, TM: 0}


def test_exclusive_pools_are_filled_by_priority_when_stock_is_short():
    rules = policy(channels={"tmall": {"exclusive": 5, "priority": 1}, "douyin": {"exclusive": 5, "priority": 2}})

    assert allocate(7, rules, [DY, TM]) == {TM: 5, DY: 2}


def test_a_figure_below_the_floor_shows_zero_and_a_cap_withholds_the_excess():
    rules = policy(
        channels={"douyin": {"share_percent": 50, "floor": 3}, "tmall": {"share_percent": 50, "cap": 10}},
    )

    assert allocate(4, rules, [DY, TM]) == {DY: 0, TM: 2}  # douyin's 2 < floor 3
    assert allocate(40, rules, [DY, TM]) == {DY: 20, TM: 10}  # tmall capped; its 10 other units are withheld


def test_a_shop_key_beats_the_channel_key_and_shops_under_one_key_split_evenly():
    live = Target("douyin", "live-room")
    rules = policy(
        channels={
            "douyin": {"share_percent": 60},
            "douyin:live-room": {"exclusive": 5},
            "tmall": {"share_percent": 40},
        }
    )
    second = Target("douyin", "dy-2")

    assert rule_key(live, rules) == "douyin:live-room" and rule_key(DY, rules) == "douyin"
    figures = allocate(25, rules, [DY, second, live, TM])
    assert figures[live] == 5  # its exclusive pool only: it has no share of the rest
    assert (figures[DY], figures[second], figures[TM]) == (6, 6, 8)  # 20 shared: douyin 12 split over 2 shops


def test_channels_no_key_names_take_the_default_rule():
    rules = policy(default={"share_percent": 25}, channels={"douyin": {"share_percent": 50}})
    ks = Target("kuaishou", "ks-1")

    assert allocate(8, rules, [DY, TM, ks]) == {DY: 4, TM: 2, ks: 2}


def test_default_weights_above_100_percent_are_scaled_down_without_oversell():
    rules = policy(default={"share_percent": 100})

    figures = allocate(9, rules, [DY, TM, JD])

    assert sum(figures.values()) == 9 and sorted(figures.values()) == [3, 3, 3]


def test_oversell_lets_each_channel_see_its_percent_of_the_whole_pool_but_never_more_than_exists():
    rules = policy(
        safety_stock=1,
        allow_oversell=True,
        channels={"douyin": {"share_percent": 80}, "tmall": {"share_percent": 80}, "jd": {"share_percent": 100}},
    )

    assert allocate(11, rules, [DY, TM, JD]) == {DY: 8, TM: 8, JD: 10}


def test_apportion_is_exact_and_stable():
    assert apportion(10, {"a": Decimal(1), "b": Decimal(1), "c": Decimal(1)}) == {"a": 4, "b": 3, "c": 3}
    assert apportion(5, {"a": Decimal(0), "b": Decimal(0)}) == {"a": 0, "b": 0}
    assert apportion(0, {"a": Decimal(3)}) == {"a": 0}


def test_online_available_sums_only_the_online_nodes_and_ignores_negative_counts():
    levels = [("WH-HZ", 7), ("WH-SH", 5), ("STORE-1", 9), ("WH-GZ", -2)]

    assert online_available(levels, ["WH-HZ", "WH-SH", "WH-GZ"]) == 12
    assert online_available(levels, None) == 21


# --- the rules file ---------------------------------------------------------------------------------------


def test_the_packaged_rules_load_with_their_checksum():
    rules = load_rules(str(DEFAULT_RULES_FILE))

    assert rules.checksum == hashlib.sha256(DEFAULT_RULES_FILE.read_bytes()).hexdigest()
    assert rules.label == f"{rules.version}#{rules.checksum[:12]}"
    assert rules.policy_for("DW-13SET") is rules.skus["DW-13SET"]
    assert rules.policy_for("ANY-OTHER") is rules.policy


def _file(**changes: object) -> bytes:
    raw = json.loads(DEFAULT_RULES_FILE.read_bytes())
    raw.update(changes)
    return json.dumps(raw).encode()


@pytest.mark.parametrize(
    ("policy_json", "message"),
    [
        ({"channels": {"douyin": {"share_percent": 70}, "tmall": {"share_percent": 40}}}, "add up to 110"),
        ({"channels": {"douyin:": {"share_percent": 10}}}, "'channel' or 'channel:shop_id'"),
        ({"channels": {"douyin": {"floor": 5, "cap": 3}}}, "below floor"),
        ({"channels": {"douyin": {"exclusive": -1}}}, "greater than or equal to 0"),
        ({"safety_stock": 1, "reserve": 3}, "Extra inputs are not permitted"),
    ],
)
def test_a_bad_rules_file_is_refused_with_the_reason(policy_json: dict[str, object], message: str):
    with pytest.raises(AllocationRulesInvalid) as refused:
        parse_rules(_file(policy=policy_json))

    assert message in refused.value.message and refused.value.http_status == 500


def test_oversubscribed_percentages_are_accepted_when_oversell_is_explicit():
    rules = parse_rules(
        _file(
            policy={
                "allow_oversell": True,
                "channels": {"douyin": {"share_percent": 70}, "tmall": {"share_percent": 70}},
            }
        )
    )

    assert rules.policy.allow_oversell and rules.policy.channels["tmall"] == ChannelRule(share_percent=Decimal(70))


def test_the_checksum_changes_with_the_file():
    assert parse_rules(_file(version="a")).checksum != parse_rules(_file(version="b")).checksum
