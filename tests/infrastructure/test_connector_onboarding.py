"""Adding a connector package adds its function, route, schedule, secret and alarms: no change in infra_cdk."""

import ast
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

import connectors
from connectors.registry import manifests
from tests.infrastructure.conftest import Synth, as_list, ref_id, role_statements, synthesize

pytestmark = pytest.mark.xdist_group("cdk")

THROWAWAY = textwrap.dedent(
    """
    from connectors.sdk.manifest import ConnectorManifest

    MANIFEST = ConnectorManifest(
        channel="acmemall",
        display_name="Acme Mall (throwaway test connector)",
        connector_class="connectors.acmemall.connector:AcmeConnector",
        api_base_url="https://open.acmemall.example",
        webhook_handler="connectors.acmemall.handler.lambda_handler",
        poll_handler="connectors.acmemall.poller.lambda_handler",
        poll_every_minutes=7,
    )
    """
)


@pytest.fixture(scope="module")
def onboarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synth]:
    # Given a connector package that lives outside the repository, visible as `connectors.acmemall`
    extra = tmp_path_factory.mktemp("extra-connectors")
    (extra / "acmemall").mkdir()
    (extra / "acmemall" / "__init__.py").write_text(THROWAWAY)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(connectors, "__path__", [*connectors.__path__, str(extra)])
        manifests.cache_clear()
        try:
            assert "acmemall" in manifests()
            # When the unchanged CDK app is synthesized
            yield synthesize(tmp_path_factory.mktemp("cdk-out-onboarded"))
        finally:
            manifests.cache_clear()
            sys.modules.pop("connectors.acmemall", None)


def test_connector_functions_appear(onboarded: Synth) -> None:
    webhook = onboarded.resources["AcmemallWebhookFunction"]["Properties"]
    poller = onboarded.resources["AcmemallPollerFunction"]["Properties"]
    assert webhook["Handler"] == "connectors.acmemall.handler.lambda_handler"
    assert poller["Handler"] == "connectors.acmemall.poller.lambda_handler"
    assert ref_id(poller["DeadLetterConfig"]["TargetArn"]) == "AcmemallPollerAsyncDeadLetterQueue"


def test_connector_webhook_route_appears(onboarded: Synth) -> None:
    parts = {
        m["Properties"]["PathPart"]: logical_id
        for logical_id, m in onboarded.of_type("AWS::ApiGateway::Resource").items()
    }
    methods = [
        m["Properties"]
        for m in onboarded.of_type("AWS::ApiGateway::Method").values()
        if ref_id(m["Properties"]["ResourceId"]) == parts["acmemall"]
    ]
    assert [(m["HttpMethod"], m["AuthorizationType"]) for m in methods] == [("POST", "NONE")]


def test_connector_schedule_appears(onboarded: Synth) -> None:
    schedule = onboarded.resources["AcmemallPollSchedule"]["Properties"]
    assert schedule["ScheduleExpression"] == "rate(7 minutes)"
    assert ref_id(schedule["Target"]["DeadLetterConfig"]["Arn"]) == "AcmemallPollScheduleDeadLetterQueue"
    alarmed = {
        ref_id(a["Properties"]["Dimensions"][0]["Value"])
        for a in onboarded.of_type("AWS::CloudWatch::Alarm").values()
        if a["Properties"].get("MetricName") == "ApproximateNumberOfMessagesVisible"
    }
    assert {"AcmemallPollScheduleDeadLetterQueue", "AcmemallPollerAsyncDeadLetterQueue"} <= alarmed


def test_connector_secret_appears_and_write_back_may_read_it(onboarded: Synth) -> None:
    secret = onboarded.resources["AcmemallChannelSecret"]["Properties"]
    assert secret["Name"] == "omnihub/channels/acmemall"
    write_back_role = ref_id(onboarded.resources["WriteBackFunction"]["Properties"]["Role"])
    readable = {
        ref_id(resource)
        for statement in role_statements(onboarded, write_back_role)
        if "secretsmanager:GetSecretValue" in as_list(statement["Action"])
        for resource in as_list(statement["Resource"])
    }
    assert "AcmemallChannelSecret" in readable


def test_onboarded_stack_still_passes_cdk_nag(onboarded: Synth) -> None:
    (report,) = [r for r in onboarded.validation_report()["pluginReports"] if r["pluginName"] == "AwsSolutions"]
    assert report["violations"] == []


def code_words(tree: ast.AST) -> list[str]:
    """Names, attributes and string constants of a module, docstrings left out."""
    docstrings: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef) and ast.get_docstring(node) is not None:
            first = node.body[0]
            assert isinstance(first, ast.Expr)
            docstrings.add(id(first.value))
    words: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            words.append(node.value)
        elif isinstance(node, ast.Name):
            words.append(node.id)
        elif isinstance(node, ast.Attribute):
            words.append(node.attr)
    return words


def test_infra_cdk_code_never_names_a_channel() -> None:
    # Docstrings may use a channel as an example; no code string or identifier may.
    for path in Path(__file__).parents[2].joinpath("infra_cdk").rglob("*.py"):
        words = code_words(ast.parse(path.read_text()))
        for channel in ("acmemall", "douyin", "tmall"):
            assert not [w for w in words if channel in w.lower()], f"{path} names {channel}"
