"""The REST API: `POST /webhooks/{channel}` per webhook connector (public: the function verifies the
platform's signature against the raw bytes) and the catalog's `api_routes` (IAM / SigV4 authorization).

No API-key usage plan: sales platforms cannot be made to send our API key, so throttling is set on the
stage (all routes) and per webhook method, sized for platform push bursts.
"""

from aws_cdk import Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra_cdk.config import HubConfig
from infra_cdk.constructs.log_groups import log_group
from infra_cdk.nag import acknowledge
from infra_cdk.naming import pin_logical_id
from infra_cdk.specs import LambdaSpec

STAGE = "v1"
REVIEW_PATH = "/reviews"  # routes under it are for reviewers only (ReviewersPolicy)
STAGE_RATE_LIMIT = 500  # requests/second across the API
STAGE_BURST_LIMIT = 1000
WEBHOOK_RATE_LIMIT = 200  # per channel's webhook route
WEBHOOK_BURST_LIMIT = 400


def parse_route(route: str) -> tuple[str, str]:
    """`"GET /orders/{order_key}"` -> `("GET", "/orders/{order_key}")`."""
    method, _, path = route.strip().partition(" ")
    if not method or not path.startswith("/"):
        raise ValueError(f"route must look like 'GET /path', got {route!r}")
    return method.upper(), path


def path_parameters(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{") and part.endswith("}")]


class HubApi(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        specs: list[LambdaSpec],
        functions: dict[str, lambda_.Function],
        config: HubConfig,
    ) -> None:
        super().__init__(scope, construct_id)
        webhook_routes = [parse_route(route) for spec in specs for route in spec.public_routes]
        access_logs = log_group(self, "ApiAccessLogGroup", config=config)
        self.api = apigw.RestApi(
            self,
            "Api",
            rest_api_name=f"{Stack.of(self).stack_name}-api",
            description="OmniHub: platform webhooks (signature-verified) and IAM-authorized hub routes",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            cloud_watch_role=True,
            deploy_options=apigw.StageOptions(
                stage_name=STAGE,
                access_log_destination=apigw.LogGroupLogDestination(access_logs),
                access_log_format=apigw.AccessLogFormat.json_with_standard_fields(
                    caller=True,
                    http_method=True,
                    ip=True,
                    protocol=True,
                    request_time=True,
                    resource_path=True,
                    response_length=True,
                    status=True,
                    user=True,
                ),
                logging_level=apigw.MethodLoggingLevel.ERROR,
                data_trace_enabled=False,  # request bodies carry personal data
                metrics_enabled=True,
                tracing_enabled=True,
                throttling_rate_limit=STAGE_RATE_LIMIT,
                throttling_burst_limit=STAGE_BURST_LIMIT,
                method_options={
                    f"{path}/{method}": apigw.MethodDeploymentOptions(
                        throttling_rate_limit=WEBHOOK_RATE_LIMIT, throttling_burst_limit=WEBHOOK_BURST_LIMIT
                    )
                    for method, path in webhook_routes
                },
            ),
        )
        pin_logical_id(self.api, "Api")
        self._validator = self.api.add_request_validator(
            "RequestValidator", validate_request_parameters=True, validate_request_body=True
        )
        for spec in specs:
            for route in spec.public_routes:
                self._webhook(spec, route, functions[spec.name])
            for route in spec.api_routes:
                self._iam_route(route, functions[spec.name])
        self._unknown_routes_answer_404()
        self._acknowledge_api()
        self.reviewers_policy = self._reviewers_policy(specs)

    def _reviewers_policy(self, specs: list[LambdaSpec]) -> iam.ManagedPolicy:
        """What makes a principal a reviewer: attach it to the operators' role or group. The review routes use
        IAM authorization, so only principals holding this policy (or an admin's wider one) can call them."""
        routes = [parse_route(r) for spec in specs for r in spec.api_routes if r.split(" ")[1].startswith(REVIEW_PATH)]
        resources = [self.api.arn_for_execute_api(method, _wildcard(path), STAGE) for method, path in routes]
        policy = iam.ManagedPolicy(
            self,
            "ReviewersPolicy",
            description="OmniHub reviewers: list held orders and approve or reject them",
            statements=[iam.PolicyStatement(actions=["execute-api:Invoke"], resources=resources)],
        )
        pin_logical_id(policy, "ReviewersPolicy")
        acknowledge(
            policy,
            "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<Api>/"
            f"{STAGE}/POST{REVIEW_PATH}/*]",
            "The wildcard is the {order_key} path parameter of POST /reviews/{order_key}: a reviewer may decide "
            "any held order; the method and the /reviews prefix are fixed.",
        )
        return policy

    def _unknown_routes_answer_404(self) -> None:
        """API Gateway answers an unrouted path with 403 "Missing Authentication Token"; a platform posting
        to a channel that has no connector deserves a 404 and a machine-readable code instead."""
        self.api.add_gateway_response(
            "UnknownRoute",
            type=apigw.ResponseType.MISSING_AUTHENTICATION_TOKEN,
            status_code="404",
            templates={
                "application/json": '{"error": {"code": "UNKNOWN_ROUTE", '
                '"message": "no route for $context.httpMethod $context.path"}}'
            },
        )

    def _integration(self, function: lambda_.IFunction) -> apigw.LambdaIntegration:
        return apigw.LambdaIntegration(function, proxy=True, allow_test_invoke=False)

    def _webhook(self, spec: LambdaSpec, route: str, function: lambda_.IFunction) -> None:
        method, path = parse_route(route)
        api_method = self.api.root.resource_for_path(path).add_method(
            method, self._integration(function), authorization_type=apigw.AuthorizationType.NONE
        )
        acknowledge(
            api_method,
            "AwsSolutions-APIG4",
            f"{spec.channel} pushes to this webhook unauthenticated by AWS; the function rejects any request "
            "whose platform signature over the raw body does not verify with the channel's app secret.",
        )
        acknowledge(
            api_method,
            "AwsSolutions-COG4",
            "Sales platforms cannot authenticate with Cognito; requests are authenticated by platform signature.",
        )

    def _iam_route(self, route: str, function: lambda_.IFunction) -> None:
        method, path = parse_route(route)
        api_method = self.api.root.resource_for_path(path).add_method(
            method,
            self._integration(function),
            authorization_type=apigw.AuthorizationType.IAM,
            request_validator=self._validator,
            request_parameters={f"method.request.path.{name}": True for name in path_parameters(path)},
        )
        acknowledge(
            api_method,
            "AwsSolutions-COG4",
            "Callers are AWS principals (operator tooling, the warehouse integration) signing with SigV4; "
            "the route uses IAM authorization instead of a Cognito user pool.",
        )

    def _acknowledge_api(self) -> None:
        acknowledge(
            self.api,
            "AwsSolutions-APIG3",
            "No WAF web ACL in this stack: webhooks come from the platforms' published egress ranges and are "
            "signature-verified, other routes are IAM-authorized; an account-level WAF/Firewall Manager "
            "policy is attached outside this stack where the organisation requires one.",
        )
        acknowledge(
            self.api,
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]",
            "API Gateway's account-level CloudWatch role needs exactly this AWS-managed policy to write "
            "execution logs; it is the AWS-documented setup and grants nothing beyond logging.",
        )


def _wildcard(path: str) -> str:
    """`/reviews/{order_key}` -> `/reviews/*`, as execute-api ARNs match path parameters."""
    return "/".join("*" if part.startswith("{") else part for part in path.split("/"))
