"""Lambda entry point of the Xiaohongshu push webhook (应用消息推送, API Gateway proxy)."""

from connectors.sdk.webhook_handler import make_webhook_handler

lambda_handler = make_webhook_handler("xiaohongshu")
