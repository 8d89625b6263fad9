"""Lambda entry point behind API Gateway for the POS webhook (`POST /webhooks/pos`)."""

from connectors.sdk.webhook_handler import make_webhook_handler

lambda_handler = make_webhook_handler("pos")
