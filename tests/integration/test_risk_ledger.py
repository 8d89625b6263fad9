"""The risk ledger in moto: idempotent records, window queries, TTL, no plaintext; and AuditOrder using it."""

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from functions.workflow.audit_order import audit_order
from functions.workflow.logic.audit import risk_keys, subject_hash
from functions.workflow.models import StepInput
from hubcore.adapters.orders_table import WorkflowOrders
from hubcore.adapters.risk_ledger import TTL_ATTRIBUTE, RiskFact, RiskLedger, RiskLedgerUnavailable
from schemas.order import Order, OrderLine
from tests.unit.core.factories import make_order
from tests.workflows.harness import ORDERS_TABLE, REGION

T0 = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
ADDRESS, DEVICE, BUYER = (subject_hash(kind, "value") for kind in ("address", "device", "buyer"))


def fact(order_key: str, at: datetime, buyer: str = BUYER, skus: dict[str, int] | None = None) -> RiskFact:
    return RiskFact(order_key=order_key, channel="douyin", buyer=buyer, at=at, skus=skus or {"AC-1P-INV": 1})


def risk_items() -> list[dict]:
    items = boto3.client("dynamodb", region_name=REGION).scan(TableName=ORDERS_TABLE)["Items"]
    return [item for item in items if item["pk"]["S"].startswith("RISK#")]


def test_a_fact_is_filed_once_under_each_key_with_its_ttl(hub_aws):
    ledger = RiskLedger(retention=timedelta(days=30))
    keys = {"address": ADDRESS, "device": DEVICE, "buyer": BUYER}

    assert ledger.record(fact("douyin:1:A", T0, skus={"VC-CORDLESS": 2}), keys) is True
    assert ledger.record(fact("douyin:1:A", T0, skus={"VC-CORDLESS": 2}), keys) is False  # a retried audit

    items = risk_items()
    assert sorted(item["pk"]["S"] for item in items) == sorted(
        [f"RISK#ADDR#{ADDRESS}", f"RISK#DEV#{DEVICE}", f"RISK#BUYER#{BUYER}"]
    )
    assert {item["sk"]["S"] for item in items} == {"2026-11-24T02:00:00.000000Z#douyin:1:A"}
    assert {int(item[TTL_ATTRIBUTE]["N"]) for item in items} == {int((T0 + timedelta(days=30)).timestamp())}
    [found] = ledger.recent(keys, T0, {"device": timedelta(hours=1)})["device"]
    assert found == fact("douyin:1:A", T0, skus={"VC-CORDLESS": 2})


def test_a_retry_with_a_new_key_adds_only_the_missing_item(hub_aws):
    ledger = RiskLedger()
    assert ledger.record(fact("douyin:1:A", T0), {"buyer": BUYER, "device": None}) is True

    assert ledger.record(fact("douyin:1:A", T0), {"buyer": BUYER, "device": DEVICE}) is True

    assert sorted(item["pk"]["S"] for item in risk_items()) == [f"RISK#BUYER#{BUYER}", f"RISK#DEV#{DEVICE}"]


def test_window_query_returns_the_facts_either_side_of_the_instant_oldest_first(hub_aws):
    ledger = RiskLedger()
    for key, at in (
        ("o-30h", T0 - timedelta(hours=30)),
        ("o-5h", T0 - timedelta(hours=5)),
        ("o+2h", T0 + timedelta(hours=2)),
    ):
        ledger.record(fact(f"douyin:1:{key}", at), {"address": ADDRESS})
    ledger.record(fact("douyin:1:elsewhere", T0), {"address": subject_hash("address", "other")})
    edge = T0 - timedelta(hours=24)
    ledger.record(fact("douyin:1:edge", edge), {"address": ADDRESS})  # exactly at the window's start

    found = ledger.recent({"address": ADDRESS, "device": DEVICE}, T0, {"address": timedelta(hours=24)})

    assert list(found) == ["address"]  # no window asked for the device
    assert [f.order_key for f in found["address"]] == ["douyin:1:edge", "douyin:1:o-5h", "douyin:1:o+2h"]
    assert found["address"][0].at == edge


def test_plaintext_keys_are_refused_and_nothing_is_written(hub_aws):
    ledger = RiskLedger()
    with pytest.raises(ValueError, match="sha256"):
        ledger.record(fact("douyin:1:A", T0), {"address": "13800138000"})
    with pytest.raises(ValueError, match="sha256"):
        ledger.record(fact("douyin:1:A", T0, buyer="buyer-open-id"), {"buyer": BUYER})
    assert risk_items() == []


def test_an_unreachable_table_is_reported_as_ledger_unavailable(hub_aws):
    ledger = RiskLedger(table_name="no-such-table")
    with pytest.raises(RiskLedgerUnavailable):
        ledger.record(fact("douyin:1:A", T0), {"buyer": BUYER})
    with pytest.raises(RiskLedgerUnavailable):
        ledger.recent({"buyer": BUYER}, T0, {"buyer": timedelta(hours=1)})


# --- AuditOrder with the ledger ---------------------------------------------------------------------------------


def placed(order_id: str, buyer: str, minutes: int, **overrides) -> Order:
    at = T0 + timedelta(minutes=minutes)
    line = OrderLine(line_id=f"{order_id}-1", merchant_sku="KT-17L", quantity=1, unit_price=19900, paid_amount=19900)
    fields: dict[str, Any] = {
        "order_id": order_id,
        "buyer_id": buyer,
        "lines": [line],
        "goods_amount": 19900,
        "discount_amount": 0,
        "paid_amount": 19900,
        "created_at": at,
        "paid_at": at,
        "updated_at": at,
    }
    return make_order(**(fields | overrides))


def audited(order: Order, hub_aws) -> dict:
    hub_aws.record(order)
    audit_order(StepInput(order_key=order.order_key))
    return json.loads(hub_aws.stored(order.order_key).attributes["audit"])


def test_audit_order_sees_other_orders_to_the_same_address(hub_aws):
    orders = [placed(f"50{n}", f"buyer-{n}", n * 10, merge_key="same-receiver") for n in range(3)]

    first, second, third = (audited(order, hub_aws) for order in orders)

    assert (first["outcome"], first["history_available"]) == ("PASS", True)
    assert second["outcome"] == "PASS"
    assert third["outcome"] == "REVIEW"
    assert [hit["rule_id"] for hit in third["hits"]] == ["many-buyers-one-address"]
    assert "3 buyer accounts on one address within 72 h" in third["hits"][0]["reason"]
    [event] = [e for e in hub_aws.events("OrderAudited") if e["detail"]["data"]["order_key"] == orders[2].order_key]
    assert event["detail"]["data"]["history_available"] is True
    assert event["detail"]["data"]["rules_checksum"] == third["rules_checksum"]


def test_a_retried_audit_records_once_and_decides_the_same(hub_aws):
    order = placed("601", "buyer-1", 0, merge_key="k", device_id="d")
    first = audited(order, hub_aws)

    audit_order(StepInput(order_key=order.order_key))
    again = json.loads(hub_aws.stored(order.order_key).attributes["audit"])

    assert len(risk_items()) == 3
    assert again == first and first["hits"] == []


def test_the_ledger_never_holds_personal_data_in_plaintext(hub_aws):
    receiver = make_order().receiver.model_copy(update={"match_token": "token-13800138000"})
    order = placed("701", "dy-open-id-zhang", 0, receiver=receiver, merge_key="merge-zhang", device_id="device-zhang")
    audited(order, hub_aws)

    text = json.dumps(risk_items(), ensure_ascii=False)
    assert len(risk_items()) == 3
    keys = risk_keys(order)
    assert {keys.address, keys.device, keys.buyer} <= {item["pk"]["S"].split("#")[-1] for item in risk_items()}
    secrets = ("dy-open-id-zhang", "13800138000", "merge-zhang", "device-zhang", "#cipher", "张", "138****", "西湖区")
    for plaintext in secrets:
        assert plaintext not in text


def test_without_the_ledger_the_audit_still_decides_and_says_history_was_unavailable(hub_aws, monkeypatch):
    def unavailable(*args, **kwargs):
        raise RiskLedgerUnavailable("throttled")

    monkeypatch.setattr(RiskLedger, "recent", unavailable)
    order = placed("801", "blacklisted-buyer", 0)

    decision = audited(order, hub_aws)

    assert (decision["outcome"], decision["history_available"]) == ("REJECT", False)
    details = [entry["detail"] for entry in WorkflowOrders().history(order.order_key)]
    assert any("audit REJECT" in d and d.endswith("; history unavailable)") for d in details)
    [event] = hub_aws.events("OrderAudited")
    assert event["detail"]["data"]["history_available"] is False
