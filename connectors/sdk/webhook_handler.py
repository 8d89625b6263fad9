"""The Lambda entry point behind API Gateway for a webhook connector (`make_webhook_handler`)."""

import base64
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from connectors.sdk.contracts import WebhookConnector, WebhookRequest
from connectors.sdk.ingest import Ingestor
from connectors.sdk.runtime import connector_class, load_connector
from connectors.sdk.webhook import process_webhook
from hubcore.adapters.event_bus import EventBridgePublisher
from hubcore.adapters.orders_table import OrdersTable
from hubcore.adapters.raw_archive import S3RawArchive
from hubcore.observability import logger, metrics
from hubcore.settings import settings
from schemas.timeutil import utc_now

LambdaHandler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]


def to_webhook_request(event: dict[str, Any]) -> WebhookRequest:
    """The raw bytes and headers of an API Gateway REST proxy event.

    Read directly rather than through Powertools' APIGatewayProxyEvent: importing the data_classes
    package loads every event class (~25 ms of cold start) for five fields.
    """
    raw = event.get("body") or ""
    body = base64.b64decode(raw) if event.get("isBase64Encoded") else raw.encode("utf-8")
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    return WebhookRequest(
        headers=headers,
        query=dict(event.get("queryStringParameters") or {}),
        body=body,
        received_at=utc_now(),
        path=str(event.get("path") or "/"),
        method=str(event.get("httpMethod") or "POST").upper(),
    )


def make_webhook_handler(channel: str) -> LambdaHandler:
    connector_class(channel)  # loaded at init: see `connector_class`

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
    @metrics.log_metrics
    def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        connector = load_connector(channel)
        assert isinstance(connector, WebhookConnector), f"{channel} does not accept webhooks"
        outcome = process_webhook(
            connector,
            to_webhook_request(event),
            archive=S3RawArchive(),
            ingestor=Ingestor(OrdersTable(), EventBridgePublisher()),
            max_bytes=settings().max_webhook_bytes,
        )
        metrics.add_dimension(name="channel", value=channel)
        if outcome.error is not None:
            logger.warning("webhook refused", code=outcome.error.code, reason=outcome.error.message)
            metrics.add_metric(name="WebhookRefused", unit=MetricUnit.Count, value=1)
        for result in outcome.results:
            metrics.add_metric(name=f"Orders{result.outcome.value.title()}", unit=MetricUnit.Count, value=1)
        return {
            "statusCode": outcome.reply.status,
            "headers": {"Content-Type": outcome.reply.content_type},
            "body": outcome.reply.body,
        }

    return lambda_handler
