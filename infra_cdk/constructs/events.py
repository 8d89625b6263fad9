"""Event delivery to consumers: bus rule -> SQS queue (DLQ, maxReceiveCount 5) -> Lambda with partial batch
failures. The rule's target has its own DLQ for events EventBridge could not deliver to the queue."""

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra_cdk.constructs.queues import dead_letter_queue, secure_queue
from infra_cdk.naming import pin_logical_id
from infra_cdk.specs import LambdaSpec

BATCH_SIZE = 10
VISIBILITY_FACTOR = 6  # AWS guidance: queue visibility timeout >= 6x the function timeout
RULE_RETRIES = 8
RULE_MAX_EVENT_AGE = Duration.hours(24)


class EventSubscriptions(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        bus: events.IEventBus,
        specs: list[LambdaSpec],
        functions: dict[str, lambda_.Function],
    ) -> None:
        super().__init__(scope, construct_id)
        self.dead_letter_queues: list[sqs.Queue] = []
        self.queues: dict[str, sqs.Queue] = {}
        for spec in specs:
            if spec.consumes:
                self._subscribe(bus, spec, functions[spec.name])

    def _subscribe(self, bus: events.IEventBus, spec: LambdaSpec, function: lambda_.Function) -> None:
        name = spec.name
        dlq = dead_letter_queue(self, f"{name}DeadLetterQueue", purpose=f"{name} queue")
        queue = secure_queue(
            self,
            f"{name}Queue",
            visibility_timeout=Duration.seconds(spec.timeout_seconds * VISIBILITY_FACTOR),
            dead_letter_queue=dlq,
        )
        rule_dlq = dead_letter_queue(
            self,
            f"{name}RuleDeadLetterQueue",
            purpose=f"events the {name} rule could not deliver to its queue",
            target_dlq=True,
        )
        rule = events.Rule(
            self,
            f"{name}Rule",
            event_bus=bus,
            description=f"{', '.join(spec.consumes)} -> {name}",
            event_pattern=events.EventPattern(detail_type=list(spec.consumes)),
            targets=[
                targets.SqsQueue(
                    queue,
                    dead_letter_queue=rule_dlq,
                    retry_attempts=RULE_RETRIES,
                    max_event_age=RULE_MAX_EVENT_AGE,
                )
            ],
        )
        pin_logical_id(rule, f"{name}Rule")
        mapping = function.add_event_source_mapping(
            f"{name}EventSourceMapping",
            event_source_arn=queue.queue_arn,
            batch_size=BATCH_SIZE,
            report_batch_item_failures=True,
        )
        queue.grant_consume_messages(function)
        pin_logical_id(mapping, f"{name}EventSourceMapping")
        self.queues[name] = queue
        self.dead_letter_queues.extend([dlq, rule_dlq])
