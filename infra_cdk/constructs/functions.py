"""One Lambda per catalog function and per connector webhook/poller, each with its own role and log group.

Every function gets the same runtime, architecture, logging and tracing, the OMNIHUB_* resource names,
and IAM statements derived from its `Access` values. Functions that start or resume the workflow get
OMNIHUB_STATE_MACHINE_ARN computed from the state machine's fixed name, so the state machine (which
references the functions it invokes) and those functions never depend on each other.
"""

from typing import cast

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra_cdk.config import HubConfig
from infra_cdk.constructs.access import HubResources, statements_for, wildcard_findings
from infra_cdk.constructs.log_groups import log_group
from infra_cdk.constructs.packaging import ARCHITECTURE, RUNTIME, LambdaPackaging
from infra_cdk.constructs.queues import dead_letter_queue
from infra_cdk.constructs.schedules import core_schedule
from infra_cdk.constructs.secrets import SECRET_PREFIX
from infra_cdk.nag import acknowledge
from infra_cdk.naming import pin_logical_id
from infra_cdk.specs import Kind, LambdaSpec

POWERTOOLS_SERVICE = "omnihub"
POWERTOOLS_NAMESPACE = "OmniHub"
POLLER_ASYNC_RETRIES = 2


def hub_environment(res: HubResources, spec: LambdaSpec) -> dict[str, str]:
    """The environment of `spec`: every resource name (hubcore.settings.HubSettings) plus the workflow's ARN."""
    env = {
        "OMNIHUB_ORDERS_TABLE": res.orders.table_name,
        "OMNIHUB_INVENTORY_TABLE": res.inventory.table_name,
        "OMNIHUB_CHECKPOINTS_TABLE": res.checkpoints.table_name,
        "OMNIHUB_IDEMPOTENCY_TABLE": res.idempotency.table_name,
        "OMNIHUB_RAW_BUCKET": res.raw_bucket.bucket_name,
        "OMNIHUB_EVENT_BUS": res.bus.event_bus_name,
        "OMNIHUB_CHANNEL_SECRET_PREFIX": SECRET_PREFIX,
        "POWERTOOLS_SERVICE_NAME": POWERTOOLS_SERVICE,
        "POWERTOOLS_METRICS_NAMESPACE": POWERTOOLS_NAMESPACE,
    }
    if spec.needs_state_machine_arn:
        env["OMNIHUB_STATE_MACHINE_ARN"] = res.state_machine_arn
    return env


class HubFunctions(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        specs: list[LambdaSpec],
        resources: HubResources,
        packaging: LambdaPackaging,
        config: HubConfig,
    ) -> None:
        super().__init__(scope, construct_id)
        self._resources = resources
        self._packaging = packaging
        self._config = config
        self.specs = {spec.name: spec for spec in specs}
        self.dead_letter_queues: list[sqs.Queue] = []
        self.by_name: dict[str, lambda_.Function] = {spec.name: self._function(spec) for spec in specs}

    def _function(self, spec: LambdaSpec) -> lambda_.Function:
        role = iam.Role(
            self,
            f"{spec.name}FunctionRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"OmniHub {spec.name}: least privilege from its access list",
        )
        pin_logical_id(role, f"{spec.name}FunctionRole")
        for statement in statements_for(spec, self._resources):
            role.add_to_policy(statement)
        logs = log_group(self, f"{spec.name}FunctionLogGroup", config=self._config)
        async_dlq = None
        if spec.kind is Kind.POLLER or core_schedule(spec):  # invoked asynchronously by EventBridge Scheduler
            async_dlq = dead_letter_queue(
                self,
                f"{spec.name}AsyncDeadLetterQueue",
                purpose=f"failed asynchronous invocations of {spec.name}",
            )
            self.dead_letter_queues.append(async_dlq)
        function = lambda_.Function(
            self,
            f"{spec.name}Function",
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            handler=spec.handler,
            code=self._packaging.code,
            layers=[self._packaging.layer],
            description=spec.description,
            timeout=Duration.seconds(spec.timeout_seconds),
            memory_size=spec.memory_mb,
            role=role,
            environment=hub_environment(self._resources, spec),
            tracing=lambda_.Tracing.ACTIVE,
            logging_format=lambda_.LoggingFormat.JSON,
            application_log_level_v2=lambda_.ApplicationLogLevel.INFO,
            system_log_level_v2=lambda_.SystemLogLevel.WARN,
            log_group=logs,
            dead_letter_queue=async_dlq,
            retry_attempts=POLLER_ASYNC_RETRIES if async_dlq else None,
        )
        pin_logical_id(function, f"{spec.name}Function")
        logs.grant_write(role)
        cast(lambda_.CfnFunction, function.node.default_child).add_metadata("OmniHub", _describe(spec))
        acknowledge(
            function,
            "AwsSolutions-L1",
            "Pinned to python3.12 on purpose: the dependency layer holds cp312 manylinux wheels "
            "(requirements-lambda.lock, Makefile `layer`); moving the runtime means rebuilding the layer.",
        )
        for rule, reason in wildcard_findings(spec, self._resources):
            acknowledge(role, rule, reason)
        acknowledge(
            role,
            "AwsSolutions-IAM5[Resource::*]",
            "X-Ray PutTraceSegments/PutTelemetryRecords (tracing ACTIVE) support no resource-level permissions.",
        )
        return function


def _describe(spec: LambdaSpec) -> dict[str, object]:
    """CloudFormation Metadata `OmniHub` on each function: how the local hub wires it without guessing."""
    described: dict[str, object] = {"name": spec.name, "kind": spec.kind.value}
    if spec.channel:
        described["channel"] = spec.channel
    if spec.in_state_machine:
        described["in_state_machine"] = True
    routes = [*spec.public_routes, *spec.api_routes]
    if routes:
        described["routes"] = routes
    if spec.consumes:
        described["consumes"] = list(spec.consumes)
    if spec.poll_every_minutes is not None:
        described["poll_every_minutes"] = spec.poll_every_minutes
    schedule = core_schedule(spec)
    if schedule:
        described["schedule"] = schedule
    return described
