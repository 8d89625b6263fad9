"""SQS queues built one way: SSE-SQS encryption, TLS enforced, fixed logical id."""

from aws_cdk import Duration
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra_cdk.nag import acknowledge
from infra_cdk.naming import pin_logical_id

MAX_RECEIVE_COUNT = 5


def secure_queue(
    scope: Construct,
    logical_id: str,
    *,
    visibility_timeout: Duration,
    dead_letter_queue: sqs.IQueue,
) -> sqs.Queue:
    queue = sqs.Queue(
        scope,
        logical_id,
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
        visibility_timeout=visibility_timeout,
        retention_period=Duration.days(4),
        dead_letter_queue=sqs.DeadLetterQueue(queue=dead_letter_queue, max_receive_count=MAX_RECEIVE_COUNT),
    )
    pin_logical_id(queue, logical_id)
    return queue


def dead_letter_queue(scope: Construct, logical_id: str, *, purpose: str, target_dlq: bool = False) -> sqs.Queue:
    """A DLQ that keeps messages 14 days (the SQS maximum) for inspection and redrive.

    `target_dlq=True` marks the DLQ of an EventBridge rule target or a Scheduler target: cdk-nag recognises
    queues named in a RedrivePolicy or a Lambda DeadLetterConfig as DLQs, but not these."""
    queue = sqs.Queue(
        scope,
        logical_id,
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
        retention_period=Duration.days(14),
    )
    pin_logical_id(queue, logical_id)
    if target_dlq:
        acknowledge(
            queue,
            "AwsSolutions-SQS3",
            f"This queue is itself a dead-letter queue ({purpose}); AWS delivers to it through the "
            "target's DeadLetterConfig, not a RedrivePolicy, so cdk-nag does not recognise it as one.",
        )
    return queue
