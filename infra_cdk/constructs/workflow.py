"""The order-fulfilment state machine, loaded from its ASL file (the same file the local hub runs).

The definition goes into the template inline (`DefinitionString`) with its `${...}` placeholders left in place
and resolved by CloudFormation from `DefinitionSubstitutions`: `<Name>FunctionArn` for every catalog function
with `in_state_machine=True`, `ShipmentTimeoutSeconds` and `ReviewTimeoutSeconds`. (`DefinitionBody.from_file`
would upload the file as an S3 asset and leave only `DefinitionS3Location` in the template, which the local
hub could not read.) A loaded file infers no permissions, so invoking the functions is granted explicitly.
"""

import re
from pathlib import Path

from aws_cdk import Annotations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra_cdk.config import HubConfig
from infra_cdk.constructs.log_groups import log_group
from infra_cdk.nag import acknowledge
from infra_cdk.naming import pin_logical_id

PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_]+)\}")
SHIPMENT_TIMEOUT = "ShipmentTimeoutSeconds"
REVIEW_TIMEOUT = "ReviewTimeoutSeconds"


def function_arn_key(name: str) -> str:
    return f"{name}FunctionArn"


def placeholders(definition: str) -> set[str]:
    return set(PLACEHOLDER.findall(definition))


class OrderWorkflow(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        state_machine_name: str,
        asl_file: Path,
        functions: dict[str, lambda_.IFunction],
        config: HubConfig,
    ) -> None:
        super().__init__(scope, construct_id)
        definition = asl_file.read_text(encoding="utf-8")
        substitutions = {function_arn_key(name): fn.function_arn for name, fn in sorted(functions.items())}
        substitutions[SHIPMENT_TIMEOUT] = str(config.shipment_timeout_seconds)
        substitutions[REVIEW_TIMEOUT] = str(config.review_timeout_seconds)
        self._check_placeholders(asl_file, definition, substitutions)

        role = iam.Role(
            self,
            "OrderFulfilmentRole",
            assumed_by=iam.ServicePrincipal("states.amazonaws.com"),
            description="order-fulfilment: invokes its step functions, writes logs and traces",
        )
        pin_logical_id(role, "OrderFulfilmentRole")
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["lambda:InvokeFunction"],
                resources=[fn.function_arn for _, fn in sorted(functions.items())],
            )
        )
        logs = log_group(
            self,
            "OrderFulfilmentLogGroup",
            config=config,
            name=f"/aws/vendedlogs/states/{state_machine_name}",
        )
        self.state_machine = sfn.StateMachine(
            self,
            "OrderFulfilmentStateMachine",
            state_machine_name=state_machine_name,
            state_machine_type=sfn.StateMachineType.STANDARD,
            definition_body=sfn.DefinitionBody.from_string(definition),
            definition_substitutions=substitutions,
            role=role,
            logs=sfn.LogOptions(destination=logs, level=sfn.LogLevel.ALL, include_execution_data=False),
            tracing_enabled=True,
        )
        pin_logical_id(self.state_machine, "OrderFulfilmentStateMachine")
        acknowledge(
            role,
            "AwsSolutions-IAM5[Resource::*]",
            "CloudWatch Logs delivery (logs:CreateLogDelivery, ...) and X-Ray sampling/trace actions used by "
            "Step Functions logging and tracing support no resource-level permissions.",
        )

    def _check_placeholders(self, asl_file: Path, definition: str, substitutions: dict[str, str]) -> None:
        used = placeholders(definition)
        missing = sorted(used - substitutions.keys())
        if missing:
            raise ValueError(
                f"{asl_file} uses placeholders with no value: {missing}; every `${{<Name>FunctionArn}}` must name "
                "a catalog function with in_state_machine=True"
            )
        unused = sorted(substitutions.keys() - used)
        if unused:
            Annotations.of(self).add_warning_v2(
                "omnihub:unused-substitution",
                f"{asl_file.name} does not use {unused}; the state machine may still invoke those functions",
            )
