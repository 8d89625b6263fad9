"""ShipmentApi and OpsApi handlers against moto, through API Gateway REST proxy events."""

import json

import pytest

from functions.ops_api.handler import lambda_handler as ops_api
from functions.shipments.handler import lambda_handler as shipments
from functions.workflow.audit_order import audit_order
from functions.workflow.logic.fulfilment import fulfilment_id
from functions.workflow.models import RequestInput, StepInput
from functions.workflow.request_fulfilment import request
from functions.workflow.reserve_stock import reserve
from hubcore.adapters.orders_table import WorkflowOrders
from tests.unit.core.factories import make_order
from tests.workflows.harness import FakeContext, api_event

SHIPMENT = {"carrier_code": "SF", "tracking_no": "SF1234567890", "shipped_at": "2026-11-24T08:00:00+08:00"}


@pytest.fixture
def resumed(monkeypatch) -> list[tuple[str, dict]]:
    sent: list[tuple[str, dict]] = []
    monkeypatch.setattr(
        "hubcore.adapters.step_functions.StepFunctions.send_task_success",
        lambda self, token, output: sent.append((token, output)),
    )
    return sent


@pytest.fixture
def waiting_order(hub_aws):
    """An order audited, reserved and waiting for its shipment, as the workflow leaves it."""
    hub_aws.seed_stock([("AC-1P-INV", "WH-HZ", 5), ("AC-1P-INV", "WH-SH", 1)])
    order = make_order(order_id="3001")
    hub_aws.record(order)
    audit_order(StepInput(order_key=order.order_key))
    assert reserve(StepInput(order_key=order.order_key))["outcome"] == "RESERVED"
    request(RequestInput(order_key=order.order_key, task_token="token-3001"))
    return order


def post_shipment(fid: str, body) -> tuple[int, dict]:
    path = f"/fulfilments/{fid}/shipment"
    event = api_event("POST", "/fulfilments/{fulfilment_id}/shipment", path, {"fulfilment_id": fid}, body)
    response = shipments(event, FakeContext())
    return response["statusCode"], json.loads(response["body"])


def get(path: str, resource: str, params: dict) -> tuple[int, dict]:
    response = ops_api(api_event("GET", resource, path, params), FakeContext())
    return response["statusCode"], json.loads(response["body"])


class TestShipmentApi:
    def test_confirmation_records_the_shipment_resumes_the_workflow_and_publishes(
        self, hub_aws, waiting_order, resumed
    ):
        fid = fulfilment_id(waiting_order.order_key)

        status, body = post_shipment(fid, SHIPMENT)

        assert status == 200
        assert body["status"] == "SHIPPED" and body["replay"] is False
        [(token, output)] = resumed
        assert token == "token-3001"
        assert output["tracking_no"] == "SF1234567890" and output["node_id"] == "WH-HZ"
        assert output["shipped_at"] == "2026-11-24T08:00:00+08:00"
        assert hub_aws.stored(waiting_order.order_key).hub_state == "SHIPPED"
        [event] = hub_aws.events("ShipmentConfirmed")
        assert event["detail"]["data"]["fulfilment_id"] == fid

    def test_replaying_the_same_tracking_number_is_200(self, hub_aws, waiting_order, resumed):
        fid = fulfilment_id(waiting_order.order_key)
        post_shipment(fid, SHIPMENT)

        status, body = post_shipment(fid, SHIPMENT)

        assert (status, body["replay"]) == (200, True)
        assert len(hub_aws.events("ShipmentConfirmed")) == 1

    def test_another_tracking_number_for_a_confirmed_fulfilment_is_409(self, waiting_order, resumed):
        fid = fulfilment_id(waiting_order.order_key)
        post_shipment(fid, SHIPMENT)

        status, body = post_shipment(fid, {**SHIPMENT, "tracking_no": "SF999"})

        assert status == 409
        assert body["error"]["code"] == "SHIPMENT_CONFLICT"
        assert len(resumed) == 1

    def test_an_order_no_longer_waiting_is_409(self, waiting_order, resumed):
        WorkflowOrders().move(waiting_order.order_key, "CANCELLED", "test")

        status, body = post_shipment(fulfilment_id(waiting_order.order_key), SHIPMENT)

        assert status == 409 and "CANCELLED" in body["error"]["message"]
        assert resumed == []

    def test_unknown_fulfilment_is_404(self, hub_aws, resumed):
        status, body = post_shipment("F000", SHIPMENT)
        assert (status, body["error"]["code"]) == (404, "UNKNOWN_FULFILMENT")

    @pytest.mark.parametrize(
        "body",
        [
            "not json",
            {"carrier_code": "SF", "tracking_no": "SF1"},
            {**SHIPMENT, "shipped_at": "2026-11-24T08:00:00"},  # naive time
            {**SHIPMENT, "tracking_no": ""},
            {**SHIPMENT, "extra": 1},
        ],
    )
    def test_invalid_body_is_422(self, waiting_order, resumed, body):
        status, response = post_shipment(fulfilment_id(waiting_order.order_key), body)

        assert status == 422
        assert response["error"]["code"] == "INVALID_SHIPMENT"
        assert resumed == []


class TestOpsApi:
    def test_order_view_has_state_history_audit_reservation_and_no_secrets(self, waiting_order):
        key = waiting_order.order_key

        status, body = get(f"/orders/{key}", "/orders/{order_key}", {"order_key": key})

        assert status == 200
        assert body["hub_state"] == "FULFILMENT_REQUESTED"
        assert body["audit"]["outcome"] == "PASS" and body["audit"]["rules_checksum"]
        assert body["reservation"] == {
            "node_id": "WH-HZ",
            "status": "HELD",
            "lines": [{"sku": "AC-1P-INV", "quantity": 1}],
            "created_at": body["reservation"]["created_at"],
        }
        states = [entry["state"] for entry in body["history"]]
        assert states[0] == "PAID" and "RESERVED" in states and states[-1] == "FULFILMENT_REQUESTED"
        text = json.dumps(body, ensure_ascii=False)
        assert "task_token" not in text and "token-3001" not in text
        assert "#cipher" not in text  # ciphertexts never leave the hub
        assert body["order"]["receiver"]["name_masked"] == "张*"

    def test_audit_hits_carry_their_reasons(self, hub_aws):
        order = make_order(order_id="3002", buyer_id="blacklisted-buyer")
        hub_aws.record(order)
        audit_order(StepInput(order_key=order.order_key))

        _, body = get(f"/orders/{order.order_key}", "/orders/{order_key}", {"order_key": order.order_key})

        [hit] = body["audit"]["hits"]
        assert hit["rule_id"] == "buyer-blacklisted" and hit["weight"] == 100 and "blacklist" in hit["reason"]

    def test_url_encoded_order_key_is_accepted(self, waiting_order):
        key = waiting_order.order_key
        encoded = key.replace(":", "%3A")
        status, body = get(f"/orders/{encoded}", "/orders/{order_key}", {"order_key": encoded})
        assert (status, body["order_key"]) == (200, key)

    def test_unknown_order_is_404(self, hub_aws):
        status, body = get("/orders/douyin:1:404", "/orders/{order_key}", {"order_key": "douyin:1:404"})
        assert (status, body["error"]["code"]) == (404, "ORDER_NOT_FOUND")

    def test_stock_per_node(self, waiting_order):
        status, body = get("/stock/AC-1P-INV", "/stock/{sku}", {"sku": "AC-1P-INV"})

        assert status == 200
        assert body["nodes"] == [
            {"node_id": "WH-HZ", "on_hand": 5, "reserved": 1, "available": 4},
            {"node_id": "WH-SH", "on_hand": 1, "reserved": 0, "available": 1},
        ]
        assert body["total"] == {"on_hand": 6, "reserved": 1, "available": 5}

    def test_unknown_sku_and_route_are_404(self, hub_aws):
        assert get("/stock/NOPE", "/stock/{sku}", {"sku": "NOPE"})[0] == 404
        status, body = get("/nothing", "/nothing", {})
        assert (status, body["error"]["code"]) == (404, "UNKNOWN_ROUTE")


class TestDecisionApi:
    def test_the_stored_decision_with_its_explanation(self, waiting_order):
        key = waiting_order.order_key

        status, body = get(f"/orders/{key}/decision", "/orders/{order_key}/decision", {"order_key": key})

        assert status == 200
        assert body["order_key"] == key and body["outcome"] == "ROUTED"
        assert body["policy"].startswith("2026-") and len(body["policy_checksum"]) == 64
        assert body["decision"]["order_keys"] == [key]
        # WH-SH holds stock but is not in the routing network: only WH-HZ was seen
        assert body["decision"]["stock_seen"] == {"AC-1P-INV": {"WH-HZ": 5}}
        assert body["explanation"].startswith(f"Order {key}: ROUTED")
        assert "ships in one parcel from WH-HZ" in body["explanation"]
        assert body["fulfilments"] == [
            {
                "fulfilment_id": fulfilment_id(key),
                "node_id": "WH-HZ",
                "status": "OPEN",
                "order_keys": [key],
                "merged": False,
                "merge_reasons": {},
            }
        ]
        assert "#cipher" not in json.dumps(body, ensure_ascii=False)

    def test_an_order_not_routed_yet_is_404_with_its_own_code(self, hub_aws):
        order = make_order(order_id="3003")
        hub_aws.record(order)
        key = order.order_key

        status, body = get(f"/orders/{key}/decision", "/orders/{order_key}/decision", {"order_key": key})

        assert (status, body["error"]["code"]) == (404, "ROUTING_DECISION_NOT_FOUND")
        assert "RECEIVED" in body["error"]["message"]

    def test_an_unknown_order_is_404(self, hub_aws):
        key = "douyin:1:404"
        status, body = get(f"/orders/{key}/decision", "/orders/{order_key}/decision", {"order_key": key})
        assert (status, body["error"]["code"]) == (404, "ORDER_NOT_FOUND")
