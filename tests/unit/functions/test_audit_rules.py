"""Audit rules: each rule hits and misses; the outcome, score and rules checksum are recorded."""

import hashlib
import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from functions.workflow.logic.audit import DEFAULT_RULES_FILE, audit, load_rules, parse_rules, subject_hash
from schemas.events import AuditOutcome
from schemas.order import AfterSaleStatus, OrderLine, OrderStatus, Receiver
from tests.unit.core.factories import make_order

RULES = load_rules(str(DEFAULT_RULES_FILE))


def hit_ids(order) -> list[str]:
    return [hit.rule_id for hit in audit(order, RULES).hits]


def test_clean_paid_order_passes_with_no_hits_and_records_the_rules_checksum():
    decision = audit(make_order(), RULES)

    assert decision.outcome == AuditOutcome.PASS
    assert decision.hits == [] and decision.score == 0
    assert decision.rules_checksum == hashlib.sha256(DEFAULT_RULES_FILE.read_bytes()).hexdigest()
    assert decision.rules_version == f"{RULES.version}#{decision.rules_checksum[:12]}"


@pytest.mark.parametrize("status", [OrderStatus.CANCELLED, OrderStatus.CLOSED, OrderStatus.PENDING_PAYMENT])
def test_unshippable_platform_status_rejects(status):
    decision = audit(make_order(status=status), RULES)

    assert decision.outcome == AuditOutcome.REJECT
    assert [h.rule_id for h in decision.hits] == ["platform-status-not-shippable"]
    assert status.value in decision.hits[0].reason


def test_platform_forbidding_shipment_holds_for_review():
    decision = audit(make_order(status=OrderStatus.PAID_FORBID_SHIPMENT), RULES)

    assert decision.outcome == AuditOutcome.REVIEW
    assert [h.rule_id for h in decision.hits] == ["platform-forbids-shipment"]


@pytest.mark.parametrize(
    "after_sale", [AfterSaleStatus.REQUESTED, AfterSaleStatus.IN_PROGRESS, AfterSaleStatus.REFUNDED]
)
def test_refund_pending_on_the_order_rejects(after_sale):
    assert audit(make_order(after_sale=after_sale), RULES).outcome == AuditOutcome.REJECT


def test_refund_pending_on_one_line_rejects_and_a_refused_refund_does_not():
    line = OrderLine(line_id="x-1", merchant_sku="AC-1", quantity=1, unit_price=100, paid_amount=100)
    pending = make_order(lines=[line.model_copy(update={"after_sale": AfterSaleStatus.REQUESTED})])
    refused = make_order(lines=[line.model_copy(update={"after_sale": AfterSaleStatus.REJECTED})])

    assert hit_ids(pending) == ["after-sale-refund-pending"]
    assert hit_ids(refused) == []


@pytest.mark.parametrize("missing", ["province", "city", "district", "address_cipher"])
def test_incomplete_address_is_held_for_review(missing):
    receiver = make_order().receiver.model_copy(update={missing: None})
    decision = audit(make_order(receiver=receiver), RULES)

    assert decision.outcome == AuditOutcome.REVIEW
    assert [h.rule_id for h in decision.hits] == ["address-incomplete"]
    assert missing.removesuffix("_cipher") in decision.hits[0].reason


def test_masked_street_address_counts_only_with_the_platforms_decrypt_handle():
    # Given Taobao-style receivers: masked street text, with or without the OAID handle, and no ciphertext
    base = make_order().receiver.model_copy(update={"address_cipher": None, "address_masked": "文三路****"})
    with_handle = base.model_copy(update={"match_token": "oaid-123"})
    without_handle = base.model_copy(update={"match_token": None})

    # Then the decryptable one is complete and the other is held for review
    assert hit_ids(make_order(receiver=with_handle)) == []
    assert hit_ids(make_order(receiver=without_handle)) == ["address-incomplete"]


def test_blank_region_counts_as_missing():
    receiver = make_order().receiver.model_copy(update={"city": "  "})
    assert hit_ids(make_order(receiver=receiver)) == ["address-incomplete"]


def test_blacklisted_buyer_rejects_by_hash_and_only_on_its_channel():
    on_list = make_order(channel="douyin", buyer_id="blacklisted-buyer")
    other_channel = make_order(channel="kuaishou", buyer_id="blacklisted-buyer")

    decision = audit(on_list, RULES)
    assert decision.outcome == AuditOutcome.REJECT
    assert [h.rule_id for h in decision.hits] == ["buyer-blacklisted"]
    assert "blacklisted-buyer" not in decision.hits[0].reason  # never the plaintext
    assert hit_ids(other_channel) == []


def test_blacklisted_receiver_match_token_rejects():
    receiver = make_order().receiver.model_copy(update={"match_token": "blacklisted-receiver-token"})
    assert hit_ids(make_order(receiver=receiver)) == ["receiver-blacklisted"]
    clean = make_order().receiver.model_copy(update={"match_token": "someone-else"})
    assert hit_ids(make_order(receiver=clean)) == []


def test_paid_far_below_list_price_is_reviewed_at_the_configured_ratio():
    def order_paying(paid: int):
        line = OrderLine(line_id="l1", merchant_sku="AC-1", quantity=2, unit_price=10000, paid_amount=paid)
        return make_order(lines=[line], goods_amount=20000, paid_amount=paid, discount_amount=20000 - paid)

    assert hit_ids(order_paying(5999)) == ["paid-far-below-list"]  # 29.995 % of 200.00
    assert hit_ids(order_paying(6000)) == []  # exactly 30 %
    assert audit(order_paying(100), RULES).outcome == AuditOutcome.REVIEW


def test_gifts_are_left_out_of_the_price_ratio():
    paid = OrderLine(line_id="l1", merchant_sku="AC-1", quantity=1, unit_price=10000, paid_amount=9000)
    gift = OrderLine(line_id="l2", merchant_sku="GIFT", quantity=1, unit_price=50000, paid_amount=0, is_gift=True)
    assert hit_ids(make_order(lines=[paid, gift])) == []


def test_hits_add_up_and_the_strongest_forced_outcome_wins():
    receiver = Receiver(province="浙江省")  # no city, district or address
    order = make_order(status=OrderStatus.CANCELLED, receiver=receiver, buyer_id="blacklisted-buyer")
    decision = audit(order, RULES)

    assert decision.outcome == AuditOutcome.REJECT
    assert {h.rule_id for h in decision.hits} == {
        "platform-status-not-shippable",
        "address-incomplete",
        "buyer-blacklisted",
    }
    assert decision.score == 250
    assert all(h.weight > 0 and h.reason for h in decision.hits)


def test_score_thresholds_apply_without_forced_outcomes(tmp_path: Path):
    raw = json.loads(DEFAULT_RULES_FILE.read_text())
    for rule in raw["rules"]:
        rule.pop("forces", None)
        rule["weight"] = 30
    raw["review_score"], raw["reject_score"] = 50, 90
    rules = parse_rules(json.dumps(raw).encode())
    one_hit = make_order(receiver=Receiver(province="浙江省", city="杭州市", district="西湖区"))  # no address
    two_hits = one_hit.model_copy(update={"status": OrderStatus.PAID_FORBID_SHIPMENT})

    assert audit(one_hit, rules).outcome == AuditOutcome.PASS  # 30 < 50
    assert audit(two_hits, rules).outcome == AuditOutcome.REVIEW  # 60


def test_disabled_rule_never_hits(tmp_path: Path):
    raw = json.loads(DEFAULT_RULES_FILE.read_text())
    for rule in raw["rules"]:
        if rule["id"] == "buyer-blacklisted":
            rule["enabled"] = False
    rules = parse_rules(json.dumps(raw).encode())
    assert audit(make_order(buyer_id="blacklisted-buyer"), rules).hits == []


def test_rules_file_is_validated_on_load():
    raw = json.loads(DEFAULT_RULES_FILE.read_text())
    bad_hash = json.loads(json.dumps(raw))
    bad_hash["rules"][4]["sha256"] = ["not-a-hash"]
    unknown_kind = json.loads(json.dumps(raw))
    unknown_kind["rules"][0]["kind"] = "astrology"
    duplicate = json.loads(json.dumps(raw))
    duplicate["rules"].append(duplicate["rules"][0])

    for broken in (bad_hash, unknown_kind):
        with pytest.raises(ValidationError):
            parse_rules(json.dumps(broken).encode())
    with pytest.raises(ValueError, match="unique"):
        parse_rules(json.dumps(duplicate).encode())


def test_rules_file_lists_hashes_never_plaintext():
    text = DEFAULT_RULES_FILE.read_text()
    for rule in RULES.rules:
        if rule.kind == "blacklist":
            assert all(len(h) == 64 for h in rule.sha256)
    assert subject_hash("douyin", "blacklisted-buyer") in text
    assert '"blacklisted-buyer"' not in text


def test_rules_file_can_be_overridden_by_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    raw = json.loads(DEFAULT_RULES_FILE.read_text())
    raw["version"] = "test-override"
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(raw))
    monkeypatch.setenv("OMNIHUB_AUDIT_RULES_FILE", str(path))
    load_rules.cache_clear()
    try:
        assert load_rules().version == "test-override"
    finally:
        load_rules.cache_clear()
