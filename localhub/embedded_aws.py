"""moto as the embedded AWS: one in-process moto server, provisioned from the CDK template.

Functions keep their production code path: boto3 reaches this server through `AWS_ENDPOINT_URL`.
`MOTO_PORT` must equal the server's port, because moto's Step Functions interpreter calls Lambda back
through it. Lambda invocations are routed to the in-process handlers by `localhub.moto_shims`.
"""

import io
import json
import logging
import os
import socket
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import boto3
import httpx
from moto import mock_aws
from moto.server import ThreadedMotoServer

from hubcore.aws import reset_clients
from hubcore.settings import reset_settings
from localhub.topology import ACCOUNT, REGION, QueueSpec, Resolver, Topology

LOCAL_PREFIX = "omnihub-local"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class LocalResources:
    """Local physical names of what the template declares, by logical id."""

    refs: dict[str, str] = field(default_factory=dict)
    arns: dict[str, str] = field(default_factory=dict)
    attrs: dict[tuple[str, str], str] = field(default_factory=dict)
    function_handlers: dict[str, str] = field(default_factory=dict)  # function name -> handler string
    function_env: dict[str, dict[str, str]] = field(default_factory=dict)
    queue_urls: dict[str, str] = field(default_factory=dict)  # logical id -> url
    state_machine_arns: dict[str, str] = field(default_factory=dict)

    def resolver(self) -> Resolver:
        return Resolver(self.refs, self.arns, self.attrs)


class EmbeddedAws:
    """moto, either in this process (`serve=False`: botocore calls are answered in-process, fastest) or as a
    server on a local port (`serve=True`: other tools such as the AWS CLI can reach it too)."""

    MOTO_CONFIG: dict[str, Any] = {"lambda": {"use_docker": False}, "stepfunctions": {"execute_state_machine": True}}

    def __init__(self, *, serve: bool = False, port: int | None = None) -> None:
        self.serve = serve
        self.port = port or free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}" if serve else "in-process"
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False) if serve else None
        self._mock = None if serve else mock_aws(config=self.MOTO_CONFIG)  # type: ignore[call-overload]

    def start(self) -> None:
        os.environ.update(
            {
                "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_SESSION_TOKEN": "testing",
                "AWS_DEFAULT_REGION": REGION,
                "AWS_REGION": REGION,
                "POWERTOOLS_TRACE_DISABLED": "true",
                "POWERTOOLS_METRICS_NAMESPACE": "OmniHubLocal",
            }
        )
        if self._server is not None:
            os.environ["AWS_ENDPOINT_URL"] = self.endpoint
            os.environ["MOTO_PORT"] = str(self.port)  # moto's Step Functions interpreter calls back through it
            logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's per-request access log
            self._server.start()
            httpx.post(f"{self.endpoint}/moto-api/config", json=self.MOTO_CONFIG, timeout=5).raise_for_status()
        else:
            os.environ.pop("AWS_ENDPOINT_URL", None)
            assert self._mock is not None
            self._mock.start()
        reset_clients()
        reset_settings()

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
        if self._mock is not None:
            self._mock.stop()

    def client(self, service: str) -> Any:
        if self._server is not None:
            return boto3.client(service, endpoint_url=self.endpoint, region_name=REGION)
        return boto3.client(service, region_name=REGION)


def _arn(service: str, resource: str) -> str:
    return f"arn:aws:{service}:{REGION}:{ACCOUNT}:{resource}"


def name_resources(topology: Topology, endpoint: str) -> LocalResources:
    """Give every declared resource a local physical id and ARN before anything is created."""
    local = LocalResources()
    for logical_id, resource in topology.resources.items():
        kind = resource.get("Type", "")
        props = resource.get("Properties", {})
        short = logical_id[:40]
        if kind in ("AWS::DynamoDB::GlobalTable", "AWS::DynamoDB::Table"):
            name = props.get("TableName") if isinstance(props.get("TableName"), str) else f"{LOCAL_PREFIX}-{short}"
            local.refs[logical_id], local.arns[logical_id] = name, _arn("dynamodb", f"table/{name}")
        elif kind == "AWS::S3::Bucket":
            name = f"{LOCAL_PREFIX}-{short}".lower()
            local.refs[logical_id], local.arns[logical_id] = name, f"arn:aws:s3:::{name}"
        elif kind == "AWS::Events::EventBus":
            name = props["Name"] if isinstance(props.get("Name"), str) else f"{LOCAL_PREFIX}-{short}"
            local.refs[logical_id], local.arns[logical_id] = name, _arn("events", f"event-bus/{name}")
            local.attrs[(logical_id, "Name")] = name
        elif kind == "AWS::SQS::Queue":
            name = props["QueueName"] if isinstance(props.get("QueueName"), str) else f"{LOCAL_PREFIX}-{short}"
            local.arns[logical_id] = _arn("sqs", name)
            local.refs[logical_id] = f"{endpoint}/{ACCOUNT}/{name}"
            local.attrs[(logical_id, "QueueName")] = name
            local.attrs[(logical_id, "QueueUrl")] = local.refs[logical_id]
        elif kind == "AWS::Lambda::Function":
            name = props["FunctionName"] if isinstance(props.get("FunctionName"), str) else f"{LOCAL_PREFIX}-{short}"
            local.refs[logical_id], local.arns[logical_id] = name, _arn("lambda", f"function:{name}")
        elif kind == "AWS::StepFunctions::StateMachine":
            raw_name = props.get("StateMachineName")
            name = raw_name if isinstance(raw_name, str) else f"{LOCAL_PREFIX}-{short}"
            arn = _arn("states", f"stateMachine:{name}")
            local.refs[logical_id], local.arns[logical_id] = arn, arn
            local.attrs[(logical_id, "Name")] = name
        elif kind == "AWS::SecretsManager::Secret":
            name = topology.secrets[logical_id]
            local.refs[logical_id], local.arns[logical_id] = name, _arn("secretsmanager", f"secret:{name}")
        else:
            local.refs[logical_id] = f"local-{short}"
            local.arns[logical_id] = _arn(kind.split("::")[1].lower() if "::" in kind else "local", short)
    return local


def provision(aws: EmbeddedAws, topology: Topology, secrets: Mapping[str, Mapping[str, Any]]) -> LocalResources:
    """Create in moto everything the template declares that the hub needs at run time."""
    local = name_resources(topology, aws.endpoint)
    resolve = local.resolver().resolve
    dynamodb, s3, events, sqs = aws.client("dynamodb"), aws.client("s3"), aws.client("events"), aws.client("sqs")

    for table in topology.tables:
        _create_table(dynamodb, local.refs[table.logical_id], table.properties)
    for bucket in topology.buckets:
        s3.create_bucket(Bucket=local.refs[bucket])
    for bus in topology.buses:
        events.create_event_bus(Name=local.refs[bus])
    for queue in _dead_letter_queues_first(topology.queues):
        attributes = {}
        redrive = queue.properties.get("RedrivePolicy")
        if redrive:
            attributes["RedrivePolicy"] = json.dumps(resolve(redrive))
        if "VisibilityTimeout" in queue.properties:
            attributes["VisibilityTimeout"] = str(queue.properties["VisibilityTimeout"])
        name = local.attrs[(queue.logical_id, "QueueName")]
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        local.queue_urls[queue.logical_id] = url
        local.refs[queue.logical_id] = url
    secretsmanager = aws.client("secretsmanager")
    for name in topology.secrets.values():
        secretsmanager.create_secret(Name=name, SecretString=json.dumps(secrets.get(name, {})))
    _create_functions(aws, topology, local)
    _create_state_machines(aws, topology, local)
    for rule in topology.rules:
        bus = resolve(rule.bus_ref) if rule.bus_ref else "default"
        events.put_rule(Name=rule.logical_id[:64], EventBusName=bus, EventPattern=json.dumps(rule.pattern))
        targets = [{"Id": str(t.get("Id", i)), "Arn": resolve(t["Arn"])} for i, t in enumerate(rule.targets)]
        events.put_targets(Rule=rule.logical_id[:64], EventBusName=bus, Targets=targets)
    return local


def _dead_letter_queues_first(queues: list[QueueSpec]) -> list[QueueSpec]:
    return sorted(queues, key=lambda q: "RedrivePolicy" in q.properties)


def _create_table(dynamodb: Any, name: str, props: Mapping[str, Any]) -> None:
    args: dict[str, Any] = {
        "TableName": name,
        "KeySchema": props["KeySchema"],
        "AttributeDefinitions": props["AttributeDefinitions"],
        "BillingMode": "PAY_PER_REQUEST",
    }
    indexes = props.get("GlobalSecondaryIndexes")
    if indexes:
        args["GlobalSecondaryIndexes"] = [
            {
                "IndexName": i["IndexName"],
                "KeySchema": i["KeySchema"],
                "Projection": i.get("Projection", {"ProjectionType": "ALL"}),
            }
            for i in indexes
        ]
    dynamodb.create_table(**args)
    ttl = props.get("TimeToLiveSpecification")
    if ttl and ttl.get("Enabled"):
        dynamodb.update_time_to_live(
            TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["AttributeName"]}
        )


def _function_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("README.txt", "Code runs in-process in the local hub (localhub.moto_shims).")
    return buffer.getvalue()


def _create_functions(aws: EmbeddedAws, topology: Topology, local: LocalResources) -> None:
    resolve = local.resolver().resolve
    iam, lambda_ = aws.client("iam"), aws.client("lambda")
    role = iam.create_role(
        RoleName="omnihub-local-lambda",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
                ],
            }
        ),
    )["Role"]["Arn"]
    code = _function_zip()
    for function in topology.functions:
        name = local.refs[function.logical_id]
        env = {k: str(v) for k, v in resolve(dict(function.environment)).items()}
        local.function_handlers[name] = function.handler
        local.function_env[name] = env
        lambda_.create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=role,
            Handler=function.handler,
            Code={"ZipFile": code},
            Timeout=function.timeout_seconds,
            Environment={"Variables": env},
        )


def _create_state_machines(aws: EmbeddedAws, topology: Topology, local: LocalResources) -> None:
    resolve = local.resolver().resolve
    stepfunctions = aws.client("stepfunctions")
    for machine in topology.state_machines:
        definition = str(resolve(machine.definition))
        for key, value in machine.substitutions.items():
            definition = definition.replace("${" + key + "}", str(resolve(value)))
        name = local.attrs[(machine.logical_id, "Name")]
        arn = stepfunctions.create_state_machine(
            name=name,
            definition=definition,
            roleArn=f"arn:aws:iam::{ACCOUNT}:role/omnihub-local-states",
            type="STANDARD",
        )["stateMachineArn"]
        local.state_machine_arns[machine.logical_id] = arn
