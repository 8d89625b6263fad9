"""The order-fulfilment state machine comes from the ASL file; CloudFormation resolves every placeholder."""

import json
import re

import pytest

from functions.catalog import FUNCTIONS, STATE_MACHINE_FILE, STATE_MACHINE_NAME
from infra_cdk.config import REPO_ROOT
from tests.infrastructure.conftest import Synth, as_list, ref_id, role_statements

pytestmark = pytest.mark.xdist_group("cdk")

IN_STATE_MACHINE = sorted(spec.name for spec in FUNCTIONS if spec.in_state_machine)
PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")


def state_machine(synth: Synth) -> dict:
    (machine,) = synth.of_type("AWS::StepFunctions::StateMachine").values()
    return machine["Properties"]


def test_state_machine_is_standard_with_a_stable_name(synth: Synth) -> None:
    props = state_machine(synth)
    assert props["StateMachineType"] == "STANDARD"
    assert props["StateMachineName"] == f"OmniHub-{STATE_MACHINE_NAME}"
    assert "OrderFulfilmentStateMachine" in synth.resources


def test_definition_is_the_asl_file_verbatim(synth: Synth) -> None:
    # Given the ASL file the local hub also runs / Then the template carries it unchanged, inline
    asl = (REPO_ROOT / STATE_MACHINE_FILE).read_text(encoding="utf-8")
    assert state_machine(synth)["DefinitionString"] == asl


def test_every_placeholder_has_a_substitution_and_every_substitution_is_used(synth: Synth) -> None:
    props = state_machine(synth)
    used = set(PLACEHOLDER.findall(props["DefinitionString"]))
    substitutions = props["DefinitionSubstitutions"]
    assert used == set(substitutions)
    timeouts = {"ShipmentTimeoutSeconds", "ReviewTimeoutSeconds"}
    assert {f"{name}FunctionArn" for name in IN_STATE_MACHINE} | timeouts == set(substitutions)


def test_substituted_definition_is_valid_json(synth: Synth) -> None:
    props = state_machine(synth)
    values = dict.fromkeys(props["DefinitionSubstitutions"], "arn:aws:lambda:cn-north-1:000000000000:function:x")
    for timeout in ("ShipmentTimeoutSeconds", "ReviewTimeoutSeconds"):
        values[timeout] = props["DefinitionSubstitutions"][timeout]
    resolved = PLACEHOLDER.sub(lambda m: values[m.group(1)], props["DefinitionString"])
    assert "States" in json.loads(resolved)


def test_function_arn_substitutions_point_at_the_functions(synth: Synth) -> None:
    substitutions = state_machine(synth)["DefinitionSubstitutions"]
    for name in IN_STATE_MACHINE:
        assert substitutions[f"{name}FunctionArn"] == {"Fn::GetAtt": [f"{name}Function", "Arn"]}
    assert int(substitutions["ShipmentTimeoutSeconds"]) > 0
    assert int(substitutions["ReviewTimeoutSeconds"]) > 0


def test_logging_all_and_tracing(synth: Synth) -> None:
    props = state_machine(synth)
    assert props["LoggingConfiguration"]["Level"] == "ALL"
    (destination,) = props["LoggingConfiguration"]["Destinations"]
    assert ref_id(destination["CloudWatchLogsLogGroup"]["LogGroupArn"]) == "OrderFulfilmentLogGroup"
    assert props["TracingConfiguration"] == {"Enabled": True}


def test_role_may_invoke_exactly_the_in_state_machine_functions(synth: Synth) -> None:
    role_id = ref_id(state_machine(synth)["RoleArn"])
    invokable = {
        ref_id(resource)
        for statement in role_statements(synth, role_id)
        if "lambda:InvokeFunction" in as_list(statement["Action"])
        for resource in as_list(statement["Resource"])
    }
    assert invokable == {f"{name}Function" for name in IN_STATE_MACHINE}
