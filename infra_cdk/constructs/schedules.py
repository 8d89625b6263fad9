"""EventBridge Scheduler: one schedule per poller, every `poll_every_minutes`, and one per catalog function
with a `schedule` (the stock ledger's sweeper and audit), each with a role, a DLQ and a retry policy. The
function itself also has an asynchronous-invocation DLQ (see functions.py)."""

import re

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as scheduler_targets
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from functions.catalog import FUNCTIONS
from infra_cdk.constructs.queues import dead_letter_queue
from infra_cdk.nag import acknowledge
from infra_cdk.naming import pascal, pin_logical_id
from infra_cdk.specs import Kind, LambdaSpec

SCHEDULE_RETRIES = 3
# A poll older than its interval is superseded by the next one; never deliver a stale invocation late.
MIN_EVENT_AGE = Duration.minutes(1)
_RATE = re.compile(r"rate\((\d+) (minute|minutes|hour|hours)\)")


def core_schedule(spec: LambdaSpec) -> str | None:
    """The schedule expression of a catalog function (LambdaSpec does not carry it), or None."""
    if spec.kind is not Kind.CATALOG:
        return None
    return next((f.schedule for f in FUNCTIONS if f.name == spec.name), None)


def _interval(expression: str) -> Duration:
    match = _RATE.fullmatch(expression)
    if not match:
        raise ValueError(f"catalog schedules are rate(N minutes|hours), got {expression!r}")
    count = int(match.group(1))
    return Duration.hours(count) if match.group(2).startswith("hour") else Duration.minutes(count)


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
                assert spec.channel is not None
                interval = Duration.minutes(spec.poll_every_minutes)
                description = f"Poll {spec.channel} every {spec.poll_every_minutes} min"
                prefix = f"{pascal(spec.channel)}PollSchedule"
                expression = scheduler.ScheduleExpression.rate(interval)
                self.schedules[spec.channel] = self._schedule(
                    spec, functions[spec.name], prefix, expression, interval, description
                )
            elif (core := core_schedule(spec)) is not None:
                self.schedules[spec.name] = self._schedule(
                    spec,
                    functions[spec.name],
                    f"{spec.name}Schedule",
                    scheduler.ScheduleExpression.expression(core),
                    _interval(core),
                    f"Run {spec.name} on {core}",
                )

    def _schedule(
        self,
        spec: LambdaSpec,
        function: lambda_.IFunction,
        prefix: str,
        expression: scheduler.ScheduleExpression,
        interval: Duration,
        description: str,
    ) -> scheduler.Schedule:
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
        schedule = scheduler.Schedule(
            self,
            prefix,
            description=description,
            schedule=expression,
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
        self.dead_letter_queues.append(dlq)
        return schedule
