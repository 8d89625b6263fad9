"""The hub's resources as the CDK app declares them, read from the synthesized CloudFormation template.

The local hub keeps no topology of its own: tables, queues, rules, functions, event-source mappings,
schedules, API routes and the state machine all come from `cdk synth`'s template, and intrinsic functions
are resolved against the local (moto) physical names. What runs locally is what CDK would deploy.
"""

import json
import re
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
STACK_NAME = "OmniHub"
TEMPLATE_DIR = ROOT / ".build" / "cdk.out-local"
# Files whose change means the template must be synthesized again.
_SOURCES = ("infra_cdk", "functions/catalog.py", "functions/workflow", "connectors", "cdk.json")

REGION = "us-east-1"
ACCOUNT = "123456789012"


@dataclass(frozen=True)
class TableSpec:
    logical_id: str
    properties: Mapping[str, Any]


@dataclass(frozen=True)
class QueueSpec:
    logical_id: str
    properties: Mapping[str, Any]


@dataclass(frozen=True)
class FunctionDef:
    logical_id: str
    handler: str
    environment: Mapping[str, Any]
    timeout_seconds: int


@dataclass(frozen=True)
class RuleSpec:
    logical_id: str
    bus_ref: Any
    pattern: Mapping[str, Any]
    targets: tuple[Mapping[str, Any], ...]


@dataclass(frozen=True)
class EventSourceSpec:
    queue_arn_ref: Any
    function_ref: Any
    batch_size: int
    report_failures: bool


@dataclass(frozen=True)
class ScheduleSpec:
    logical_id: str
    expression: str
    target_arn_ref: Any

    @property
    def every_seconds(self) -> int:
        match = re.fullmatch(r"rate\((\d+) (minute|minutes|hour|hours)\)", self.expression)
        if not match:
            raise ValueError(f"unsupported schedule expression {self.expression}")
        count, unit = int(match.group(1)), match.group(2)
        return count * (3600 if unit.startswith("hour") else 60)


@dataclass(frozen=True)
class RouteSpec:
    method: str
    path: str  # "/webhooks/douyin", "/orders/{order_key}"
    function_ref: Any
    authorization: str


@dataclass(frozen=True)
class StateMachineSpec:
    logical_id: str
    definition: Any
    substitutions: Mapping[str, Any]
    name: Any


@dataclass
class Topology:
    template: Mapping[str, Any]
    tables: list[TableSpec] = field(default_factory=list)
    buckets: list[str] = field(default_factory=list)
    buses: list[str] = field(default_factory=list)
    queues: list[QueueSpec] = field(default_factory=list)
    functions: list[FunctionDef] = field(default_factory=list)
    rules: list[RuleSpec] = field(default_factory=list)
    event_sources: list[EventSourceSpec] = field(default_factory=list)
    schedules: list[ScheduleSpec] = field(default_factory=list)
    routes: list[RouteSpec] = field(default_factory=list)
    state_machines: list[StateMachineSpec] = field(default_factory=list)
    secrets: dict[str, str] = field(default_factory=dict)  # logical id -> secret name

    @property
    def resources(self) -> Mapping[str, Any]:
        resources: Mapping[str, Any] = self.template["Resources"]
        return resources


def _needs_synth(template_path: Path) -> bool:
    if not template_path.exists():
        return True
    built = template_path.stat().st_mtime
    for source in _SOURCES:
        path = ROOT / source
        files = path.rglob("*") if path.is_dir() else [path]
        if any(f.is_file() and f.stat().st_mtime > built for f in files if "__pycache__" not in f.parts):
            return True
    return False


def synthesize(force: bool = False) -> Path:
    """Synthesize the CDK app (without bundling) and return the stack template's path."""
    template_path = TEMPLATE_DIR / f"{STACK_NAME}.template.json"
    if force or _needs_synth(template_path):
        TEMPLATE_DIR.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, "-m", "infra_cdk.app"],
            cwd=ROOT,
            check=True,
            env=_synth_env(),
            stdout=subprocess.DEVNULL,
        )
    return template_path


def _synth_env() -> dict[str, str]:
    import os

    env = dict(os.environ)
    env["CDK_OUTDIR"] = str(TEMPLATE_DIR)
    env.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    env.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
    # Only the template is needed locally: no bundling, no copying of the code into asset folders.
    context = {"omnihub:placeholder-layer": True, "aws:cdk:bundling-stacks": [], "aws:cdk:disable-asset-staging": True}
    env["CDK_CONTEXT_JSON"] = json.dumps(context)
    return env


def load(template_path: Path | None = None) -> Topology:
    path = template_path or synthesize()
    return parse(json.loads(path.read_text(encoding="utf-8")))


def parse(template: Mapping[str, Any]) -> Topology:
    topo = Topology(template=template)
    resources: Mapping[str, Any] = template.get("Resources", {})
    for logical_id, resource in resources.items():
        kind = resource.get("Type")
        props: Mapping[str, Any] = resource.get("Properties", {})
        if kind in ("AWS::DynamoDB::GlobalTable", "AWS::DynamoDB::Table"):
            topo.tables.append(TableSpec(logical_id, props))
        elif kind == "AWS::S3::Bucket":
            topo.buckets.append(logical_id)
        elif kind == "AWS::Events::EventBus":
            topo.buses.append(logical_id)
        elif kind == "AWS::SQS::Queue":
            topo.queues.append(QueueSpec(logical_id, props))
        elif kind == "AWS::Lambda::Function" and "Handler" in props:
            env = props.get("Environment", {}).get("Variables", {})
            topo.functions.append(FunctionDef(logical_id, props["Handler"], env, int(props.get("Timeout", 3))))
        elif kind == "AWS::Events::Rule" and "EventPattern" in props:
            targets = tuple(props.get("Targets", []))
            topo.rules.append(RuleSpec(logical_id, props.get("EventBusName"), props["EventPattern"], targets))
        elif kind == "AWS::Lambda::EventSourceMapping":
            topo.event_sources.append(
                EventSourceSpec(
                    queue_arn_ref=props["EventSourceArn"],
                    function_ref=props["FunctionName"],
                    batch_size=int(props.get("BatchSize", 10)),
                    report_failures="ReportBatchItemFailures" in props.get("FunctionResponseTypes", []),
                )
            )
        elif kind == "AWS::Scheduler::Schedule":
            topo.schedules.append(ScheduleSpec(logical_id, props["ScheduleExpression"], props["Target"]["Arn"]))
        elif kind == "AWS::StepFunctions::StateMachine":
            topo.state_machines.append(
                StateMachineSpec(
                    logical_id,
                    props.get("DefinitionString"),
                    props.get("DefinitionSubstitutions", {}),
                    props.get("StateMachineName"),
                )
            )
        elif kind == "AWS::SecretsManager::Secret":
            topo.secrets[logical_id] = str(props.get("Name", logical_id))
        elif kind == "AWS::ApiGateway::Method":
            route = _route(resources, props)
            if route is not None:
                topo.routes.append(route)
    return topo


def _route(resources: Mapping[str, Any], method: Mapping[str, Any]) -> RouteSpec | None:
    integration = method.get("Integration", {})
    if method.get("HttpMethod") == "OPTIONS" or integration.get("Type") != "AWS_PROXY":
        return None
    function_ref = _function_ref_in(integration.get("Uri"))
    if function_ref is None:
        return None
    return RouteSpec(
        method=str(method["HttpMethod"]),
        path=_path_of(resources, method.get("ResourceId")),
        function_ref=function_ref,
        authorization=str(method.get("AuthorizationType", "NONE")),
    )


def _path_of(resources: Mapping[str, Any], resource_ref: Any) -> str:
    parts: list[str] = []
    while isinstance(resource_ref, dict) and "Ref" in resource_ref:
        resource = resources[resource_ref["Ref"]]
        props = resource["Properties"]
        parts.append(props["PathPart"])
        resource_ref = props.get("ParentId")
    return "/" + "/".join(reversed(parts))


def _function_ref_in(node: Any) -> Any:
    """Find the Lambda function a proxy integration URI points at (a GetAtt <fn>.Arn inside a Join)."""
    if isinstance(node, dict):
        if "Fn::GetAtt" in node and str(node["Fn::GetAtt"][1]) == "Arn":
            return node
        for value in node.values():
            found = _function_ref_in(value)
            if found is not None:
                return found
    if isinstance(node, list):
        for value in node:
            found = _function_ref_in(value)
            if found is not None:
                return found
    return None


class Resolver:
    """Resolves CloudFormation intrinsics against the local physical ids and ARNs."""

    def __init__(self, refs: Mapping[str, str], arns: Mapping[str, str], attrs: Mapping[tuple[str, str], str]):
        self._refs = refs
        self._arns = arns
        self._attrs = attrs
        self._pseudo = {
            "AWS::Region": REGION,
            "AWS::AccountId": ACCOUNT,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": STACK_NAME,
        }

    def resolve(self, node: Any) -> Any:
        if isinstance(node, dict) and len(node) == 1:
            ((key, value),) = node.items()
            handler = self._intrinsics().get(key)
            if handler is not None:
                return handler(value)
        if isinstance(node, dict):
            return {k: self.resolve(v) for k, v in node.items()}
        if isinstance(node, list):
            return [self.resolve(v) for v in node]
        return node

    def _intrinsics(self) -> dict[str, Callable[[Any], Any]]:
        return {
            "Ref": self._ref,
            "Fn::GetAtt": self._get_att,
            "Fn::Join": lambda v: str(v[0]).join(str(self.resolve(p)) for p in v[1]),
            "Fn::Sub": self._sub,
            "Fn::Select": lambda v: self.resolve(v[1])[int(v[0])],
            "Fn::Split": lambda v: str(self.resolve(v[1])).split(v[0]),
        }

    def _ref(self, name: str) -> str:
        if name in self._pseudo:
            return self._pseudo[name]
        if name not in self._refs:
            raise KeyError(f"no local resource for Ref {name}")
        return self._refs[name]

    def _get_att(self, value: Any) -> str:
        logical_id, attribute = (value.split(".", 1) if isinstance(value, str) else value)[:2]
        if attribute == "Arn" and logical_id in self._arns:
            return self._arns[logical_id]
        if (logical_id, attribute) in self._attrs:
            return self._attrs[(logical_id, attribute)]
        raise KeyError(f"no local value for GetAtt {logical_id}.{attribute}")

    def _sub(self, value: Any) -> str:
        text, variables = (value, {}) if isinstance(value, str) else (value[0], value[1])

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in variables:
                return str(self.resolve(variables[name]))
            if "." in name:
                return self._get_att(name)
            return self._ref(name)

        return re.sub(r"\$\{([^}!]+)\}", replace, text)
