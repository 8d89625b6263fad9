"""Webhook routes per webhook connector (public), catalog routes (IAM), logging and throttling."""

import json
from typing import Any

import pytest

from connectors.registry import manifests
from functions.catalog import FUNCTIONS
from infra_cdk.naming import pascal
from tests.infrastructure.conftest import Synth, as_list, ref_id

pytestmark = pytest.mark.xdist_group("cdk")


def resource_paths(synth: Synth) -> dict[str, str]:
    """ApiGateway::Resource logical id -> full path, rebuilt from ParentId/PathPart."""
    resources = synth.of_type("AWS::ApiGateway::Resource")

    def path_of(logical_id: str) -> str:
        props = resources[logical_id]["Properties"]
        parent = props["ParentId"]
        prefix = "" if "Fn::GetAtt" in parent else path_of(ref_id(parent))
        return f"{prefix}/{props['PathPart']}"

    return {logical_id: path_of(logical_id) for logical_id in resources}


def routes(synth: Synth) -> dict[str, dict[str, Any]]:
    """`"POST /webhooks/douyin"` -> method properties."""
    paths = resource_paths(synth)
    return {
        f"{m['Properties']['HttpMethod']} {paths[ref_id(m['Properties']['ResourceId'])]}": m["Properties"]
        for m in synth.of_type("AWS::ApiGateway::Method").values()
    }


def integrated_function(method: dict[str, Any]) -> str:
    parts = method["Integration"]["Uri"]["Fn::Join"][1]
    (target,) = [p for p in parts if isinstance(p, dict) and "Fn::GetAtt" in p]
    return ref_id(target)


WEBHOOKS = {channel: m for channel, m in manifests().items() if m.webhook_handler}
CATALOG_ROUTES = [(spec.name, route) for spec in FUNCTIONS for route in spec.api_routes]


def test_exactly_the_webhook_and_catalog_routes_exist(synth: Synth) -> None:
    webhooks = {f"{method} /webhooks/{channel}" for channel, m in WEBHOOKS.items() for method in m.webhook_methods}
    expected = webhooks | {route for _, route in CATALOG_ROUTES}
    assert set(routes(synth)) == expected


@pytest.mark.parametrize("channel", sorted(WEBHOOKS))
def test_webhook_route_is_public_and_reaches_its_connector(synth: Synth, channel: str) -> None:
    method = routes(synth)[f"POST /webhooks/{channel}"]
    assert method["AuthorizationType"] == "NONE"
    assert method["Integration"]["Type"] == "AWS_PROXY"
    assert integrated_function(method) == f"{pascal(channel)}WebhookFunction"


@pytest.mark.parametrize(("name", "route"), CATALOG_ROUTES)
def test_catalog_route_is_iam_authorized_validated_and_reaches_its_function(
    synth: Synth, name: str, route: str
) -> None:
    method = routes(synth)[route]
    assert method["AuthorizationType"] == "AWS_IAM"
    assert integrated_function(method) == f"{name}Function"
    assert "RequestValidatorId" in method
    params = [part[1:-1] for part in route.split("/") if part.startswith("{")]
    assert method["RequestParameters"] == {f"method.request.path.{p}": True for p in params}


def test_stage_logs_access_traces_and_throttles_webhooks(synth: Synth) -> None:
    (stage,) = synth.of_type("AWS::ApiGateway::Stage").values()
    props = stage["Properties"]
    assert props["TracingEnabled"] is True
    assert {"Ref": "ApiAccessLogGroup"} in props["AccessLogSetting"]["DestinationArn"]["Fn::Join"][1]
    settings = {s["ResourcePath"]: s for s in props["MethodSettings"]}
    assert settings["/*"]["ThrottlingRateLimit"] > 0 and settings["/*"]["DataTraceEnabled"] is False
    for channel in WEBHOOKS:
        webhook = settings[f"/~1webhooks~1{channel}"]
        assert webhook["HttpMethod"] == "POST" and webhook["ThrottlingBurstLimit"] > 0


def test_unrouted_paths_answer_404_with_a_machine_readable_code(synth: Synth) -> None:
    # Given a platform posting to a channel that has no connector / Then API Gateway answers 404, not 403
    responses = synth.of_type("AWS::ApiGateway::GatewayResponse").values()
    unknown = [r["Properties"] for r in responses if r["Properties"]["ResponseType"] == "MISSING_AUTHENTICATION_TOKEN"]
    assert len(unknown) == 1 and unknown[0]["StatusCode"] == "404"
    assert "UNKNOWN_ROUTE" in unknown[0]["ResponseTemplates"]["application/json"]


def test_reviewers_policy_grants_exactly_the_review_routes(synth: Synth) -> None:
    (policy,) = (r for k, r in synth.of_type("AWS::IAM::ManagedPolicy").items() if k == "ReviewersPolicy")
    (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Action"] == "execute-api:Invoke"
    granted = sorted(json.dumps(resource) for resource in as_list(statement["Resource"]))
    assert len(granted) == 2
    assert any("/GET/reviews" in g for g in granted) and any("/POST/reviews/*" in g for g in granted)
