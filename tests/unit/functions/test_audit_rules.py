"""The audit engine and its rules file: scoring, forced outcomes, versioning, validation, blacklist hashing."""

import hashlib
import json
from pathlib import Path

import pytest

from functions.workflow.logic.audit import (
    DEFAULT_RULES_FILE,
    AuditHistory,
    AuditRulesInvalid,
    audit,
    load_rules,
    parse_rules,
    subject_hash,
)
from schemas.events import AuditOutcome
from schemas.order import OrderLine, OrderStatus, Receiver
from tests.unit.core.factories import make_order

RULES = load_rules(str(DEFAULT_RULES_FILE))


def raw_rules() -> dict:
    return json.loads(DEFAULT_RULES_FILE.read_text(encoding="utf-8"))


def rules_from(raw: dict):
    return parse_rules(json.dumps(raw, ensure_ascii=False).encode())


def hit_ids(order, rules=RULES) -> list[str]:
    return [hit.rule_id for hit in audit(order, rules).hits]


def test_clean_paid_order_passes_with_no_hits_and_records_the_rules_checksum():
    decision = audit(make_order(), RULES)

    assert decision.outcome == AuditOutcome.PASS
    assert decision.hits == [] and decision.score == 0
    assert decision.rules_checksum == hashlib.sha256(DEFAULT_RULES_FILE.read_bytes()).hexdigest()
    assert decision.rules_version == f"{RULES.version}#{decision.rules_checksum[:12]}"


def test_the_rules_file_holds_at_least_forty_weighted_rules_with_unique_ids_and_reasons():
    assert len(RULES.rules) >= 40
    assert len({rule.id for rule in RULES.rules}) == len(RULES.rules)
    assert all(rule.reason and rule.weight >= 0 for rule in RULES.rules)
    assert len({rule.kind for rule in RULES.rules}) >= 20
    assert 0 < RULES.review_score <= RULES.reject_score


@pytest.mark.parametrize("status", [OrderStatus.CANCELLED, OrderStatus.CLOSED, OrderStatus.PENDING_PAYMENT])
def test_unshippable_platform_status_rejects(status):
    decision = audit(make_order(status=status), RULES)

    assert decision.outcome == AuditOutcome.REJECT
    assert [h.rule_id for h in decision.hits] == ["platform-status-not-shippable"]
    assert status.value in decision.hits[0].reason


def test_every_hit_records_its_weight_reason_and_forced_outcome():
    order = make_order(status=OrderStatus.PAID_FORBID_SHIPMENT, buyer_message="请加急")
    decision = audit(order, RULES)

    by_id = {hit.rule_id: hit for hit in decision.hits}
    assert set(by_id) == {"platform-forbids-shipment", "buyer-message-urgent"}
    forbid, urgent = by_id["platform-forbids-shipment"], by_id["buyer-message-urgent"]
    assert (forbid.weight, forbid.forces) == (0, AuditOutcome.REVIEW)
    assert (urgent.weight, urgent.forces) == (5, None)
    assert "加急" in urgent.reason and urgent.reason.startswith("the buyer asks for urgent shipping")
    assert decision.score == 5 and decision.outcome == AuditOutcome.REVIEW


def test_hits_add_up_and_the_strongest_forced_outcome_wins():
    receiver = Receiver(province="浙江省", name_masked="张*", phone_masked="138****0000")  # no city/district/address
    order = make_order(status=OrderStatus.CANCELLED, receiver=receiver, buyer_id="blacklisted-buyer")
    decision = audit(order, RULES)

    assert decision.outcome == AuditOutcome.REJECT
    assert {h.rule_id for h in decision.hits} == {
        "platform-status-not-shippable",
        "address-incomplete",
        "buyer-blacklisted",
    }
    assert decision.score == 200  # the address is a hold reason (weight 0), not risk


def test_hold_reasons_hold_for_review_and_never_add_up_to_a_rejection():
    receiver = Receiver(province="浙江省", city="杭州市", decryptable=False)  # no district, address, name, phone
    order = make_order(receiver=receiver, buyer_message="先别发，要改地址", seller_flag="1")
    decision = audit(order, RULES)

    assert {h.rule_id for h in decision.hits} == {
        "seller-flag-hold",
        "address-incomplete",
        "receiver-contact-missing",
        "receiver-undecryptable",
        "buyer-asks-address-change",
        "buyer-asks-not-to-ship",
    }
    assert (decision.score, decision.outcome) == (0, AuditOutcome.REVIEW)


def test_score_thresholds_apply_without_forced_outcomes():
    raw = raw_rules()
    for rule in raw["rules"]:
        rule.pop("forces", None)
        rule["weight"] = 30
    raw["review_score"], raw["reject_score"] = 50, 90
    rules = rules_from(raw)
    one_hit = make_order(receiver=make_order().receiver.model_copy(update={"address_cipher": None}))
    two_hits = one_hit.model_copy(update={"status": OrderStatus.PAID_FORBID_SHIPMENT})
    three_hits = two_hits.model_copy(update={"buyer_message": "加急"})

    assert [audit(o, rules).outcome for o in (one_hit, two_hits, three_hits)] == [
        AuditOutcome.PASS,  # 30 < 50
        AuditOutcome.REVIEW,  # 60
        AuditOutcome.REJECT,  # 90
    ]


def test_a_forced_outcome_raises_a_low_score_but_never_lowers_a_high_one():
    raw = raw_rules()
    for rule in raw["rules"]:
        if rule["id"] == "buyer-asks-invoice":
            rule["weight"], rule["forces"] = 0, "REVIEW"  # forces REVIEW on its own
        if rule["id"] == "buyer-asks-not-to-ship":
            rule["weight"], rule["forces"] = 200, "REVIEW"  # the score already says REJECT
    rules = rules_from(raw)

    forced = audit(make_order(buyer_message="需要开票"), rules)
    high = audit(make_order(buyer_message="先别发"), rules)

    assert (forced.score, forced.outcome) == (0, AuditOutcome.REVIEW)
    assert (high.score, high.outcome) == (200, AuditOutcome.REJECT)


def test_disabled_rule_never_hits():
    raw = raw_rules()
    for rule in raw["rules"]:
        if rule["id"] == "buyer-blacklisted":
            rule["enabled"] = False
    rules = rules_from(raw)
    assert audit(make_order(buyer_id="blacklisted-buyer"), rules).hits == []
    assert hit_ids(make_order(buyer_id="blacklisted-buyer")) == ["buyer-blacklisted"]


def test_without_history_window_rules_are_skipped_and_the_decision_says_so():
    order = make_order(buyer_id="buyer-x", paid_amount=3_500_000, goods_amount=3_530_000, discount_amount=30_000)

    without = audit(order, RULES)
    with_empty = audit(order, RULES, AuditHistory())

    assert without.history_available is False and with_empty.history_available is True
    # a first-time buyer is only known with history
    assert "first-time-buyer-large-order" not in [h.rule_id for h in without.hits]
    assert "first-time-buyer-large-order" in [h.rule_id for h in with_empty.hits]


def test_checksum_and_label_change_when_the_file_changes():
    raw = raw_rules()
    original = rules_from(raw)
    raw["rules"][0]["weight"] += 1
    changed = rules_from(raw)

    assert original.checksum != changed.checksum
    assert audit(make_order(), original).rules_checksum != audit(make_order(), changed).rules_checksum
    assert audit(make_order(), changed).rules_version == f"{raw['version']}#{changed.checksum[:12]}"


@pytest.mark.parametrize(
    ("breakage", "expected"),
    [
        (lambda raw: raw["rules"][5].update(sha256=["not-a-hash"]), "rules.5.blacklist.sha256"),
        (lambda raw: raw["rules"][0].update(kind="astrology"), "rules.0: Input tag 'astrology'"),
        (lambda raw: raw["rules"].append(dict(raw["rules"][0])), "unique: platform-status-not-shippable"),
        (lambda raw: raw["rules"][0].update(weight=-1), "rules.0.platform_status.weight"),
        (lambda raw: raw["rules"][0].update(typo=True), "rules.0.platform_status.typo"),
        (lambda raw: raw.update(reject_score=10), "reject_score must not be below review_score"),
        (lambda raw: raw.pop("version"), "version: Field required"),
    ],
)
def test_an_invalid_rules_file_is_refused_with_an_error_naming_the_problem(breakage, expected):
    raw = raw_rules()
    breakage(raw)

    with pytest.raises(AuditRulesInvalid) as caught:
        rules_from(raw)
    assert caught.value.code == "AUDIT_RULES_INVALID"
    assert expected in caught.value.message


def test_a_rules_file_that_is_not_json_names_its_path(tmp_path: Path):
    path = tmp_path / "rules.json"
    path.write_text("{not json")
    with pytest.raises(AuditRulesInvalid, match=str(path)):
        load_rules(str(path))


def test_rules_file_lists_hashes_never_plaintext():
    text = DEFAULT_RULES_FILE.read_text(encoding="utf-8")
    blacklists = [rule for rule in RULES.rules if rule.kind == "blacklist"]
    assert {rule.subject for rule in blacklists} == {"buyer", "receiver", "address", "device"}
    assert all(len(h) == 64 for rule in blacklists for h in rule.sha256)
    assert subject_hash("douyin", "blacklisted-buyer") in text
    for plaintext in (
        "blacklisted-buyer",
        "blacklisted-receiver-token",
        "blacklisted-address-key",
        "blacklisted-device",
    ):
        assert f'"{plaintext}"' not in text


def test_rules_file_can_be_overridden_by_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    raw = raw_rules()
    raw["version"] = "test-override"
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(raw))
    monkeypatch.setenv("OMNIHUB_AUDIT_RULES_FILE", str(path))
    load_rules.cache_clear()
    try:
        assert load_rules().version == "test-override"
    finally:
        load_rules.cache_clear()


def test_history_windows_follow_the_enabled_window_rules():
    raw = raw_rules()
    for rule in raw["rules"]:
        if rule["id"] == "many-buyers-one-address":
            rule["window_hours"] = 100
        if rule["id"] == "hot-sku-scalping-by-address":
            rule["window_hours"] = 12
    assert rules_from(raw).history_windows["address"].total_seconds() == 100 * 3600  # the longest one counts

    for rule in raw["rules"]:
        if "window_hours" in rule:
            rule["enabled"] = rule["id"] == "many-accounts-one-device"
    assert {k: v.total_seconds() / 3600 for k, v in rules_from(raw).history_windows.items()} == {"device": 24}

    for rule in raw["rules"]:
        if "window_hours" in rule:
            rule["enabled"] = False
    assert rules_from(raw).history_windows == {}  # nothing to ask the ledger


def test_gifts_are_left_out_of_the_price_ratio():
    paid = OrderLine(line_id="l1", merchant_sku="AC-1", quantity=1, unit_price=10000, paid_amount=9000)
    gift = OrderLine(line_id="l2", merchant_sku="GIFT", quantity=1, unit_price=50000, paid_amount=0, is_gift=True)
    order = make_order(lines=[paid, gift], goods_amount=60000, discount_amount=51000, paid_amount=9000)
    assert "paid-far-below-list" not in hit_ids(order)
