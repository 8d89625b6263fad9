"""Local and cloud agree: what the local hub provisions in moto is what the synthesized template declares."""

import json

import pytest

from localhub.demo import Platform

pytestmark = pytest.mark.xdist_group("localhub")


def test_every_table_has_the_template_key_schema(platform: Platform) -> None:
    dynamodb = platform.hub.client("dynamodb")
    for table in platform.hub.topology.tables:
        name = platform.hub.resources.refs[table.logical_id]
        described = dynamodb.describe_table(TableName=name)["Table"]
        assert described["KeySchema"] == table.properties["KeySchema"], table.logical_id


def test_every_rule_routes_the_template_pattern_to_the_template_queue(platform: Platform) -> None:
    events = platform.hub.client("events")
    resolve = platform.hub.resources.resolver().resolve
    for rule in platform.hub.topology.rules:
        bus = resolve(rule.bus_ref)
        described = events.describe_rule(Name=rule.logical_id[:64], EventBusName=bus)
        assert json.loads(described["EventPattern"]) == rule.pattern
        targets = events.list_targets_by_rule(Rule=rule.logical_id[:64], EventBusName=bus)["Targets"]
        assert {t["Arn"] for t in targets} == {resolve(t["Arn"]) for t in rule.targets}


def test_functions_routes_and_state_machine_come_from_the_template(platform: Platform) -> None:
    lambda_ = platform.hub.client("lambda")
    deployed = {f["FunctionName"]: f["Handler"] for f in lambda_.list_functions()["Functions"]}
    declared = {platform.hub.resources.refs[f.logical_id]: f.handler for f in platform.hub.topology.functions}
    assert deployed == declared
    served = {(r.method, r.resource) for r in platform.hub.front_door.routes}
    assert served == {(r.method, r.path) for r in platform.hub.topology.routes}
    sfn = platform.hub.client("stepfunctions")
    (machine,) = platform.hub.topology.state_machines
    definition = sfn.describe_state_machine(
        stateMachineArn=platform.hub.resources.state_machine_arns[machine.logical_id]
    )["definition"]
    assert "${" not in definition
    assert set(json.loads(definition)["States"]) == set(json.loads(_substituted(machine))["States"])


def _substituted(machine) -> str:
    text = str(machine.definition)
    for key in machine.substitutions:
        text = text.replace("${" + key + "}", "0" if key.endswith("Seconds") else "arn:aws:lambda:x")
    return text
