"""Lambda entry point of the Kuaishou push webhook (API Gateway proxy)."""

from connectors.sdk.webhook_handler import make_webhook_handler

lambda_handler = make_webhook_handler("kuaishou")
