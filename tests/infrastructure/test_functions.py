"""Every catalog function and every connector function, configured one way, with least-privilege roles."""

from typing import Any

import pytest

from connectors.registry import manifests
from functions.catalog import FUNCTIONS, Access
from infra_cdk.naming import pascal
from tests.infrastructure.conftest import Synth, as_list, ref_id, role_statements

pytestmark = pytest.mark.xdist_group("cdk")

RESOURCE_ENV = {
    "OMNIHUB_ORDERS_TABLE": "OrdersTable",
    "OMNIHUB_INVENTORY_TABLE": "InventoryTable",
    "OMNIHUB_CHECKPOINTS_TABLE": "CheckpointsTable",
    "OMNIHUB_IDEMPOTENCY_TABLE": "IdempotencyTable",
    "OMNIHUB_RAW_BUCKET": "RawBucket",
    "OMNIHUB_EVENT_BUS": "EventBus",
}


def expected_functions() -> dict[str, tuple[str, frozenset[Access]]]:
    """Logical id -> (handler, access), from the catalog and the registry directly (not from infra_cdk)."""
    found = {f"{spec.name}Function": (spec.handler, frozenset(spec.access)) for spec in FUNCTIONS}
    for channel, manifest in manifests().items():
        if manifest.webhook_handler:
            found[f"{pascal(channel)}WebhookFunction"] = (manifest.webhook_handler, frozenset())
        if manifest.poll_handler:
            found[f"{pascal(channel)}PollerFunction"] = (manifest.poll_handler, frozenset())
    return found


EXPECTED = expected_functions()


def function(synth: Synth, logical_id: str) -> dict[str, Any]:
    resource: dict[str, Any] = synth.resources[logical_id]
    assert resource["Type"] == "AWS::Lambda::Function"
    return resource


def test_exactly_the_catalog_and_connector_functions_exist(synth: Synth) -> None:
    assert sorted(synth.of_type("AWS::Lambda::Function")) == sorted(EXPECTED)


@pytest.mark.parametrize("logical_id", sorted(EXPECTED))
def test_function_handler_runtime_and_observability(synth: Synth, logical_id: str) -> None:
    props = function(synth, logical_id)["Properties"]
    handler, _ = EXPECTED[logical_id]
    assert props["Handler"] == handler
    runtime = props["Runtime"]
    assert runtime.startswith("python3.") and int(runtime.split(".")[1]) >= 12
    layer = synth.resources[ref_id(props["Layers"][0])]["Properties"]
    assert props["Architectures"] == layer["CompatibleArchitectures"]
    assert runtime in layer["CompatibleRuntimes"]
    assert props["TracingConfig"] == {"Mode": "Active"}
    assert props["LoggingConfig"]["LogFormat"] == "JSON"
    log_group = synth.resources[ref_id(props["LoggingConfig"]["LogGroup"])]
    assert log_group["Properties"]["RetentionInDays"] > 0


@pytest.mark.parametrize("logical_id", sorted(EXPECTED))
def test_function_gets_every_resource_name(synth: Synth, logical_id: str) -> None:
    env = function(synth, logical_id)["Properties"]["Environment"]["Variables"]
    for name, resource in RESOURCE_ENV.items():
        assert ref_id(env[name]) == resource
    assert env["OMNIHUB_CHANNEL_SECRET_PREFIX"] == "omnihub/channels/"


@pytest.mark.parametrize("logical_id", sorted(EXPECTED))
def test_state_machine_arn_only_where_the_workflow_is_started_or_resumed(synth: Synth, logical_id: str) -> None:
    env = function(synth, logical_id)["Properties"]["Environment"]["Variables"]
    _, access = EXPECTED[logical_id]
    if access & {Access.STATES_START, Access.STATES_CALLBACK}:
        joined = env["OMNIHUB_STATE_MACHINE_ARN"]["Fn::Join"][1]
        assert joined[-1] == ":stateMachine:OmniHub-order-fulfilment"
    else:
        assert "OMNIHUB_STATE_MACHINE_ARN" not in env


def actions_of(synth: Synth, logical_id: str) -> dict[str, set[str]]:
    """action -> logical ids (or literal strings) of the resources it is allowed on."""
    role_id = ref_id(function(synth, logical_id)["Properties"]["Role"])
    allowed: dict[str, set[str]] = {}
    for statement in role_statements(synth, role_id):
        assert statement["Effect"] == "Allow"
        for action in as_list(statement["Action"]):
            allowed.setdefault(action, set()).update(_resource_key(r) for r in as_list(statement["Resource"]))
    return allowed


def _resource_key(resource: Any) -> str:
    if isinstance(resource, str):
        return resource
    if "Fn::Join" in resource:
        return "".join(_resource_key(part) if isinstance(part, dict) else part for part in resource["Fn::Join"][1])
    return ref_id(resource)


def test_every_function_role_uses_no_managed_policy_and_no_action_wildcard(synth: Synth) -> None:
    for logical_id in EXPECTED:
        role = synth.resources[ref_id(function(synth, logical_id)["Properties"]["Role"])]
        assert "ManagedPolicyArns" not in role["Properties"]
        assert not any(a.endswith("*") for a in actions_of(synth, logical_id) if not a.startswith("xray:"))


def test_read_only_api_cannot_write(synth: Synth) -> None:
    allowed = actions_of(synth, "OpsApiFunction")
    assert allowed["dynamodb:GetItem"] >= {"OrdersTable", "InventoryTable"}
    for write in ("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"):
        assert allowed.get(write, set()) <= {"IdempotencyTable"}
    assert "events:PutEvents" not in allowed and "states:StartExecution" not in allowed


def test_only_start_access_may_start_executions(synth: Synth) -> None:
    for logical_id, (_, access) in EXPECTED.items():
        allowed = actions_of(synth, logical_id)
        assert ("states:StartExecution" in allowed) == (Access.STATES_START in access)
        assert ("states:SendTaskSuccess" in allowed) == (Access.STATES_CALLBACK in access)


def test_inventory_writes_only_where_granted(synth: Synth) -> None:
    for logical_id, (_, access) in EXPECTED.items():
        writes_inventory = "InventoryTable" in actions_of(synth, logical_id).get("dynamodb:UpdateItem", set())
        assert writes_inventory == (Access.INVENTORY_WRITE in access)


def test_only_functions_that_declare_it_may_use_the_idempotency_table(synth: Synth) -> None:
    # Least privilege: the table exists for Powertools idempotency, and access follows a declared use.
    for logical_id, (_, access) in EXPECTED.items():
        allowed = actions_of(synth, logical_id)
        uses = any("IdempotencyTable" in allowed.get(a, set()) for a in ("dynamodb:PutItem", "dynamodb:GetItem"))
        assert uses == (Access.IDEMPOTENCY in access), logical_id


def test_connector_functions_write_raw_payloads_only_under_their_channel(synth: Synth) -> None:
    for channel in manifests():
        for suffix in ("WebhookFunction", "PollerFunction"):
            logical_id = f"{pascal(channel)}{suffix}"
            if logical_id in EXPECTED:
                assert actions_of(synth, logical_id)["s3:PutObject"] == {f"RawBucket/{channel}/*"}


def test_pollers_have_an_async_dead_letter_queue(synth: Synth) -> None:
    for channel, manifest in manifests().items():
        if manifest.poll_handler:
            props = function(synth, f"{pascal(channel)}PollerFunction")["Properties"]
            assert ref_id(props["DeadLetterConfig"]["TargetArn"]) == f"{pascal(channel)}PollerAsyncDeadLetterQueue"


def test_functions_describe_themselves_for_the_local_hub(synth: Synth) -> None:
    for spec in FUNCTIONS:
        meta = function(synth, f"{spec.name}Function")["Metadata"]["OmniHub"]
        assert meta["name"] == spec.name and meta["kind"] == "catalog"
        assert meta.get("routes", []) == list(spec.api_routes)
        assert meta.get("consumes", []) == list(spec.consumes)
        assert meta.get("in_state_machine", False) == spec.in_state_machine
