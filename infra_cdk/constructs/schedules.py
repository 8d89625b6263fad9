"""EventBridge Scheduler: one schedule per poller, every `poll_every_minutes`, with a role, a DLQ and a
retry policy. The poller itself also has an asynchronous-invocation DLQ (see functions.py)."""

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as scheduler_targets
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra_cdk.constructs.queues import dead_letter_queue
from infra_cdk.nag import acknowledge
from infra_cdk.naming import pascal, pin_logical_id
from infra_cdk.specs import LambdaSpec

SCHEDULE_RETRIES = 3
# A poll older than its interval is superseded by the next one; never deliver a stale invocation late.
MIN_EVENT_AGE = Duration.minutes(1)


class PollSchedules(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        specs: list[LambdaSpec],
        functions: dict[str, lambda_.Function],
    ) -> None:
        super().__init__(scope, construct_id)
        self.dead_letter_queues: list[sqs.Queue] = []
        self.schedules: dict[str, scheduler.Schedule] = {}
        for spec in specs:
            if spec.poll_every_minutes is not None:
                self._schedule(spec, functions[spec.name])

    def _schedule(self, spec: LambdaSpec, function: lambda_.IFunction) -> None:
        assert spec.channel is not None and spec.poll_every_minutes is not None
        prefix = f"{pascal(spec.channel)}PollSchedule"
        dlq = dead_letter_queue(
            self,
            f"{prefix}DeadLetterQueue",
            purpose=f"invocations of {spec.name} that the scheduler could not deliver",
            target_dlq=True,
        )
        role = iam.Role(
            self,
            f"{prefix}Role",
            assumed_by=iam.ServicePrincipal("scheduler.amazonaws.com"),
            description=f"EventBridge Scheduler: invoke {spec.name}, dead-letter to its DLQ",
        )
        pin_logical_id(role, f"{prefix}Role")
        interval = Duration.minutes(spec.poll_every_minutes)
        schedule = scheduler.Schedule(
            self,
            prefix,
            description=f"Poll {spec.channel} every {spec.poll_every_minutes} min",
            schedule=scheduler.ScheduleExpression.rate(interval),
            target=scheduler_targets.LambdaInvoke(
                function,
                role=role,
                dead_letter_queue=dlq,
                retry_attempts=SCHEDULE_RETRIES,
                max_event_age=max(interval, MIN_EVENT_AGE, key=lambda d: d.to_seconds()),
            ),
        )
        pin_logical_id(schedule, prefix)
        acknowledge(
            role,
            f"AwsSolutions-IAM5[Resource::<{spec.name}Function.Arn>:*]",
            "Added by the CDK Scheduler target: lambda:InvokeFunction on this one function and its "
            "versions/aliases (`<arn>:*`); no other function is reachable.",
        )
        self.schedules[spec.channel] = schedule
        self.dead_letter_queues.append(dlq)
