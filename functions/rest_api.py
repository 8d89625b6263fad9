"""The hub's REST resolvers: one place where domain errors become HTTP answers.

Every error is `{"error": {"code", "message"}}` with the status the error class carries.
"""

import json
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from hubcore.errors import HubError
from hubcore.observability import logger, metrics


def json_response(status: int, body: dict[str, Any]) -> Response:
    return Response(status_code=status, content_type="application/json", body=json.dumps(body, ensure_ascii=False))


def error_body(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def make_resolver() -> APIGatewayRestResolver:
    app = APIGatewayRestResolver()

    @app.exception_handler(HubError)
    def hub_error(error: HubError) -> Response:
        return json_response(error.http_status, error_body(error.code, error.message))

    @app.not_found
    def not_found(_: Exception) -> Response:
        return json_response(404, error_body("UNKNOWN_ROUTE", "no such route"))

    return app


def lambda_entry(app: APIGatewayRestResolver) -> Callable[[dict[str, Any], LambdaContext], dict[str, Any]]:
    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
    @metrics.log_metrics
    def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        return app.resolve(event, context)

    return lambda_handler
