"""The order-fulfilment ASL file: placeholders, timeouts, retries and catches, checked statically."""

import json
from pathlib import Path

from functions.catalog import FUNCTIONS
from functions.order_events.handler import OrderEventEnvelope
from functions.workflow.definition import placeholders, render_dict, required_substitutions, template
from functions.workflow.models import MarkInput, PersistInput, RequestInput, WriteBackInput

EVENTS = Path(__file__).resolve().parents[3] / "events" / "workflow"
TRANSIENT = {"Lambda.ServiceException", "Lambda.SdkClientException", "Lambda.TooManyRequestsException"}
BUSINESS = {"OrderCancelled", "PlatformRejected", "ReservationNotHeld", "OrderNotFound", "States.ALL"}


def definition() -> dict:
    subs = {name: f"arn:aws:lambda:us-east-1:123456789012:function:{name}" for name in required_substitutions()}
    subs["ShipmentTimeoutSeconds"] = 600
    subs["ReviewTimeoutSeconds"] = 900
    return render_dict(subs)


def tasks() -> dict[str, dict]:
    return {name: s for name, s in definition()["States"].items() if s["Type"] == "Task"}


def test_placeholders_are_exactly_the_state_machine_functions_and_the_shipment_timeout():
    assert placeholders() == required_substitutions()
    in_machine = {f"{spec.name}FunctionArn" for spec in FUNCTIONS if spec.in_state_machine}
    assert in_machine <= placeholders()
    assert '"TimeoutSeconds": ${ShipmentTimeoutSeconds}' in template()  # a number once substituted


def test_jsonpath_only_and_every_state_reachable():
    d = definition()
    assert "QueryLanguage" not in d or d["QueryLanguage"] == "JSONPath"
    targets = {d["StartAt"]}
    for state in d["States"].values():
        targets |= {state.get("Next"), state.get("Default")}
        targets |= {c["Next"] for c in state.get("Choices", []) + state.get("Catch", [])}
    assert set(d["States"]) == targets - {None}


def test_every_task_has_a_timeout_and_retries_only_transient_errors():
    for name, state in tasks().items():
        assert isinstance(state["TimeoutSeconds"], int), name
        retried = {e for r in state["Retry"] for e in r["ErrorEquals"]}
        assert retried >= TRANSIENT, name
        assert not retried & BUSINESS, name


def test_the_wait_for_shipment_uses_the_task_token_and_the_timeout_placeholder():
    wait = tasks()["RequestFulfilment"]
    assert wait["Resource"] == "arn:aws:states:::lambda:invoke.waitForTaskToken"
    assert wait["Parameters"]["Payload"]["task_token.$"] == "$$.Task.Token"
    assert wait["TimeoutSeconds"] == 600
    assert [c["ErrorEquals"] for c in wait["Catch"]] == [["OrderCancelled"], ["States.Timeout"], ["States.ALL"]]
    assert [c["Next"] for c in wait["Catch"]] == ["ReleaseAfterCancel", "ReleaseAfterTimeout", "ReleaseAfterError"]


def test_write_back_retries_platform_unavailability_with_backoff():
    [platform] = [r for r in tasks()["WriteBack"]["Retry"] if r["ErrorEquals"] == ["PlatformUnavailable"]]
    assert platform["BackoffRate"] > 1 and platform["MaxAttempts"] >= 3 and platform["JitterStrategy"] == "FULL"


def test_payloads_carry_the_order_key_not_the_order():
    for state in tasks().values():
        payload = state["Parameters"]["Payload"]
        assert payload["order_key.$"] == "$.order_key"
        assert "$" not in payload.values()  # never the whole state


def test_sample_events_parse_with_the_step_models():
    def load(name: str) -> dict:
        return json.loads((EVENTS / f"{name}.json").read_text())

    assert PersistInput.model_validate(load("execution_input")).order_key
    assert RequestInput.model_validate(load("request_fulfilment_payload")).task_token
    assert WriteBackInput.model_validate(load("write_back_payload")).shipment.shipped_at.utcoffset() is not None
    assert MarkInput.model_validate(load("mark_order_payload")).state == "REJECTED"
    body = load("order_events_sqs_batch")["Records"][0]["body"]
    assert OrderEventEnvelope.model_validate_json(body).detail.data.order.status == "PAID"
