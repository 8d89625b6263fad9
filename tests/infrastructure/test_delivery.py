"""Every asynchronous path has a DLQ, and every DLQ has an alarm."""

from typing import Any

import pytest

from connectors.registry import manifests
from functions.catalog import FUNCTIONS
from infra_cdk.naming import pascal
from tests.infrastructure.conftest import Synth, ref_id

pytestmark = pytest.mark.xdist_group("cdk")

CONSUMERS = [spec for spec in FUNCTIONS if spec.consumes]
POLLERS = {channel: m for channel, m in manifests().items() if m.poll_handler}


def queue_ssl_enforced(synth: Synth, queue_id: str) -> bool:
    for policy in synth.of_type("AWS::SQS::QueuePolicy").values():
        if queue_id in [ref_id(q) for q in policy["Properties"]["Queues"]]:
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
                if statement["Effect"] == "Deny" and statement.get("Condition") == {
                    "Bool": {"aws:SecureTransport": "false"}
                }:
                    return True
    return False


def dead_letter_queue_ids(synth: Synth) -> set[str]:
    """Every queue used as a DLQ anywhere: redrive, rule targets, schedules, Lambda async invokes."""
    found = set()
    for queue in synth.of_type("AWS::SQS::Queue").values():
        redrive = queue["Properties"].get("RedrivePolicy")
        if redrive:
            found.add(ref_id(redrive["deadLetterTargetArn"]))
    for rule in synth.of_type("AWS::Events::Rule").values():
        found |= {ref_id(t["DeadLetterConfig"]["Arn"]) for t in rule["Properties"]["Targets"]}
    for schedule in synth.of_type("AWS::Scheduler::Schedule").values():
        found.add(ref_id(schedule["Properties"]["Target"]["DeadLetterConfig"]["Arn"]))
    for function in synth.of_type("AWS::Lambda::Function").values():
        if "DeadLetterConfig" in function["Properties"]:
            found.add(ref_id(function["Properties"]["DeadLetterConfig"]["TargetArn"]))
    return found


def test_every_queue_is_encrypted_and_refuses_plain_http(synth: Synth) -> None:
    for queue_id, queue in synth.of_type("AWS::SQS::Queue").items():
        assert queue["Properties"]["SqsManagedSseEnabled"] is True
        assert queue_ssl_enforced(synth, queue_id), queue_id


def test_every_sqs_event_source_has_a_dlq_and_reports_batch_item_failures(synth: Synth) -> None:
    mappings = synth.of_type("AWS::Lambda::EventSourceMapping")
    assert len(mappings) == len(CONSUMERS)
    for mapping in mappings.values():
        props = mapping["Properties"]
        assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        queue = synth.resources[ref_id(props["EventSourceArn"])]
        redrive = queue["Properties"]["RedrivePolicy"]
        assert redrive["maxReceiveCount"] == 5
        assert synth.resources[ref_id(redrive["deadLetterTargetArn"])]["Type"] == "AWS::SQS::Queue"
        function_timeout = synth.resources[ref_id(props["FunctionName"])]["Properties"]["Timeout"]
        assert queue["Properties"]["VisibilityTimeout"] >= 6 * function_timeout


@pytest.mark.parametrize("spec", CONSUMERS, ids=lambda s: s.name)
def test_consumer_rule_routes_its_detail_types_to_its_queue(synth: Synth, spec: Any) -> None:
    rule = synth.resources[f"{spec.name}Rule"]["Properties"]
    assert ref_id(rule["EventBusName"]) == "EventBus"
    assert sorted(rule["EventPattern"]["detail-type"]) == sorted(spec.consumes)
    (target,) = rule["Targets"]
    assert ref_id(target["Arn"]) == f"{spec.name}Queue"
    mapping = synth.resources[f"{spec.name}EventSourceMapping"]["Properties"]
    assert ref_id(mapping["EventSourceArn"]) == f"{spec.name}Queue"
    assert ref_id(mapping["FunctionName"]) == f"{spec.name}Function"


def test_every_rule_target_has_a_dlq_and_retry_policy(synth: Synth) -> None:
    for rule in synth.of_type("AWS::Events::Rule").values():
        for target in rule["Properties"]["Targets"]:
            assert synth.resources[ref_id(target["DeadLetterConfig"]["Arn"])]["Type"] == "AWS::SQS::Queue"
            assert target["RetryPolicy"]["MaximumRetryAttempts"] > 0


def test_one_schedule_per_poller_with_role_dlq_and_retries(synth: Synth) -> None:
    schedules = synth.of_type("AWS::Scheduler::Schedule")
    polls = sorted(k for k in schedules if k.endswith("PollSchedule"))
    assert polls == sorted(f"{pascal(channel)}PollSchedule" for channel in POLLERS)
    for channel, manifest in POLLERS.items():
        props = schedules[f"{pascal(channel)}PollSchedule"]["Properties"]
        minutes = manifest.poll_every_minutes
        assert props["ScheduleExpression"] == f"rate({minutes} minute{'s' if minutes != 1 else ''})"
        assert props["State"] == "ENABLED"
        target = props["Target"]
        assert ref_id(target["Arn"]) == f"{pascal(channel)}PollerFunction"
        assert ref_id(target["RoleArn"]) == f"{pascal(channel)}PollScheduleRole"
        assert ref_id(target["DeadLetterConfig"]["Arn"]) == f"{pascal(channel)}PollScheduleDeadLetterQueue"
        assert target["RetryPolicy"]["MaximumRetryAttempts"] > 0


def test_an_alarm_watches_every_dead_letter_queue(synth: Synth) -> None:
    dlqs = dead_letter_queue_ids(synth)
    assert dlqs, "expected dead-letter queues"
    watched = set()
    for alarm in synth.of_type("AWS::CloudWatch::Alarm").values():
        props = alarm["Properties"]
        if props.get("MetricName") != "ApproximateNumberOfMessagesVisible":
            continue
        assert props["Threshold"] == 1 and props["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
        assert [ref_id(a) for a in props["AlarmActions"]] == ["AlarmTopic"]
        (dimension,) = props["Dimensions"]
        watched.add(ref_id(dimension["Value"]))
    assert dlqs <= watched


def test_state_machine_failures_alarm_to_the_encrypted_topic(synth: Synth) -> None:
    alarm = synth.resources["OrderFulfilmentFailedAlarm"]["Properties"]
    assert alarm["MetricName"] == "ExecutionsFailed" and alarm["Namespace"] == "AWS/States"
    assert alarm["Threshold"] == 1
    assert [ref_id(a) for a in alarm["AlarmActions"]] == ["AlarmTopic"]
    assert ref_id(synth.resources["AlarmTopic"]["Properties"]["KmsMasterKeyId"]) == "AlarmTopicKey"
