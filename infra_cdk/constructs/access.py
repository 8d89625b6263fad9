"""Least-privilege IAM statements for each `Access` / `Grant` value: explicit actions, explicit resources."""

from collections.abc import Iterable
from dataclasses import dataclass

from aws_cdk import Aws
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager

from functions.catalog import Access
from infra_cdk.specs import Grant, LambdaSpec

TABLE_READ = ("dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:ConditionCheckItem")
TABLE_WRITE = (
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem",
)
SECRET_READ = ("secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret")
IDEMPOTENCY_RW = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem")
CHECKPOINTS_RW = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query")
TASK_RESPONSE = ("states:SendTaskSuccess", "states:SendTaskFailure", "states:SendTaskHeartbeat")


@dataclass(frozen=True)
class HubResources:
    """What functions may be granted access to; the state machine is known by its ARN only (no cycle)."""

    orders: dynamodb.ITableV2
    inventory: dynamodb.ITableV2
    checkpoints: dynamodb.ITableV2
    idempotency: dynamodb.ITableV2
    raw_bucket: s3.IBucket
    raw_key: kms.IKey
    bus: events.IEventBus
    channel_secrets: dict[str, secretsmanager.ISecret]
    state_machine_name: str

    @property
    def state_machine_arn(self) -> str:
        """Always built from the pseudo parameters, so the template expresses it the same way in every env."""
        return f"arn:{Aws.PARTITION}:states:{Aws.REGION}:{Aws.ACCOUNT_ID}:stateMachine:{self.state_machine_name}"

    @property
    def executions_arn(self) -> str:
        return f"arn:{Aws.PARTITION}:states:{Aws.REGION}:{Aws.ACCOUNT_ID}:execution:{self.state_machine_name}:*"


def statements_for(spec: LambdaSpec, res: HubResources) -> list[iam.PolicyStatement]:
    found: list[iam.PolicyStatement] = []
    for permission in sorted(spec.access):
        found.extend(_statements(permission, spec, res))
    return found


def wildcard_findings(spec: LambdaSpec, res: HubResources) -> list[tuple[str, str]]:
    """The cdk-nag IAM5 findings `statements_for` produces on purpose, each with why the wildcard is needed."""
    found: list[tuple[str, str]] = []
    if Access.RAW_READ in spec.access:
        found.append(
            (
                "AwsSolutions-IAM5[Resource::<RawBucket.Arn>/*]",
                "Reads archived payloads by key; keys are `{channel}/{kind}/{date}/{sha256}.json`, not known "
                "in advance. Only s3:GetObject on this one bucket.",
            )
        )
    if Grant.RAW_WRITE in spec.access:
        found.append(
            (
                f"AwsSolutions-IAM5[Resource::<RawBucket.Arn>/{spec.channel}/*]",
                f"Archives raw payloads under its own `{spec.channel}/` prefix; keys end in the payload's "
                "date and sha256, so they cannot be listed in advance. Only s3:PutObject.",
            )
        )
    if Access.STATES_START in spec.access:
        found.append(
            (
                "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:"
                f"execution:{res.state_machine_name}:*]",
                "Describes/stops executions of this one state machine; execution names derive from order "
                "keys (hubcore.naming.execution_name), so they cannot be listed in advance.",
            )
        )
    return found


def _allow(actions: Iterable[str], resources: Iterable[str]) -> iam.PolicyStatement:
    return iam.PolicyStatement(actions=sorted(set(actions)), resources=list(resources))


def _statements(permission: str, spec: LambdaSpec, res: HubResources) -> list[iam.PolicyStatement]:
    match permission:
        case Access.ORDERS_READ:
            return [_allow(TABLE_READ, [res.orders.table_arn])]
        case Access.ORDERS_WRITE:
            return [_allow(TABLE_WRITE, [res.orders.table_arn])]
        case Access.INVENTORY_READ:
            return [_allow(TABLE_READ, [res.inventory.table_arn])]
        case Access.INVENTORY_WRITE:
            return [_allow(TABLE_WRITE, [res.inventory.table_arn])]
        case Access.INVENTORY_SCAN:
            return [_allow(("dynamodb:Scan",), [res.inventory.table_arn])]
        case Access.IDEMPOTENCY:
            return [_allow(IDEMPOTENCY_RW, [res.idempotency.table_arn])]
        case Grant.CHECKPOINTS:
            return [_allow(CHECKPOINTS_RW, [res.checkpoints.table_arn])]
        case Access.BUS_PUT:
            return [_allow(["events:PutEvents"], [res.bus.event_bus_arn])]
        case Access.RAW_READ:
            return [
                _allow(["s3:GetObject"], [res.raw_bucket.arn_for_objects("*")]),
                _allow(["kms:Decrypt"], [res.raw_key.key_arn]),
            ]
        case Grant.RAW_WRITE:
            return [
                _allow(["s3:PutObject"], [res.raw_bucket.arn_for_objects(f"{spec.channel}/*")]),
                _allow(["kms:GenerateDataKey", "kms:Decrypt"], [res.raw_key.key_arn]),
            ]
        case Access.CHANNEL_SECRETS:
            secrets = [secret.secret_arn for _, secret in sorted(res.channel_secrets.items())]
            return [_allow(SECRET_READ, secrets)] if secrets else []
        case Grant.OWN_CHANNEL_SECRET:
            assert spec.channel is not None, f"{spec.name} has no channel"
            return [_allow(SECRET_READ, [res.channel_secrets[spec.channel].secret_arn])]
        case Access.STATES_START:
            return [
                _allow(["states:StartExecution"], [res.state_machine_arn]),
                _allow(["states:DescribeExecution", "states:StopExecution"], [res.executions_arn]),
            ]
        case Access.STATES_CALLBACK:
            return [_allow(TASK_RESPONSE, [res.state_machine_arn])]
    raise ValueError(f"no IAM mapping for permission {permission!r} of {spec.name}")
